/**
 * The pool against raw `postMessage` between isolates, in the same run, so Deno prints
 * the ratio of each pool call to the floor it is judged against.
 *
 * - W1: `pool.map(square, xs)` over 100,000 integers, default chunking, against two raw
 *   workers that get the same integers in the same number of batched messages.
 * - W2: 20,000 `pool.applyAsync(square, [i])` awaited together, against 20,000 raw
 *   messages all posted at once, and against one raw message in flight per worker.
 *
 * Run with `deno bench -A --unstable-worker-options bench/`. The pool and the raw
 * workers are opened once, below, and stopped when the bench module unloads. Deno's
 * table has no median: set `BENCH_P50=1` to print each bench's p50 (over all its runs,
 * warm-up included) to stderr at the end.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { square } from "./fixtures.ts";
import type { RawReply, RawRequest } from "./raw_worker.ts";

const PROCESSES = 2;
const MAP_ITEMS = 100_000;
const APPLY_CALLS = 20_000;

/** Two plain workers that know nothing of the library: the floor. */
class RawWorker {
  readonly #worker = new Worker(new URL("./raw_worker.ts", import.meta.url), { type: "module" });

  /** Who hears the next replies: set by each benchmark run. */
  set onReply(listener: (id: number, value: RawReply[1]) => void) {
    this.#worker.onmessage = (event: MessageEvent<RawReply>) => {
      listener(event.data[0], event.data[1]);
    };
  }

  post(request: RawRequest): void {
    this.#worker.postMessage(request);
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/** Per-run durations, kept only when `BENCH_P50` is set. */
const samples = new Map<string, number[]>();
const keepSamples = Deno.env.get("BENCH_P50") !== undefined;

/** A bench body that also records its own duration, for the median. */
function timed(name: string, run: () => Promise<unknown>): () => Promise<void> {
  if (!keepSamples) {
    return async () => {
      await run();
    };
  }
  const runs: number[] = [];
  samples.set(name, runs);
  return async () => {
    const start = performance.now();
    await run();
    runs.push(performance.now() - start);
  };
}

function reportMedians(): void {
  for (const [name, runs] of samples) {
    const sorted = runs.toSorted((a, b) => a - b);
    const mid = sorted.length >> 1;
    const p50 = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    console.error(`p50 ${p50.toFixed(2)} ms (${runs.length} runs): ${name}`);
  }
}

const pool = await Pool.open({ processes: PROCESSES });
const raw = Array.from({ length: PROCESSES }, () => new RawWorker());
globalThis.addEventListener("unload", () => {
  for (const worker of raw) worker.terminate();
  void pool.terminate();
  if (samples.size > 0) reportMedians();
});

const xs = Array.from({ length: MAP_ITEMS }, (_, i) => i);
const ids = Array.from({ length: APPLY_CALLS }, (_, i) => i);
/** Python's default chunksize, as the pool computes it: 8 messages for 100,000 items. */
const chunksize = Math.ceil(MAP_ITEMS / (4 * PROCESSES));

/** W1's floor: batches round-robin to the raw workers, answers joined in input order. */
function rawMap(input: readonly number[]): Promise<number[]> {
  const batches = Math.ceil(input.length / chunksize);
  return new Promise((resolve) => {
    const out = new Array<number>(input.length);
    let left = batches;
    const onReply = (id: number, value: RawReply[1]): void => {
      const ys = value as number[];
      const offset = id * chunksize;
      for (let i = 0; i < ys.length; i++) out[offset + i] = ys[i]!;
      if (--left === 0) resolve(out);
    };
    for (const worker of raw) worker.onReply = onReply;
    for (let b = 0; b < batches; b++) {
      raw[b % raw.length]!.post([b, input.slice(b * chunksize, (b + 1) * chunksize)]);
    }
  });
}

/** W2's first floor: every message posted at once, answers matched by id. */
function rawPipelined(inputs: readonly number[]): Promise<number[]> {
  return new Promise((resolve) => {
    const out = new Array<number>(inputs.length);
    let left = inputs.length;
    const onReply = (id: number, value: RawReply[1]): void => {
      out[id] = value as number;
      if (--left === 0) resolve(out);
    };
    for (const worker of raw) worker.onReply = onReply;
    for (let id = 0; id < inputs.length; id++) raw[id % raw.length]!.post([id, inputs[id]!]);
  });
}

/** W2's second floor: each worker gets its next message only after answering the last. */
function rawOneInFlight(inputs: readonly number[]): Promise<number[]> {
  return new Promise((resolve) => {
    const out = new Array<number>(inputs.length);
    let left = inputs.length;
    raw.forEach((worker, w) => {
      worker.onReply = (id, value) => {
        out[id] = value as number;
        if (--left === 0) return resolve(out);
        const next = id + raw.length;
        if (next < inputs.length) worker.post([next, inputs[next]!]);
      };
      if (w < inputs.length) worker.post([w, inputs[w]!]);
    });
  });
}

function poolApplyAll(inputs: readonly number[]): Promise<number[]> {
  return Promise.all(inputs.map((x) => pool.applyAsync(square, [x])));
}

// Every contender must compute the same thing before it is timed.
const expectedMap = xs.map(square);
const expectedApply = ids.map(square);
assert.deepEqual(await pool.map(square, xs), expectedMap);
assert.deepEqual(await rawMap(xs), expectedMap);
assert.deepEqual(await poolApplyAll(ids), expectedApply);
assert.deepEqual(await rawPipelined(ids), expectedApply);
assert.deepEqual(await rawOneInFlight(ids), expectedApply);

/** Registers a bench that also records its durations when `BENCH_P50` is set. */
function bench(group: string, name: string, run: () => Promise<unknown>, baseline = false): void {
  Deno.bench({ group, name, baseline, fn: timed(name, run) });
}

const W1 = "W1 map 100k";
bench(W1, "raw postMessage, 8 batches to 2 workers", () => rawMap(xs), true);
bench(W1, "pool.map(square, 100k), 2 processes", () => pool.map(square, xs));

const W2 = "W2 apply 20k";
bench(W2, "raw postMessage, 20k pipelined to 2 workers", () => rawPipelined(ids), true);
bench(W2, "raw postMessage, 20k one in flight per worker", () => rawOneInFlight(ids));
bench(W2, "pool.applyAsync(square) x 20k, Promise.all, 2 processes", () => poolApplyAll(ids));
