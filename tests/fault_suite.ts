/**
 * The fault-injection suite, shared by both backends: 10,000 tasks through a pool of 4,
 * about 2% of them faulty in every way a task can fault, chosen by a seeded generator
 * (deterministic for a seed: `FAULT_SEED=7`; `FAULT_TASKS` sets the count). Every task
 * must end in exactly one outcome of the kind its fault calls for, nothing may hang, and
 * no process may be left.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Pool,
  type PoolError,
  type PoolOptions,
  SerializationError,
  TaskError,
  TaskTimeout,
  WorkerCrashed,
} from "../mod.ts";
import { deafen, forgeOnWorkerChannel } from "./fixtures/attack_tasks.ts";
import {
  closeWorker,
  double,
  exitWorker,
  fail,
  overflowStack,
  spin,
  timerThrow,
  unclonableResult,
  unhandledRejection,
} from "./fixtures/fault_tasks.ts";

const TASKS = Number(Deno.env.get("FAULT_TASKS") ?? 10_000);
const FAULT_RATE = 0.02;
/** Long enough to pass any fair wait for a trivial task on a loaded 2-core machine. */
export const TIMEOUT_MS = 400;
/** The "long loop" fault: finite, but well past the timeout. */
export const LOOP_MS = 700;
/** Nothing may take longer than this in all: past it, unsettled tasks count as hung. */
const WATCHDOG_MS = 50_000;

/**
 * One kind of fault: how to cause it, and the error class it must end in, or, for an
 * attack on the protocol (which must change nothing), the value the task itself returns.
 */
export interface Fault {
  readonly name: string;
  readonly expected:
    | typeof TaskError
    | typeof WorkerCrashed
    | typeof TaskTimeout
    | typeof SerializationError
    | { readonly value: unknown };
  start(pool: Pool, i: number): Promise<unknown>;
}

/** The faults every backend must survive. */
export const FAULTS: readonly Fault[] = [
  { name: "throw", expected: TaskError, start: (pool, i) => pool.apply(fail, [`task ${i}`]) },
  { name: "stack overflow", expected: TaskError, start: (pool) => pool.apply(overflowStack, []) },
  {
    name: "timer throw",
    expected: WorkerCrashed,
    start: (pool, i) => pool.apply(timerThrow, [`t${i}`]),
  },
  {
    name: "unhandled rejection",
    expected: WorkerCrashed,
    start: (pool, i) => pool.apply(unhandledRejection, [`r${i}`]),
  },
  { name: "self.close()", expected: WorkerCrashed, start: (pool) => pool.apply(closeWorker, []) },
  { name: "Deno.exit(n)", expected: WorkerCrashed, start: (pool) => pool.apply(exitWorker, [3]) },
  { name: "long loop", expected: TaskTimeout, start: (pool) => pool.apply(spin, [LOOP_MS]) },
  {
    name: "unclonable result",
    expected: SerializationError,
    start: (pool) => pool.apply(unclonableResult, []),
  },
  {
    name: "forged protocol messages",
    expected: { value: "forged" },
    start: (pool) => pool.apply(forgeOnWorkerChannel, []),
  },
  {
    name: "deafened message handler",
    expected: { value: "deaf:null" },
    start: (pool) => pool.apply(deafen, ["null"]),
  },
];

/** How one backend runs the suite. */
export interface SuiteSettings {
  /** Extra pool options (the backend). */
  readonly options: PoolOptions;
  /** Faults of this backend's own, beside `FAULTS`. */
  readonly faults: readonly Fault[];
  /** Run with the pool still open, once every task settled. */
  readonly beforeClose: (pool: Pool) => Promise<void>;
  /** Processes left once the pool is gone. */
  readonly left: () => Promise<number>;
  /** What the processes are called in the summary line: "workers", "children". */
  readonly noun: string;
}

/** mulberry32: a small seeded generator, so a failing seed can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the suite, prints its summary line and asserts that nothing went wrong. */
export async function runFaultSuite(settings: SuiteSettings): Promise<void> {
  const faults = [...FAULTS, ...settings.faults];
  const seed = Number(Deno.env.get("FAULT_SEED") ?? 20261122);
  const random = seeded(seed);
  const plan = Array.from(
    { length: TASKS },
    () => random() < FAULT_RATE ? faults[Math.floor(random() * faults.length)]! : null,
  );
  const outcomes = new Array<number>(TASKS).fill(0);
  const wrong: string[] = [];
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let hung = false;
  {
    await using pool = await Pool.open({ processes: 4, timeout: TIMEOUT_MS, ...settings.options });
    const calls = plan.map((fault, i) => {
      const call = fault === null ? pool.apply(double, [i]) : fault.start(pool, i);
      return call.then(
        (value) => {
          outcomes[i]!++;
          if (fault === null) {
            if (value !== 2 * i) wrong.push(`task ${i} gave ${value}`);
          } else if (!("value" in fault.expected) || fault.expected.value !== value) {
            wrong.push(`task ${i} (${fault.name}) gave ${value}`);
          }
        },
        (error: PoolError) => {
          outcomes[i]!++;
          if (fault === null) wrong.push(`task ${i} (faultless) failed: ${error}`);
          else if (
            "value" in fault.expected || !(error instanceof (fault.expected as typeof TaskError))
          ) {
            wrong.push(
              `task ${i} (${fault.name}) failed with ${error?.constructor?.name}: ${error}`,
            );
          }
        },
      );
    });
    const settled = Promise.all(calls);
    const timedOut = new Promise<"hung">((resolve) => {
      watchdog = setTimeout(() => resolve("hung"), WATCHDOG_MS);
    });
    hung = (await Promise.race([settled, timedOut])) === "hung";
    clearTimeout(watchdog);
    await settings.beforeClose(pool);
  }
  const injected = plan.filter((fault) => fault !== null).length;
  const unsettled = outcomes.filter((n) => n === 0).length;
  // Unsettled when everything else had ended is "lost"; unsettled at the watchdog, "hung".
  const lost = hung ? 0 : unsettled;
  const stillWaiting = hung ? unsettled : 0;
  const duplicated = outcomes.filter((n) => n > 1).length;
  const left = await settings.left();
  console.log(
    `faults: ${TASKS} tasks, ${injected} injected, ${lost} lost, ${duplicated} duplicated, ` +
      `${stillWaiting} hung, ${left} ${settings.noun} left (seed ${seed})`,
  );
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} tasks ended wrongly`);
  assert.equal(lost, 0);
  assert.equal(stillWaiting, 0);
  assert.equal(duplicated, 0);
  assert.equal(left, 0);
  assert.ok(injected > TASKS * FAULT_RATE / 2, "faults were injected");
}
