/**
 * The subprocess backend beside the worker backend, in one run:
 *
 * - start-up: open a pool of 1 process, run one task, and close it;
 * - per-task overhead: one `pool.apply(square, [i])` round trip at a time;
 * - map throughput: `pool.map(square, xs)` over 100,000 integers on 2 processes,
 *   default chunking.
 *
 * Run with `deno bench -A --unstable-worker-options bench/subprocess_bench.ts`. The
 * pools for the last two groups are opened once, below, and closed when the module
 * unloads.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { square } from "./fixtures.ts";

const PROCESSES = 2;
const MAP_ITEMS = 100_000;
const xs = Array.from({ length: MAP_ITEMS }, (_, i) => i);
const backends = ["worker", "subprocess"] as const;

const pools = {
  worker: await Pool.open({ processes: PROCESSES, backend: "worker" }),
  subprocess: await Pool.open({ processes: PROCESSES, backend: "subprocess" }),
};
globalThis.addEventListener("unload", () => {
  for (const pool of Object.values(pools)) void pool.terminate();
});

for (const backend of backends) {
  Deno.bench({
    name: `start-up: open a pool of 1, one task, close (${backend})`,
    group: "start-up",
    baseline: backend === "worker",
    async fn() {
      await using pool = await Pool.open({ processes: 1, backend });
      assert.equal(await pool.apply(square, [3]), 9);
    },
  });
}

for (const backend of backends) {
  let i = 0;
  Deno.bench({
    name: `per task: one apply round trip (${backend})`,
    group: "per-task",
    baseline: backend === "worker",
    async fn() {
      i++;
      assert.equal(await pools[backend].apply(square, [i]), i * i);
    },
  });
}

for (const backend of backends) {
  Deno.bench({
    name: `map: 100,000 squares on ${PROCESSES} processes (${backend})`,
    group: "map",
    baseline: backend === "worker",
    n: 20,
    async fn() {
      const out = await pools[backend].map(square, xs);
      assert.equal(out[MAP_ITEMS - 1], (MAP_ITEMS - 1) ** 2);
    },
  });
}
