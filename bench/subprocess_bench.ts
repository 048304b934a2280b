/**
 * The subprocess backend beside the worker backend, in one run:
 *
 * - start-up: open a pool of 1 process, run one task, and close it;
 * - per-task overhead: one `pool.apply(square, [i])` round trip at a time;
 * - map throughput: `pool.map(square, xs)` over 100,000 integers on 2 processes,
 *   default chunking;
 * - many calls: 20,000 `applyAsync(square, [i])` awaited together.
 *
 * Run with `deno bench -A --unstable-worker-options bench/subprocess_bench.ts`. Each
 * group runs the two backends interleaved; the medians are printed at the end (see
 * `report.ts`). The pools for the last three groups are opened once, below, and closed
 * when the module unloads.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { square } from "./fixtures.ts";
import { interleaved } from "./report.ts";

const PROCESSES = 2;
const MAP_ITEMS = 100_000;
const CALLS = 20_000;
const xs = Array.from({ length: MAP_ITEMS }, (_, i) => i);
const ids = Array.from({ length: CALLS }, (_, i) => i);
const backends = ["worker", "subprocess"] as const;

// Registered before the pools open: it closes them before the library checks, at
// unload, for pools left open.
globalThis.addEventListener("unload", () => {
  for (const pool of Object.values(pools)) void pool.terminate();
});
const pools = {
  worker: await Pool.open({ processes: PROCESSES, backend: "worker" }),
  subprocess: await Pool.open({ processes: PROCESSES, backend: "subprocess" }),
};

interleaved(
  "start-up: open a pool of 1, one task, close",
  backends.map((backend) => ({
    name: backend,
    baseline: backend === "worker",
    async fn() {
      await using pool = await Pool.open({ processes: 1, backend });
      assert.equal(await pool.apply(square, [3]), 9);
    },
  })),
  { n: 30, warmup: 3 },
);

let call = 0;
interleaved(
  "per task: one apply round trip",
  backends.map((backend) => ({
    name: backend,
    baseline: backend === "worker",
    async fn() {
      const i = ++call;
      assert.equal(await pools[backend].apply(square, [i]), i * i);
    },
  })),
  { n: 1000, warmup: 50 },
);

interleaved(
  `map: 100,000 squares on ${PROCESSES} processes`,
  backends.map((backend) => ({
    name: backend,
    baseline: backend === "worker",
    async fn() {
      const out = await pools[backend].map(square, xs);
      assert.equal(out[MAP_ITEMS - 1], (MAP_ITEMS - 1) ** 2);
    },
  })),
  { n: 20, warmup: 2 },
);

interleaved(
  `many calls: ${CALLS.toLocaleString("en")} applyAsync awaited together`,
  backends.map((
    backend,
  ) => ({
    name: backend,
    baseline: backend === "worker",
    async fn() {
      const out = await Promise.all(ids.map((i) => pools[backend].applyAsync(square, [i])));
      assert.equal(out[CALLS - 1], (CALLS - 1) ** 2);
    },
  })),
  { n: 8, warmup: 1 },
);
