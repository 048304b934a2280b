/**
 * The `demo` command: runs the classic examples in order, each under a heading naming
 * the question it answers. The examples are imported and their `main()` called in this
 * process (their task functions cross into workers by reference, as in any program).
 *
 * @module
 */
import * as Data from "effect/Data";
import * as Effect from "effect/Effect";
import { main as oneProcess } from "../../examples/01_one_process.ts";
import { main as fourProcesses } from "../../examples/02_four_processes.ts";
import { main as poolMap } from "../../examples/03_pool_map.ts";
import { main as effectPool } from "../../examples/04_effect_pool.ts";
import { main as queuePipeline } from "../../examples/05_queue_pipeline.ts";
import { main as pipe } from "../../examples/06_pipe.ts";
import { main as sharedCounter } from "../../examples/07_shared_counter.ts";
import { main as sandbox } from "../../examples/08_sandbox.ts";

/** One example of the demo: the question it answers, its file, and its `main()`. */
export interface DemoExample {
  /** The heading: the question the example answers. */
  readonly question: string;
  /** Its path in the repository, to read or run alone. */
  readonly file: string;
  /** Runs it, printing to stdout. */
  readonly main: () => Promise<void>;
}

/**
 * The classic examples, in the order `demo` runs them.
 *
 * @example
 * ```ts
 * import { DEMO_EXAMPLES } from "./demo.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEMO_EXAMPLES[0]?.question, "How do I run a function in its own process?");
 * ```
 */
export const DEMO_EXAMPLES: readonly DemoExample[] = [
  {
    question: "How do I run a function in its own process?",
    file: "examples/01_one_process.ts",
    main: oneProcess,
  },
  {
    question: "How do I map a function over a list on every core?",
    file: "examples/03_pool_map.ts",
    main: poolMap,
  },
  {
    question: "How do four processes each print their name?",
    file: "examples/02_four_processes.ts",
    main: fourProcesses,
  },
  {
    question: "How do processes pass work along a Queue?",
    file: "examples/05_queue_pipeline.ts",
    main: queuePipeline,
  },
  {
    question: "How do two processes talk over a Pipe?",
    file: "examples/06_pipe.ts",
    main: pipe,
  },
  {
    question: "How do processes share a counter safely?",
    file: "examples/07_shared_counter.ts",
    main: sharedCounter,
  },
  {
    question: "How does the Effect face cancel work?",
    file: "examples/04_effect_pool.ts",
    main: effectPool,
  },
  {
    question: "How do I run code I do not trust?",
    file: "examples/08_sandbox.ts",
    main: sandbox,
  },
];

/** An example of the demo failed. */
export class DemoFailed extends Data.TaggedError("DemoFailed")<{
  readonly message: string;
  readonly cause: unknown;
}> {}

/**
 * Runs every example in order under its heading; stops at the first that fails.
 *
 * @param examples The examples to run.
 * @returns An Effect that prints the examples' output on stdout.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { runDemo } from "./demo.ts";
 *
 * await Effect.runPromise(runDemo([{ question: "Nothing?", file: "none", main: async () => {} }]));
 * ```
 */
export function runDemo(
  examples: readonly DemoExample[] = DEMO_EXAMPLES,
): Effect.Effect<void, DemoFailed> {
  return Effect.forEach(
    examples,
    (example, index) =>
      Effect.sync(() => {
        if (index > 0) console.log();
        console.log(`## ${example.question}`);
        console.log(`   (${example.file})`);
        console.log();
      }).pipe(
        Effect.andThen(Effect.tryPromise({
          try: () => example.main(),
          catch: (cause) =>
            new DemoFailed({
              message: `Example ${example.file} failed: ${
                cause instanceof Error ? cause.message : String(cause)
              }`,
              cause,
            }),
        })),
      ),
    { discard: true },
  );
}
