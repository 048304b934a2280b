/**
 * How big a pool may be, checked: a fixed pool (`processes`), or an elastic one
 * (`maxProcesses`, `minProcesses`, `idleTimeout`), and how much work its queue may hold
 * (`maxQueue`). The engine sizes the pool from the result (`engine_sizing.ts` for the
 * elastic pool, `engine_admission.ts` for `maxQueue`); the options themselves are
 * documented on `PoolOptions` (`pool_options.ts`).
 *
 * @module
 */
import type { PoolOptions } from "./pool_options.ts";
import {
  describe,
  nonNegativeInteger,
  positiveInteger,
  positiveNumber,
} from "./pool_option_checks.ts";

/**
 * The most processes a pool may have. Each one is a V8 isolate on its own thread (about
 * 7-12 MB for a worker, about 40 MB for a subprocess), started when the pool opens: on
 * the 2-core reference machine 256 workers took 16 s and 2.1 GB to answer their first
 * task, and `processes: 10000` had not opened after 42 s, at 811 threads and over 6 GiB.
 * CPU-bound work gains nothing past the core count, and I/O-bound work is better served
 * by async tasks on fewer workers; so a larger number is a mistake (a typo, a size
 * computed from the input), and it fails at once rather than take the machine down.
 * 256 is above the core count of nearly every machine (the default, `cpuCount()`, is
 * capped at it).
 *
 * @example
 * ```ts
 * import { MAX_PROCESSES } from "./pool_sizing_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_PROCESSES, 256);
 * ```
 */
export const MAX_PROCESSES = 256;

/** How long a spare worker of an elastic pool may stay idle, by default, in ms. */
const IDLE_TIMEOUT_MS = 10_000;

/**
 * The size options of a pool, checked: a fixed pool has `min === max` and no timeout.
 *
 * @example A fixed pool of 4, with no limit on its queue
 * ```ts
 * import type { PoolSizing } from "./pool_sizing_options.ts";
 *
 * const fixed: PoolSizing = { processes: 4, minProcesses: 4, idleTimeout: null, maxQueue: null };
 * ```
 */
export interface PoolSizing {
  /** The most workers (a fixed pool: its workers). */
  readonly processes: number;
  /** The fewest workers, started when the pool opens. */
  readonly minProcesses: number;
  /** How long a spare worker may stay idle, in ms; null for a fixed pool. */
  readonly idleTimeout: number | null;
  /** Chunks the queue may hold before calls wait for room; null for no limit. */
  readonly maxQueue: number | null;
}

/**
 * Checks `processes`, or the elastic pool's `minProcesses`, `maxProcesses` and
 * `idleTimeout`, and `maxQueue`, and fills in the defaults.
 *
 * @param options The options `Pool.open` (or `Pool.make`) was given.
 * @returns The pool's sizing.
 * @throws {RangeError} A size out of range (`processes: 0`, `minProcesses` above
 *   `maxProcesses`).
 * @throws {TypeError} Options that exclude each other (`processes` with `maxProcesses`),
 *   or elastic options without `maxProcesses`.
 *
 * @example
 * ```ts
 * import { sizingOf } from "./pool_sizing_options.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(sizingOf({ maxProcesses: 4 }), {
 *   processes: 4,
 *   minProcesses: 0,
 *   idleTimeout: 10_000,
 *   maxQueue: null,
 * });
 * assert.throws(() => sizingOf({ processes: 2, maxProcesses: 4 }), TypeError);
 * ```
 */
export function sizingOf(options: PoolOptions): PoolSizing {
  const workers = workersOf(options);
  const { maxQueue } = options;
  if (maxQueue !== undefined) positiveInteger("open pool", "maxQueue", maxQueue);
  return { ...workers, maxQueue: maxQueue ?? null };
}

/** The fixed pool's `processes`, or the elastic pool's bounds and idle timeout, checked. */
function workersOf(options: PoolOptions): Omit<PoolSizing, "maxQueue"> {
  const { minProcesses, maxProcesses, idleTimeout } = options;
  if (maxProcesses === undefined) {
    const given = minProcesses !== undefined ? "minProcesses" : "idleTimeout";
    if (minProcesses !== undefined || idleTimeout !== undefined) {
      throw new TypeError(
        `Cannot open pool as '${given}' needs 'maxProcesses' (the most workers an elastic ` +
          `pool may grow to): pass 'maxProcesses' too, or 'processes' for a fixed pool`,
      );
    }
    const processes = options.processes ??
      Math.min(navigator.hardwareConcurrency, MAX_PROCESSES);
    processCount("processes", processes);
    return { processes, minProcesses: processes, idleTimeout: null };
  }
  if (options.processes !== undefined) {
    throw new TypeError(
      `Cannot open pool as 'processes' (a fixed size) and 'maxProcesses' (an elastic pool) ` +
        `exclude each other: pass one of them; current values are ${
          describe(options.processes)
        } and ${describe(maxProcesses)}`,
    );
  }
  processCount("maxProcesses", maxProcesses);
  const min = minProcesses ?? 0;
  nonNegativeInteger("open pool", "minProcesses", min);
  if (min > maxProcesses) {
    throw new RangeError(
      `Cannot open pool as 'minProcesses' must be at most 'maxProcesses' (${maxProcesses}): ` +
        `current value is ${min}`,
    );
  }
  if (idleTimeout !== undefined) positiveNumber("open pool", "idleTimeout", idleTimeout);
  return {
    processes: maxProcesses,
    minProcesses: min,
    idleTimeout: idleTimeout ?? IDLE_TIMEOUT_MS,
  };
}

/** Checks a number of processes: an integer from 1 to `MAX_PROCESSES`. */
function processCount(option: string, value: unknown): asserts value is number {
  positiveInteger("open pool", option, value);
  if ((value as number) > MAX_PROCESSES) {
    throw new RangeError(
      `Cannot open pool as '${option}' must be an integer from 1 to ${MAX_PROCESSES}: ` +
        `current value is ${value}`,
    );
  }
}
