/**
 * The `bench` command: what the pool buys and what it costs, measured here and now.
 *
 * - **Speedup**: the same CPU-bound tasks run one after another on this thread, then
 *   on the pool (one task per message), each three times, the fastest counting (other
 *   load on the machine only slows a run down); speedup = single / pool, efficiency
 *   per core = speedup / processes.
 * - **Overhead per task**: a task that does nothing, on the pool, against the floor:
 *   raw `postMessage` to bare workers that echo. Both one at a time (round trip) and
 *   all at once (pipelined, one item per message).
 *
 * @module
 */
import { Pool } from "../pool.ts";
import { task } from "../task.ts";
import { echo, spin } from "./bench_tasks.ts";
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import { MAX_PROCESSES } from "../pool_sizing_options.ts";

const TASKS_MODULE = new URL("./bench_tasks.ts", import.meta.url);
const spinTask = task(TASKS_MODULE, spin);
const echoTask = task(TASKS_MODULE, echo);
/** Each side of the speedup is run this many times; the fastest run counts. */
const ROUNDS = 3;

/** How `bench` runs. */
export interface BenchOptions {
  /** Pool size. */
  readonly processes: number;
  /** CPU-bound tasks to run. */
  readonly tasks: number;
  /** Aimed duration of one task on one core, in ms. */
  readonly taskMs: number;
  /** Do-nothing tasks for the overhead measurement. */
  readonly messages: number;
}

/** What `bench` measured. */
export interface BenchReport {
  /** Deno's version. */
  readonly deno: string;
  /** Cores this machine reports. */
  readonly cores: number;
  /** Pool size. */
  readonly processes: number;
  /** CPU-bound tasks run each way. */
  readonly tasks: number;
  /** Loop rounds per task (calibrated to `taskMs` on this thread). */
  readonly iterations: number;
  /** One task's duration on this thread, in ms. */
  readonly taskMs: number;
  /** Time from opening the pool until every worker answered a first task, in ms. */
  readonly poolReadyMs: number;
  /** All tasks, one after another on this thread, in ms (fastest of three runs). */
  readonly singleMs: number;
  /** All tasks on the pool, in ms (fastest of three runs). */
  readonly poolMs: number;
  /** `singleMs / poolMs`. */
  readonly speedup: number;
  /** `speedup / processes`: 1 is perfect. */
  readonly efficiency: number;
  /**
   * The pool's chunks in the runs above (warm-up included), from `pool.stats`: how many,
   * and how long they waited in the queue and ran, in ms (p50, p95).
   */
  readonly chunks: {
    readonly count: number;
    readonly queuedP50Ms: number;
    readonly queuedP95Ms: number;
    readonly runningP50Ms: number;
    readonly runningP95Ms: number;
  };
  /** Per-task cost of a task that does nothing, in microseconds. */
  readonly overhead: {
    /** Do-nothing tasks run. */
    readonly messages: number;
    /** `await pool.apply(echo, [i])`, one at a time. */
    readonly poolRoundTripUs: number;
    /** One raw `postMessage` and its echo, one at a time. */
    readonly rawRoundTripUs: number;
    /** `pool.map(echo, xs, { chunksize: 1 })`, per item. */
    readonly poolPipelinedUs: number;
    /** Every raw message posted at once to `processes` bare workers, per item. */
    readonly rawPipelinedUs: number;
  };
}

/** Stopped because the signal aborted. */
class Interrupted extends Error {}

function check(signal: AbortSignal): void {
  if (signal.aborted) throw new Interrupted();
}

function time(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

async function timeAsync(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Loop rounds for one task of about `ms` on this thread. */
function calibrate(ms: number): number {
  let iterations = 100_000;
  spin(iterations); // compile
  for (let round = 0; round < 6; round++) {
    const took = time(() => spin(iterations));
    if (took >= ms * 0.8 && took <= ms * 1.25 && round > 1) break;
    iterations = Math.max(1000, Math.round(iterations * (ms / Math.max(took, 0.05))));
  }
  return iterations;
}

/** Bare workers that echo every message: the floor. */
class RawWorkers {
  readonly #workers: Worker[];

  constructor(count: number) {
    this.#workers = Array.from(
      { length: count },
      () => new Worker(new URL("./bench_raw_worker.ts", import.meta.url), { type: "module" }),
    );
  }

  /** One message at a time to the first worker, `count` times. */
  async roundTrips(count: number): Promise<void> {
    const worker = this.#workers[0]!;
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve) => {
        worker.onmessage = () => resolve();
        worker.postMessage(i);
      });
    }
  }

  /** `count` messages posted at once, spread over the workers; waits for every echo. */
  pipelined(count: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let left = count;
      for (const worker of this.#workers) {
        worker.onmessage = () => {
          if (--left === 0) resolve();
        };
      }
      for (let i = 0; i < count; i++) {
        this.#workers[i % this.#workers.length]!.postMessage(i);
      }
    });
  }

  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}

/**
 * Runs the measurements.
 *
 * @param options Pool size, tasks, task duration, do-nothing tasks.
 * @param signal Stops between measurements (SIGINT).
 * @returns What was measured, or `null` when `signal` aborted.
 *
 * @example
 * ```ts
 * import { runBench } from "./bench.ts";
 * import assert from "node:assert/strict";
 *
 * const report = await runBench(
 *   { processes: 1, tasks: 2, taskMs: 2, messages: 20 },
 *   new AbortController().signal,
 * );
 * assert.equal(report?.tasks, 2);
 * ```
 */
export async function runBench(
  options: BenchOptions,
  signal: AbortSignal,
): Promise<BenchReport | null> {
  const iterations = calibrate(options.taskMs);
  const taskMs = Math.min(
    ...Array.from({ length: 3 }, () => time(() => spin(iterations))),
  );
  const work = Array.from({ length: options.tasks }, () => iterations);
  let pool: Pool | undefined;
  let raw: RawWorkers | undefined;
  try {
    check(signal);
    const singleMs = Math.min(
      ...Array.from({ length: ROUNDS }, () =>
        time(() => {
          for (const n of work) spin(n);
        })),
    );
    check(signal);
    const opening = performance.now();
    const open = await Pool.open({ processes: options.processes });
    pool = open;
    // Warm up: each worker loads the module and compiles the loop. The pool is ready once
    // every worker answered (opening itself returns before they have started).
    await open.map(spinTask, Array.from({ length: open.processes * 2 }, () => 1000), {
      chunksize: 1,
    });
    const poolReadyMs = performance.now() - opening;
    check(signal);
    let poolMs = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const took = await timeAsync(() => open.map(spinTask, work, { chunksize: 1, signal }));
      poolMs = Math.min(poolMs, took);
    }
    const { timeQueued, timeRunning } = open.stats;
    check(signal);

    const n = options.messages;
    const xs = Array.from({ length: n }, (_, i) => i);
    const bare = new RawWorkers(options.processes);
    raw = bare;
    await bare.roundTrips(10);
    await open.apply(echoTask, [0]);
    const rawRoundTrip = await timeAsync(() => bare.roundTrips(n));
    check(signal);
    const poolRoundTrip = await timeAsync(async () => {
      for (let i = 0; i < n; i++) await open.apply(echoTask, [i], { signal });
    });
    check(signal);
    await bare.pipelined(n);
    await open.map(echoTask, xs, { chunksize: 1 });
    const rawPipelined = await timeAsync(() => bare.pipelined(n));
    check(signal);
    const poolPipelined = await timeAsync(() => open.map(echoTask, xs, { chunksize: 1, signal }));

    const speedup = singleMs / poolMs;
    const us = (ms: number): number => round((ms * 1000) / n, 2);
    return {
      deno: Deno.version.deno,
      cores: navigator.hardwareConcurrency,
      processes: options.processes,
      tasks: options.tasks,
      iterations,
      taskMs: round(taskMs, 2),
      poolReadyMs: round(poolReadyMs, 1),
      singleMs: round(singleMs, 1),
      poolMs: round(poolMs, 1),
      speedup: round(speedup, 2),
      efficiency: round(speedup / options.processes, 2),
      chunks: {
        count: timeRunning.count,
        queuedP50Ms: round(timeQueued.p50, 2),
        queuedP95Ms: round(timeQueued.p95, 2),
        runningP50Ms: round(timeRunning.p50, 2),
        runningP95Ms: round(timeRunning.p95, 2),
      },
      overhead: {
        messages: n,
        poolRoundTripUs: us(poolRoundTrip),
        rawRoundTripUs: us(rawRoundTrip),
        poolPipelinedUs: us(poolPipelined),
        rawPipelinedUs: us(rawPipelined),
      },
    };
  } catch (error) {
    if (signal.aborted) return null;
    throw error;
  } finally {
    raw?.terminate();
    await pool?.terminate();
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * Formats the report for people.
 *
 * @param report What `runBench` measured.
 * @returns Aligned lines (no trailing newline).
 *
 * @example
 * ```ts
 * import { formatBench, runBench } from "./bench.ts";
 * import assert from "node:assert/strict";
 *
 * const report = await runBench(
 *   { processes: 1, tasks: 1, taskMs: 1, messages: 10 },
 *   new AbortController().signal,
 * );
 * assert.match(formatBench(report!), /speedup/);
 * ```
 */
export function formatBench(report: BenchReport): string {
  const o = report.overhead;
  const rows: [string, string][] = [
    ["workload", `${report.tasks} tasks of ${report.taskMs} ms (spin ${report.iterations})`],
    [
      "pool",
      `${report.processes} processes on ${report.cores} cores, ready in ${report.poolReadyMs} ms (open, one task each)`,
    ],
    ["one thread", `${report.singleMs} ms`],
    ["pool", `${report.poolMs} ms`],
    ["speedup", `${report.speedup}x`],
    ["efficiency", `${Math.round(report.efficiency * 100)}% per process`],
    [
      "chunks",
      `${report.chunks.count} ran: queued p50 ${report.chunks.queuedP50Ms} ms, p95 ${report.chunks.queuedP95Ms} ms; running p50 ${report.chunks.runningP50Ms} ms, p95 ${report.chunks.runningP95Ms} ms`,
    ],
    [
      "round trip",
      `${o.poolRoundTripUs} µs per pool.apply, ${o.rawRoundTripUs} µs raw postMessage (+${
        round(o.poolRoundTripUs - o.rawRoundTripUs, 2)
      } µs)`,
    ],
    [
      "pipelined",
      `${o.poolPipelinedUs} µs per item of pool.map (chunksize 1), ${o.rawPipelinedUs} µs raw (+${
        round(o.poolPipelinedUs - o.rawPipelinedUs, 2)
      } µs)`,
    ],
  ];
  const width = Math.max(...rows.map(([key]) => key.length)) + 1;
  return rows.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`).join("\n");
}

/**
 * Runs `bench` and prints the report (JSON with `json`), giving the exit code.
 *
 * @param options The bench's settings, and `json` for one JSON object.
 * @param signal Aborts between measurements (SIGINT): exit code 130.
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import { benchCommand } from "./bench.ts";
 * import assert from "node:assert/strict";
 *
 * const options = { processes: 1, tasks: 1, taskMs: 1, messages: 10, json: true };
 * assert.equal(await benchCommand(options, new AbortController().signal), 0);
 * ```
 */
export async function benchCommand(
  options: BenchOptions & { readonly json: boolean },
  signal: AbortSignal,
): Promise<number> {
  const bad = badFlag(options);
  if (bad !== null) {
    console.error(`bench: ${bad}`);
    return EXIT_USAGE;
  }
  if (!options.json) {
    console.error(
      `bench: ${options.tasks} tasks of about ${options.taskMs} ms on one thread, then on ` +
        `${options.processes} processes; then ${options.messages} do-nothing tasks...`,
    );
  }
  const report = await runBench(options, signal);
  if (report === null) return EXIT_INTERRUPTED;
  console.log(options.json ? JSON.stringify(report) : formatBench(report));
  return EXIT_OK;
}

/** What is wrong with the bench's numbers, or `null`: each must be a positive integer. */
function badFlag(options: BenchOptions): string | null {
  const flags: Array<[string, number]> = [
    ["--processes", options.processes],
    ["--tasks", options.tasks],
    ["--task-ms", options.taskMs],
    ["--messages", options.messages],
  ];
  for (const [flag, value] of flags) {
    if (!Number.isInteger(value) || value < 1) {
      return `'${flag}' must be a positive integer: current value is ${value}`;
    }
  }
  if (options.processes > MAX_PROCESSES) {
    return `'--processes' must be an integer from 1 to ${MAX_PROCESSES}: current value is ` +
      `${options.processes}`;
  }
  return null;
}
