/**
 * The pool against raw `postMessage` between isolates, in the same run, so Deno prints
 * the ratio of each pool call to the floor it is judged against.
 *
 * - W1: `pool.map(square, xs)` over 100,000 integers, default chunking, against two raw
 *   workers that get the same integers in the same number of batched messages.
 * - W2: 20,000 `pool.applyAsync(square, [i])` awaited together, against 20,000 raw
 *   messages all posted at once, and against one raw message in flight per worker.
 *
 * Run with `deno bench -A --unstable-worker-options bench/` (`deno task bench`). The pool
 * and the raw workers are opened once, below, and stopped when the bench module unloads;
 * each group runs interleaved, and the medians and ratios are printed after Deno's table
 * (see `report.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { square } from "./fixtures.ts";
import type { RawReply, RawRequest } from "./raw_worker.ts";
import { interleaved } from "./report.ts";

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

// Registered before the pools open: it closes them before the library checks, at
// unload, for pools left open.
globalThis.addEventListener("unload", () => {
  for (const worker of raw) worker.terminate();
  void pool.terminate();
});
const pool = await Pool.open({ processes: PROCESSES });
const raw = Array.from({ length: PROCESSES }, () => new RawWorker());

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

interleaved("W1 map 100k", [
  {
    name: "raw postMessage, 8 batches to 2 workers",
    baseline: true,
    fn: () => rawMap(xs),
  },
  {
    name: "pool.map(square, 100k), 2 processes",
    target: { throughputAtLeast: 0.8 },
    fn: () => pool.map(square, xs),
  },
], { n: 200, warmup: 20 });

interleaved("W2 apply 20k", [
  {
    name: "raw postMessage, 20k pipelined to 2 workers",
    baseline: true,
    fn: () => rawPipelined(ids),
  },
  {
    name: "raw postMessage, 20k one in flight per worker",
    fn: () => rawOneInFlight(ids),
  },
  {
    name: "pool.applyAsync(square) x 20k, Promise.all, 2 processes",
    target: { throughputAtLeast: 0.5 },
    fn: () => poolApplyAll(ids),
  },
], { n: 15, warmup: 2 });
