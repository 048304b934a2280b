/**
 * Tracing across isolates on the Effect face: each chunk of a call made under a tracer
 * is a span of that tracer, a child of the caller's span, and the spans an Effect-native
 * task makes in its worker nest under it; without a tracer nothing is traced (the pool
 * does not even observe its engine for it). What a worker sends back is checked.
 *
 * @module
 */
import assert from "node:assert/strict";
import { denoRun } from "./_deno_run.ts";
import { Effect, Option, Stream, Tracer } from "effect";
import { AsyncResultEffect, CHUNK_ATTRIBUTES, CHUNK_SPAN_NAME, Pool } from "../lib/effect.ts";
import { Engine } from "../lib/engine.ts";
import type { EngineObserver } from "../lib/engine_observer.ts";
import { effectPool, terminated } from "../lib/pool_effect_calls.ts";
import { engineOptions } from "../lib/pool_options.ts";
import { isViolation, readFromWorker } from "../lib/protocol_check.ts";
import { DONE } from "../lib/shared/protocol.ts";
import { SPAN_LIMITS, type WireSpan } from "../lib/shared/tracing_wire.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { itEffect } from "./_effect_pool.ts";
import {
  failingInSpan,
  manySpans,
  parentIds,
  plainDouble,
  tracedSquare,
} from "./fixtures/tracing_tasks.ts";

/** A tracer that keeps every span it makes, as a test tracer would. */
function testTracer(): { tracer: Tracer.Tracer; spans: Tracer.NativeSpan[] } {
  const spans: Tracer.NativeSpan[] = [];
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options);
      spans.push(span);
      return span;
    },
  });
  return { tracer, spans };
}

const parentOf = (span: Tracer.Span): Tracer.AnySpan | undefined =>
  Option.getOrUndefined(span.parent);
const named = (spans: readonly Tracer.NativeSpan[], name: string) =>
  spans.filter((span) => span.name === name);

itEffect(
  "each chunk of a traced map is a span under the caller's span, naming pool, worker, function, items and times",
  () => {
    const { tracer, spans } = testTracer();
    return Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 2, name: "traced" });
      const caller = yield* Effect.makeSpan("caller");
      const doubled = yield* pool.map(plainDouble, [1, 2, 3, 4, 5, 6], { chunksize: 2 }).pipe(
        Effect.withParentSpan(caller),
      );
      assert.deepEqual(doubled, [2, 4, 6, 8, 10, 12]);
      const chunks = named(spans, CHUNK_SPAN_NAME);
      assert.equal(chunks.length, 3, "one span per chunk");
      for (const chunk of chunks) {
        assert.equal(parentOf(chunk), caller);
        assert.equal(chunk.traceId, caller.traceId);
        assert.equal(chunk.status._tag, "Ended");
        const attributes = chunk.attributes;
        assert.equal(attributes.get(CHUNK_ATTRIBUTES.pool), "traced");
        assert.match(String(attributes.get(CHUNK_ATTRIBUTES.worker)), /^traced-\d$/);
        assert.equal(attributes.get(CHUNK_ATTRIBUTES.function), "plainDouble");
        assert.equal(attributes.get(CHUNK_ATTRIBUTES.items), 2);
        assert.equal(attributes.get(CHUNK_ATTRIBUTES.outcome), "done");
        for (const time of [CHUNK_ATTRIBUTES.timeQueued, CHUNK_ATTRIBUTES.timeRunning]) {
          const ms = attributes.get(time);
          assert.ok(typeof ms === "number" && ms >= 0, `${time}: ${ms}`);
        }
      }
      assert.deepEqual(
        chunks.map((chunk) => chunk.attributes.get(CHUNK_ATTRIBUTES.chunk)).sort(),
        [0, 1, 2],
      );
    }).pipe(Effect.withTracer(tracer));
  },
);

for (const backend of ["worker", "subprocess"] as const) {
  itEffect(`${backend}: spans an Effect-native task makes nest under its chunk's span`, () => {
    const { tracer, spans } = testTracer();
    return Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1, name: "nested", backend });
      const squares = yield* pool.map(tracedSquare, [2, 3], { chunksize: 2 }).pipe(
        Effect.withSpan("caller"),
      );
      assert.deepEqual(squares, [4, 9]);
      const [chunk] = named(spans, CHUNK_SPAN_NAME);
      assert.ok(chunk);
      const tasks = named(spans, "square-task");
      assert.deepEqual(tasks.map((task) => task.attributes.get("input")), [2, 3]);
      for (const task of tasks) {
        assert.equal(parentOf(task), chunk, "a task's span is a child of its chunk's");
        assert.equal(task.traceId, chunk.traceId);
        assert.equal(task.status._tag, "Ended");
        const input = task.attributes.get("input");
        assert.deepEqual(task.events.map(([name]) => name), [`squaring ${input}`]);
        const inner = named(spans, "multiply").filter((span) => parentOf(span) === task);
        assert.equal(inner.length, 1, "the inner span nests under the task's span");
        assert.equal(inner[0]!.attributes.get("factor"), input);
        const { status } = task;
        assert.ok(status._tag === "Ended" && status.startTime <= status.endTime);
      }
      // The task itself runs under the chunk's span: the trace context travelled.
      const [traceId, spanId] = yield* pool.apply(parentIds, []);
      const applied = named(spans, CHUNK_SPAN_NAME).at(-1)!;
      assert.equal(spanId, applied.spanId);
      assert.equal(traceId, applied.traceId);
    }).pipe(Effect.withTracer(tracer));
  });
}

itEffect("a span that fails in the worker ends failed, and so does its chunk's", () => {
  const { tracer, spans } = testTracer();
  return Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 1 });
    const failed = yield* Effect.flip(pool.apply(failingInSpan, [7]));
    assert.equal((failed as { value?: unknown }).value, "no 7");
    const [refuse] = named(spans, "refuse");
    const [chunk] = named(spans, CHUNK_SPAN_NAME);
    assert.ok(refuse && chunk);
    assert.equal(parentOf(refuse), chunk);
    assert.ok(refuse.status._tag === "Ended" && refuse.status.exit._tag === "Failure");
    assert.ok(chunk.status._tag === "Ended" && chunk.status.exit._tag === "Failure");
    assert.equal(chunk.attributes.get(CHUNK_ATTRIBUTES.outcome), "task-error");
  }).pipe(Effect.withTracer(tracer));
});

itEffect("the lazy maps and applyAsync are traced too", () => {
  const { tracer, spans } = testTracer();
  return Effect.gen(function* () {
    const pool = yield* Pool.make({ processes: 2 });
    const caller = yield* Effect.makeSpan("caller");
    const streamed = yield* Stream.runCollect(pool.imap(tracedSquare, [1, 2, 3])).pipe(
      Effect.withParentSpan(caller),
    );
    assert.deepEqual(Array.from(streamed), [1, 4, 9]);
    const handle = yield* pool.applyAsync(plainDouble, [21]).pipe(Effect.withParentSpan(caller));
    assert.equal(yield* AsyncResultEffect.get(handle), 42);
    const chunks = named(spans, CHUNK_SPAN_NAME);
    assert.deepEqual(
      chunks.map((chunk) => chunk.attributes.get(CHUNK_ATTRIBUTES.function)),
      ["tracedSquare", "tracedSquare", "tracedSquare", "plainDouble"],
    );
    for (const chunk of chunks) assert.equal(parentOf(chunk), caller);
    assert.equal(named(spans, "square-task").length, 3);
  }).pipe(Effect.withTracer(tracer));
});

/**
 * An engine whose `observe` is counted: how many observers were attached, and how many
 * are attached now. Its Effect face is the one `Pool.make` gives, without the metrics.
 */
function countedPool(name: string) {
  const engine = new Engine(engineOptions({ processes: 1, name }));
  const counts = { attached: 0, now: 0 };
  const observe = engine.observe.bind(engine);
  engine.observe = (observer: EngineObserver) => {
    counts.attached++;
    counts.now++;
    const remove = observe(observer);
    return () => {
      counts.now--;
      remove();
    };
  };
  engine.open(() => {});
  return { engine, pool: effectPool(engine, name), counts };
}

Deno.test("without a tracer the pool does not observe its engine, and no trace reaches the worker", async () => {
  const { engine, pool, counts } = countedPool("untraced");
  try {
    const ids = await Effect.runPromise(
      Effect.gen(function* () {
        assert.deepEqual(yield* pool.map(tracedSquare, [1, 2]), [1, 4]);
        yield* Stream.runCollect(pool.imap(plainDouble, [1, 2]));
        yield* AsyncResultEffect.get(yield* pool.submit(plainDouble, 1));
        return yield* pool.apply(parentIds, []);
      }).pipe(Effect.withSpan("caller")), // a span of Effect's default tracer
    );
    assert.equal(counts.attached, 0, "no observer attached for tracing");
    assert.deepEqual(ids, [null, null], "the task ran under no span of the caller");

    // Under a tracer: observed while traced work is open, and no longer after.
    const { tracer, spans } = testTracer();
    await Effect.runPromise(
      pool.map(plainDouble, [1, 2], { chunksize: 2 }).pipe(Effect.withTracer(tracer)),
    );
    assert.equal(counts.attached, 1);
    assert.equal(counts.now, 0, "the observer left once the call's spans ended");
    assert.equal(named(spans, CHUNK_SPAN_NAME).length, 1);
    const handle = await Effect.runPromise(
      pool.applyAsync(plainDouble, [4]).pipe(Effect.withTracer(tracer)),
    );
    assert.equal(await handle, 8);
    assert.deepEqual(counts, { attached: 2, now: 0 }, "and again once the handle's chunk ended");
  } finally {
    await Effect.runPromise(terminated(engine));
  }
  await assertNoLiveWorkers();
});

itEffect(
  "a task making spans past the limits sends the first ones, cut to size, and the pool goes on",
  () => {
    const { tracer, spans } = testTracer();
    return Effect.gen(function* () {
      const pool = yield* Pool.make({ processes: 1 });
      assert.equal(
        yield* pool.apply(manySpans, [SPAN_LIMITS.spans + 44, 1]),
        SPAN_LIMITS.spans + 44,
      );
      const [chunk] = named(spans, CHUNK_SPAN_NAME);
      const recreated = spans.filter((span) => span.name.startsWith("span-"));
      assert.equal(recreated.length, SPAN_LIMITS.spans);
      assert.ok(recreated.every((span) => parentOf(span) === chunk));
      spans.length = 0;
      assert.equal(yield* pool.apply(manySpans, [3, SPAN_LIMITS.text * 2]), 3);
      const big = spans.filter((span) => span.name.startsWith("span-"));
      assert.equal(big.length, 3);
      for (const span of big) {
        assert.equal(String(span.attributes.get("big")).length, SPAN_LIMITS.text);
      }
      assert.equal(yield* pool.apply(plainDouble, [5]), 10);
      assert.equal((yield* pool.stats).replaced, 0, "no worker was lost");
    }).pipe(Effect.withTracer(tracer));
  },
);

/** A well-formed span as a worker's recorder sends it. */
const wireSpan = (id: number, parent = 0): WireSpan => ({
  id,
  parent,
  name: `s${id}`,
  kind: "internal",
  start: 1,
  end: 2,
  exit: "success",
  attributes: [["n", id]],
  events: [["log", 1.5, [["level", "INFO"]]]],
});

Deno.test("an answer's spans must be well formed and within limits, or the answer breaks the protocol", () => {
  const done = (spans: unknown) => readFromWorker([DONE, 1, [1], null, spans]);
  assert.equal(isViolation(done([wireSpan(1), wireSpan(2, 1), wireSpan(5, 2)])), false);
  const many = Array.from({ length: SPAN_LIMITS.spans + 1 }, (_, i) => wireSpan(i + 1));
  const bad: Record<string, unknown> = {
    "no spans": [],
    "not a list": { 0: wireSpan(1) },
    "too many spans": many,
    "its own parent": [wireSpan(1, 1)],
    "a parent after it": [wireSpan(1), wireSpan(2, 3)],
    "numbers out of order": [wireSpan(2), wireSpan(1)],
    "a number below 1": [wireSpan(0)],
    "an unknown kind": [{ ...wireSpan(1), kind: "weird" }],
    "an unknown exit": [{ ...wireSpan(1), exit: "maybe" }],
    "a time that is not finite": [{ ...wireSpan(1), end: Infinity }],
    "a time past the latest": [{ ...wireSpan(1), end: Number.MAX_VALUE }],
    "a time before the epoch": [{ ...wireSpan(1), start: -1 }],
    "a long name": [{ ...wireSpan(1), name: "n".repeat(SPAN_LIMITS.name + 1) }],
    "an object attribute": [{ ...wireSpan(1), attributes: [["o", { deep: 1 }]] }],
    "a long attribute": [{ ...wireSpan(1), attributes: [["s", "v".repeat(SPAN_LIMITS.text + 1)]] }],
    "too many attributes": [{
      ...wireSpan(1),
      attributes: Array.from({ length: SPAN_LIMITS.attributes + 1 }, (_, i) => [`k${i}`, i]),
    }],
    "too many events": [{
      ...wireSpan(1),
      events: Array.from({ length: SPAN_LIMITS.events + 1 }, () => ["e", 1, []]),
    }],
    "a malformed event": [{ ...wireSpan(1), events: [["e", "late", []]] }],
    "too many entries in all": Array.from({ length: SPAN_LIMITS.spans }, (_, i) => ({
      ...wireSpan(i + 1),
      events: Array.from({ length: SPAN_LIMITS.events }, () => [
        "e",
        1,
        Array.from({ length: SPAN_LIMITS.attributes }, (_, k) => [`k${k}`, k]),
      ]),
    })),
    "too much text in all": Array.from({ length: 256 }, (_, i) => ({
      ...wireSpan(i + 1),
      attributes: [["a", "t".repeat(SPAN_LIMITS.text)], ["b", "t".repeat(SPAN_LIMITS.text)]],
    })),
  };
  for (const [what, spans] of Object.entries(bad)) {
    assert.equal(isViolation(done(spans)), true, what);
  }
  assert.equal(isViolation(readFromWorker([DONE, 1, [1], null, [wireSpan(1)], "more"])), true);
});

Deno.test("examples/17_tracing.ts runs alone", async () => {
  const run = await denoRun([new URL("../examples/17_tracing.ts", import.meta.url).pathname]);
  assert.ok(run.success, run.stderr);
  assert.deepEqual(run.stdout.trimEnd().split("\n"), [
    "counts: 6, 4, 3, 3",
    "batch",
    "  multiprocessing.chunk: countWords, 2 items on words-1, done",
    "    count-words: 6 words",
    "    count-words: 4 words",
    "  multiprocessing.chunk: countWords, 2 items on words-1, done",
    "    count-words: 3 words",
    "    count-words: 3 words",
    "metrics: 2 chunks done, 0 failed, 2 run times recorded",
  ]);
});
