/**
 * The Effect face names exactly the errors each call can fail with (checked by the type
 * checker: this file does not compile if a signature widens or narrows), and the
 * narrowing holds at run time for a task's own error.
 */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import type * as Stream from "effect/Stream";
import {
  type CallError,
  inline,
  type OpenError,
  Pool,
  type SettledCallError,
  type WaitTimeout,
} from "../lib/effect.ts";
import type { EffectPool } from "../lib/pool_effect.ts";

/** True only when A and B are the same type. */
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type EffectError<T> = T extends Effect.Effect<unknown, infer E, unknown> ? E : never;
type StreamError<T> = T extends Stream.Stream<unknown, infer E, unknown> ? E : never;

const double = inline((x: number) => x * 2);
declare const pool: EffectPool;

Deno.test("each Effect-face call's error type is exactly what it can fail with", () => {
  const checks: true[] = [
    true satisfies Exact<EffectError<ReturnType<typeof pool.map<typeof double>>>, CallError>,
    true satisfies Exact<EffectError<ReturnType<typeof pool.apply<typeof double>>>, CallError>,
    true satisfies Exact<
      EffectError<ReturnType<typeof pool.mapSettled<typeof double>>>,
      SettledCallError
    >,
    true satisfies Exact<StreamError<ReturnType<typeof pool.imap<typeof double>>>, CallError>,
    true satisfies Exact<
      StreamError<ReturnType<typeof pool.mapZip<typeof double>>>,
      CallError | WaitTimeout
    >,
    true satisfies Exact<EffectError<ReturnType<typeof Pool.make>>, OpenError>,
  ];
  assert.equal(checks.length, 6);
});

Deno.test("a task's failure is caught by its tag on the Effect face", async () => {
  const failing = inline((x: number) => {
    if (x > 1) throw new Error(`too big: ${x}`);
    return x;
  });
  const program = Effect.gen(function* () {
    const made = yield* Pool.make({ processes: 1 });
    return yield* made.map(failing, [1, 2]).pipe(
      Effect.catchTag("TaskError", (error) => Effect.succeed(`caught ${error.message}`)),
    );
  });
  const caught = await Effect.runPromise(Effect.scoped(program));
  assert.equal(caught, "caught too big: 2");
});
