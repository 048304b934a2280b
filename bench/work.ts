/**
 * The workloads of the speed suite, shared by the pool's tasks, the raw workers and
 * the single-thread baseline so all three do exactly the same work.
 *
 * @module
 */
import { transfer } from "../lib/worker/api.ts";

/** Loop turns of one W3 task: about 250 ms on one core of the reference machine. */
export const TASK_TURNS = 55_000_000;

/**
 * CPU-bound work: a fixed number of loop turns, so every contender does the same work
 * and contention shows as a longer run, as it should.
 *
 * @example
 * ```ts
 * import { burn } from "./work.ts";
 *
 * burn(1000);
 * ```
 */
export function burn(turns: number): number {
  let x = 0;
  for (let i = 0; i < turns; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

/**
 * Returns its argument: the pool side of the copy round trip.
 *
 * @example
 * ```ts
 * import { echo } from "./work.ts";
 *
 * echo(new ArrayBuffer(1));
 * ```
 */
export function echo(buffer: ArrayBuffer): ArrayBuffer {
  return buffer;
}

/**
 * Moves its buffer back: the pool side of the zero-copy round trip.
 *
 * @example
 * ```ts
 * import { bounce } from "./work.ts";
 *
 * bounce(new ArrayBuffer(1));
 * ```
 */
export function bounce(buffer: ArrayBuffer): ReturnType<typeof transfer<ArrayBuffer>> {
  return transfer(buffer);
}

/**
 * x + 1: the tiny task of the `imap` throughput run.
 *
 * @example
 * ```ts
 * import { increment } from "./work.ts";
 *
 * increment(1);
 * ```
 */
export function increment(x: number): number {
  return x + 1;
}
