/**
 * What tracing and metrics cost the Effect face, on the workloads of `pool_bench.ts`:
 *
 * - W1: `pool.map(square, xs)` over 100,000 integers, default chunking (8 chunks);
 * - W2: 20,000 `pool.applyAsync(square, [i])`, all awaited (20,000 one-item chunks).
 *
 * Each on one Effect pool of 2 processes (`Pool.make`, which keeps its metrics), run with
 * no tracer (Effect's default: nothing is traced, the baseline), with a no-op tracer (a
 * tracer of the caller's own whose spans do nothing: what tracing itself costs), and
 * with a test tracer that keeps every span (`Tracer.NativeSpan`s in an array, cleared
 * after each run). Two more contenders place the numbers: the same calls on an Effect
 * pool that keeps no metrics (its engine with no observer at all), and the Promise face.
 *
 * Run with `deno bench -A --unstable-worker-options bench/tracing_bench.ts`. The
 * contenders of each group run interleaved; the medians are printed at the end (see
 * `report.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Scope from "effect/Scope";
import * as Tracer from "effect/Tracer";
import { type EffectPool, Pool } from "../lib/effect.ts";
import { Engine } from "../lib/engine.ts";
import { effectPool, terminated } from "../lib/pool_effect_calls.ts";
import { engineOptions } from "../lib/pool_options.ts";
import { Pool as PromisePool } from "../mod.ts";
import { square } from "./fixtures.ts";
import { interleaved } from "./report.ts";

const PROCESSES = 2;
const xs = Array.from({ length: 100_000 }, (_, i) => i);
const ids = Array.from({ length: 20_000 }, (_, i) => i);

const NO_ATTRIBUTES: ReadonlyMap<string, unknown> = new Map();

/** A span that records nothing: what a tracer that exports nowhere gives. */
function noopSpan(options: Parameters<Tracer.Tracer["span"]>[0]): Tracer.Span {
  return {
    _tag: "Span",
    name: options.name,
    spanId: "0000000000000001",
    traceId: "00000000000000000000000000000001",
    parent: options.parent,
    annotations: options.annotations,
    status: { _tag: "Started", startTime: options.startTime },
    attributes: NO_ATTRIBUTES,
    links: [],
    sampled: options.sampled,
    kind: options.kind,
    end() {},
    attribute() {},
    event() {},
    addLinks() {},
  };
}

const noopTracer = Tracer.make({ span: noopSpan });
const kept: Tracer.NativeSpan[] = [];
const testTracer = Tracer.make({
  span(options) {
    const span = new Tracer.NativeSpan(options);
    kept.push(span);
    return span;
  },
});

// Registered before the pools open: it closes them before the library checks, at
// unload, for pools left open.
globalThis.addEventListener("unload", () => {
  void Effect.runPromise(Scope.close(scope, Exit.void));
  void Effect.runPromise(terminated(bareEngine));
  void promisePool.terminate();
});
const scope = await Effect.runPromise(Scope.make());
const pool = await Effect.runPromise(
  Pool.make({ processes: PROCESSES, name: "bench" }).pipe(Scope.provide(scope)),
);
/** An Effect pool over an engine no observer watches: no metrics, no tracing. */
const bareEngine = new Engine(engineOptions({ processes: PROCESSES, name: "bare" }));
bareEngine.open(() => {});
const bare = effectPool(bareEngine, "bare");
const promisePool = await PromisePool.open({ processes: PROCESSES });

type Traced = <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>;
const untraced: Traced = (effect) => effect;
const withTracer = (tracer: Tracer.Tracer): Traced => (effect) => Effect.withTracer(effect, tracer);

/** W1 on `on`, under `traced`. */
const w1 = (on: EffectPool, traced: Traced) => () =>
  Effect.runPromise(traced(on.map(square, xs))).finally(() => kept.length = 0);

/** W2 on `on`, under `traced`: the handles are made under the tracer, then awaited. */
const w2 = (on: EffectPool, traced: Traced) => async () => {
  const handles = await Effect.runPromise(
    traced(Effect.forEach(ids, (i) => on.applyAsync(square, [i]))),
  );
  await Promise.all(handles);
  kept.length = 0;
};

// Every contender computes the same thing before it is timed.
const expectedMap = xs.map(square);
for (const traced of [untraced, withTracer(noopTracer), withTracer(testTracer)]) {
  assert.deepEqual(await Effect.runPromise(traced(pool.map(square, xs))), expectedMap);
}
assert.equal(kept.length, 8, "the test tracer saw one span per chunk");
kept.length = 0;
assert.deepEqual(await Effect.runPromise(bare.map(square, xs)), expectedMap);

interleaved("W1 map 100k, Effect face, 2 processes", [
  { name: "no tracer (Effect's default)", baseline: true, fn: w1(pool, untraced) },
  { name: "no-op tracer", fn: w1(pool, withTracer(noopTracer)) },
  { name: "test tracer (keeps every span)", fn: w1(pool, withTracer(testTracer)) },
  { name: "no tracer, pool without metrics", fn: w1(bare, untraced) },
  { name: "Promise face", fn: () => promisePool.map(square, xs) },
], { n: 60, warmup: 6 });

interleaved("W2 applyAsync 20k, Effect face, 2 processes", [
  { name: "no tracer (Effect's default)", baseline: true, fn: w2(pool, untraced) },
  { name: "no-op tracer", fn: w2(pool, withTracer(noopTracer)) },
  { name: "test tracer (keeps every span)", fn: w2(pool, withTracer(testTracer)) },
  { name: "no tracer, pool without metrics", fn: w2(bare, untraced) },
  {
    name: "Promise face",
    fn: () => Promise.all(ids.map((i) => promisePool.applyAsync(square, [i]))),
  },
], { n: 15, warmup: 2 });
