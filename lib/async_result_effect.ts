/**
 * `handle.effect` for every `AsyncResult`, installed when the Effect face loads: the
 * Promise face's module keeps no runtime import of Effect.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { installEffect } from "./async_result.ts";
import type { PoolError } from "./errors.ts";

installEffect(<T>(result: PromiseLike<T>) =>
  Effect.callback<T, PoolError>((resume) => {
    result.then(
      (value) => resume(Effect.succeed(value)),
      (error: PoolError) => resume(Effect.fail(error)),
    );
  })
);
