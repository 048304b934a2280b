/**
 * The Effect face names exactly the errors each call can fail with. Checked by the type
 * checker: this file does not compile if a signature widens or narrows (`Exact`), or if
 * recovering from an error a call cannot produce type-checks (`@ts-expect-error` on a
 * `catchTag` of an impossible tag). The run-time lists that keep each error channel to
 * its type are checked against the types too, and the narrowing holds at run time. An
 * Effect-native task's typed failure reaches every channel that hands on its error:
 * the calls, the handles of `submit`/`applyAsync` and `ProcessEffect.join`.
 */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Stream from "effect/Stream";
import {
  type AsyncResult,
  AsyncResultEffect,
  type CallError,
  inline,
  type OpenError,
  Pool,
  ProcessEffect,
  type ProcessError,
  type SettledCallError,
  type TaskCancelled,
  type WaitTimeout,
} from "../lib/effect.ts";
import type { EffectPool } from "../lib/pool_effect.ts";
import {
  CALL_ERRORS,
  type ErrorOf,
  type OPEN_ERRORS,
  type SETTLED_CALL_ERRORS,
  type ZIP_ERRORS,
} from "../lib/pool_effect_errors.ts";
import { findUser, type UserNotFound } from "./fixtures/effect_tasks.ts";

/** True only when A and B are the same type. */
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type EffectError<T> = T extends Effect.Effect<unknown, infer E, unknown> ? E : never;
type StreamError<T> = T extends Stream.Stream<unknown, infer E, unknown> ? E : never;
type HandleError<T> = T extends Effect.Effect<AsyncResult<unknown, infer E>, unknown, unknown> ? E
  : never;

const double = inline((x: number) => x * 2);
const add = inline((a: number, b: number) => a + b);

/**
 * The error type of every call, for `pool`; only type-checked (never run: it would need
 * a pool). Each entry is `true` only if the type is exactly the one named.
 */
function errorTypes(pool: EffectPool): true[] {
  const xs = [1, 2];
  const pairs: [number, number][] = [[1, 2]];
  const settled = { settled: true } as const;
  // The overloads, by their calls (`ReturnType` would read only the last overload).
  const lazy = {
    imap: pool.imap(double, xs),
    imapUnordered: pool.imapUnordered(double, xs),
    istarmap: pool.istarmap(add, pairs),
    istarmapUnordered: pool.istarmapUnordered(add, pairs),
    imapSettled: pool.imap(double, xs, settled),
    imapUnorderedSettled: pool.imapUnordered(double, xs, settled),
    istarmapSettled: pool.istarmap(add, pairs, settled),
    istarmapUnorderedSettled: pool.istarmapUnordered(add, pairs, settled),
  };
  return [
    true satisfies Exact<EffectError<ReturnType<typeof pool.map<typeof double>>>, CallError>,
    true satisfies Exact<EffectError<ReturnType<typeof pool.starmap<typeof add>>>, CallError>,
    true satisfies Exact<EffectError<ReturnType<typeof pool.apply<typeof double>>>, CallError>,
    true satisfies Exact<
      EffectError<ReturnType<typeof pool.mapSettled<typeof double>>>,
      SettledCallError
    >,
    true satisfies Exact<
      EffectError<ReturnType<typeof pool.starmapSettled<typeof add>>>,
      SettledCallError
    >,
    // The lazy maps: a call's errors; with `settled: true`, a settled call's.
    true satisfies Exact<StreamError<typeof lazy.imap>, CallError>,
    true satisfies Exact<StreamError<typeof lazy.imapUnordered>, CallError>,
    true satisfies Exact<StreamError<typeof lazy.istarmap>, CallError>,
    true satisfies Exact<StreamError<typeof lazy.istarmapUnordered>, CallError>,
    true satisfies Exact<StreamError<typeof lazy.imapSettled>, SettledCallError>,
    true satisfies Exact<StreamError<typeof lazy.imapUnorderedSettled>, SettledCallError>,
    true satisfies Exact<StreamError<typeof lazy.istarmapSettled>, SettledCallError>,
    true satisfies Exact<StreamError<typeof lazy.istarmapUnorderedSettled>, SettledCallError>,
    true satisfies Exact<
      StreamError<ReturnType<typeof pool.mapZip<typeof double>>>,
      CallError | WaitTimeout
    >,
    // A handle at once: the Effect never fails; the handle carries the call's errors.
    true satisfies Exact<EffectError<ReturnType<typeof pool.applyAsync<typeof double>>>, never>,
    true satisfies Exact<EffectError<ReturnType<typeof pool.submit<typeof double>>>, never>,
    true satisfies Exact<HandleError<ReturnType<typeof pool.submit<typeof double>>>, CallError>,
    true satisfies Exact<EffectError<typeof pool.stats>, never>,
    true satisfies Exact<EffectError<typeof pool.close>, never>,
    true satisfies Exact<EffectError<typeof pool.join>, never>,
    true satisfies Exact<EffectError<typeof pool.terminate>, never>,
    true satisfies Exact<EffectError<ReturnType<typeof Pool.make>>, OpenError>,
  ];
}

/**
 * Recovering from an error a call cannot produce does not compile; from one it can, it
 * does. Only type-checked.
 */
function impossibleTags(pool: EffectPool): unknown[] {
  const map = pool.map(double, [1]);
  const settledMap = pool.mapSettled(double, [1]);
  const stream = pool.istarmap(add, [[1, 2]]);
  const settledStream = pool.istarmap(add, [[1, 2]], { settled: true });
  const zipped = pool.mapZip(add, [1], [2]);
  const made = Pool.make({ processes: 1 });
  const handle = pool.submit(double, 1);
  const recover = () => Effect.succeed("recovered");
  const recoverStream = () => Stream.make("recovered");
  return [
    Effect.catchTag(map, "TaskTimeout", recover),
    // @ts-expect-error `map` never waits on a handle: no WaitTimeout.
    Effect.catchTag(map, "WaitTimeout", recover),
    // @ts-expect-error `map` is cancelled by interruption, not by TaskCancelled.
    Effect.catchTag(map, "TaskCancelled", recover),
    Effect.catchTag(settledMap, "PoolClosed", recover),
    // @ts-expect-error a settled map's task errors are in its outcomes.
    Effect.catchTag(settledMap, "SerializationError", recover),
    // @ts-expect-error a settled map's timeouts are in its outcomes.
    Effect.catchTag(settledMap, "TaskTimeout", recover),
    Stream.catchTag(stream, "TaskError", recoverStream),
    // @ts-expect-error a lazy map has no deadline of its own.
    Stream.catchTag(stream, "WaitTimeout", recoverStream),
    Stream.catchTag(settledStream, "PoolClosed", recoverStream),
    // @ts-expect-error a settled Stream's timeouts are in its outcomes.
    Stream.catchTag(settledStream, "TaskTimeout", recoverStream),
    Stream.catchTag(zipped, "WaitTimeout", recoverStream),
    // @ts-expect-error nothing cancels a mapZip but interruption.
    Stream.catchTag(zipped, "TaskCancelled", recoverStream),
    Effect.catchTag(made, "TaskError", recover),
    // @ts-expect-error opening a pool sends no task arguments.
    Effect.catchTag(made, "SerializationError", recover),
    // @ts-expect-error submitting never fails: the handle does.
    Effect.catchTag(handle, "TaskError", recover),
  ];
}

/**
 * An Effect-native task's typed failure (`findUser` fails with `UserNotFound`) is in the
 * error type of its handle, of `AsyncResultEffect.get` on that handle and of
 * `ProcessEffect.join`; another task's tag is not. Only type-checked.
 */
function effectNativeErrors(pool: EffectPool): unknown[] {
  const recover = () => Effect.succeed("recovered");
  return [
    Effect.gen(function* () {
      const handle = yield* pool.submit(findUser, 1);
      const applied = yield* pool.applyAsync(findUser, [1]);
      const plain = yield* pool.submit(double, 1);
      const got = AsyncResultEffect.get(handle);
      const checks: true[] = [
        true satisfies Exact<HandleError<Effect.Effect<typeof handle>>, CallError | UserNotFound>,
        true satisfies Exact<
          HandleError<Effect.Effect<typeof applied>>,
          CallError | UserNotFound
        >,
        true satisfies Exact<EffectError<typeof got>, CallError | UserNotFound | TaskCancelled>,
        // A plain task's handle carries the call's errors only.
        true satisfies Exact<HandleError<Effect.Effect<typeof plain>>, CallError>,
      ];
      return [
        checks,
        Effect.catchTag(got, "UserNotFound", recover),
        Effect.catchTag(AsyncResultEffect.get(applied), "UserNotFound", recover),
        // @ts-expect-error `findUser` fails with UserNotFound, never with another tag.
        Effect.catchTag(got, "QuotaExceeded", recover),
        // @ts-expect-error a plain task has no typed failure of its own.
        Effect.catchTag(AsyncResultEffect.get(plain), "UserNotFound", recover),
        // @ts-expect-error without a timeout, get never fails with WaitTimeout.
        Effect.catchTag(got, "WaitTimeout", recover),
      ];
    }),
    Effect.gen(function* () {
      const p = yield* ProcessEffect.spawn({ target: findUser, args: [1] });
      const joined = ProcessEffect.join(p);
      const check: true = true satisfies Exact<
        EffectError<typeof joined>,
        ProcessError | UserNotFound
      >;
      return [
        check,
        Effect.catchTag(joined, "UserNotFound", recover),
        // @ts-expect-error `findUser` fails with UserNotFound, never with another tag.
        Effect.catchTag(joined, "QuotaExceeded", recover),
      ];
    }),
  ];
}

Deno.test("each Effect-face call's error type is exactly what it can fail with", () => {
  assert.equal(typeof errorTypes, "function");
  assert.equal(typeof impossibleTags, "function");
  assert.equal(typeof effectNativeErrors, "function");
});

Deno.test("the run-time error lists are exactly the error types", () => {
  const checks: true[] = [
    true satisfies Exact<ErrorOf<typeof CALL_ERRORS>, CallError>,
    true satisfies Exact<ErrorOf<typeof SETTLED_CALL_ERRORS>, SettledCallError>,
    true satisfies Exact<ErrorOf<typeof ZIP_ERRORS>, CallError | WaitTimeout>,
    true satisfies Exact<ErrorOf<typeof OPEN_ERRORS>, OpenError>,
  ];
  assert.equal(checks.length, 4);
  assert.deepEqual(
    CALL_ERRORS.map((type) => type.name).toSorted(),
    [
      "PoolClosed",
      "SerializationError",
      "TaskError",
      "TaskNotFound",
      "TaskTimeout",
      "WorkerCrashed",
    ],
  );
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
