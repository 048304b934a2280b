/**
 * Tracing and metrics: each chunk of a call made under a tracer is a span of that tracer,
 * under the caller's span, and the spans an Effect-native task makes in its worker nest
 * under its chunk's span; the pool's work is counted as Effect metrics.
 *
 * ```text
 * Python (with OpenTelemetry)                  Deno (Effect face)
 * ---------------------------                  ------------------
 * with tracer.start_as_current_span("batch"):  yield* pool.map(countWords, lines, { chunksize: 2 })
 *     counts = pool.map(count_words, lines, 2)   .pipe(Effect.withSpan("batch"));
 * # the workers' spans start new traces: the   // one span per chunk under "batch", and the
 * # context does not cross the process line    // task's own spans under its chunk's span
 *
 * # no pool metrics to read                    yield* Metric.snapshot // chunks done, failed,
 *                                              // queue depth, workers busy, times...
 * ```
 *
 * Any tracer the program provides receives the spans (an OpenTelemetry exporter from
 * `@effect/opentelemetry`, a console tracer, a test tracer); here, a small in-memory one
 * that prints the tree. Without a tracer, nothing is traced and nothing is paid.
 *
 * Run it: `deno run -A examples/17_tracing.ts`
 *
 * @module
 */
import { Effect, Metric, Option, Tracer } from "effect";
import { CHUNK_ATTRIBUTES, CHUNK_SPAN_NAME, Pool, PoolMetrics } from "../lib/effect.ts";

/**
 * Counts a line's words inside a span of its own, which the caller's tracer receives.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { countWords } from "./17_tracing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(Effect.runSync(countWords("to be or not")), 4);
 * ```
 */
export function countWords(line: string): Effect.Effect<number> {
  return Effect.gen(function* () {
    const words = line.split(/\s+/).filter((word) => word !== "").length;
    yield* Effect.annotateCurrentSpan("words", words);
    return words;
  }).pipe(Effect.withSpan("count-words"));
}

/** A tracer that keeps every span, as an exporter would receive them. */
const spans: Tracer.NativeSpan[] = [];
const keeping = Tracer.make({
  span(options) {
    const span = new Tracer.NativeSpan(options);
    spans.push(span);
    return span;
  },
});

/** One line per span, indented under its parent. */
function tree(parent: Tracer.AnySpan | undefined, depth = 0): string[] {
  const children = spans.filter((span) => Option.getOrUndefined(span.parent) === parent);
  return children.flatMap((
    span,
  ) => [`${"  ".repeat(depth)}${describe(span)}`, ...tree(span, depth + 1)]);
}

function describe(span: Tracer.NativeSpan): string {
  const attribute = (key: string) => span.attributes.get(key);
  if (span.name === CHUNK_SPAN_NAME) {
    return `${span.name}: ${attribute(CHUNK_ATTRIBUTES.function)}, ` +
      `${attribute(CHUNK_ATTRIBUTES.items)} items on ${attribute(CHUNK_ATTRIBUTES.worker)}, ` +
      `${attribute(CHUNK_ATTRIBUTES.outcome)}`;
  }
  const words = attribute("words");
  return words === undefined ? span.name : `${span.name}: ${words} words`;
}

const lines = ["to be or not to be", "that is the question", "whether tis nobler", "in the mind"];

/** The program: a traced map, its span tree, and the pool's metrics. */
const program = Effect.scoped(Effect.gen(function* () {
  const pool = yield* Pool.make({ processes: 1, name: "words" });
  const counts = yield* pool.map(countWords, lines, { chunksize: 2 }).pipe(
    Effect.withSpan("batch"),
  );
  console.log(`counts: ${counts.join(", ")}`);
  for (const line of tree(undefined)) console.log(line);

  const value = <S>(metric: Metric.Metric<never, S>) =>
    Metric.value(Metric.withAttributes(metric, { pool: "words" }));
  const done = (yield* value(PoolMetrics.chunksDone)).count;
  const failed = (yield* value(PoolMetrics.chunksFailed)).count;
  const running = (yield* value(PoolMetrics.timeRunning)).count;
  console.log(`metrics: ${done} chunks done, ${failed} failed, ${running} run times recorded`);
})).pipe(Effect.withTracer(keeping));

/**
 * Runs the program.
 *
 * @example
 * ```ts
 * import { main } from "./17_tracing.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  await Effect.runPromise(program);
}

if (import.meta.main) await main();
