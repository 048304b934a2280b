/**
 * Effect-native tasks against plain ones:
 *
 * - start-up: open a pool of 1, run one task, close, for a plain task whose module
 *   imports nothing (the baseline), a plain task whose module imports `effect/Effect`,
 *   and an Effect-native task from that same module (the worker then also loads the
 *   module that runs Effects, `lib/worker_effect/effect_task.ts`). The last two differ only in
 *   that module, which only a worker given an Effect loads;
 * - per item: `map` over 10,000 integers on 2 processes, plain vs Effect-native (each
 *   item's Effect runs on its own fiber, in its own scope).
 *
 * Run with `deno bench -A --unstable-worker-options bench/effect_task_bench.ts`. Each
 * group runs its contenders interleaved; the medians are printed at the end (see
 * `report.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { square } from "./fixtures.ts";
import { effectSquare, plainSquare } from "./effect_task_fixtures.ts";
import { interleaved } from "./report.ts";

const ITEMS = 10_000;
const xs = Array.from({ length: ITEMS }, (_, i) => i);

/** Opens a pool of 1, runs `fn(7)` once, closes it. */
async function startAndRun(fn: (x: number) => unknown): Promise<void> {
  await using pool = await Pool.open({ processes: 1 });
  assert.equal(await pool.apply(fn as (x: number) => number, [7]), 49);
}

interleaved(
  "start-up: open a pool of 1, one task, close",
  [
    { name: "plain task, module imports nothing", baseline: true, fn: () => startAndRun(square) },
    { name: "plain task, module imports effect/Effect", fn: () => startAndRun(plainSquare) },
    { name: "Effect-native task, same module", fn: () => startAndRun(effectSquare) },
  ],
  { n: 30, warmup: 3 },
);

// Registered before the pool opens: it closes it before the library checks, at unload,
// for pools left open.
globalThis.addEventListener("unload", () => void pool.terminate());
const pool = await Pool.open({ processes: 2 });

interleaved(
  `per item: map over ${ITEMS.toLocaleString("en")} integers on 2 processes`,
  [
    {
      name: "plain task",
      baseline: true,
      async fn() {
        assert.equal((await pool.map(plainSquare, xs))[ITEMS - 1], (ITEMS - 1) ** 2);
      },
    },
    {
      name: "Effect-native task",
      async fn() {
        assert.equal((await pool.map(effectSquare, xs))[ITEMS - 1], (ITEMS - 1) ** 2);
      },
    },
  ],
  { n: 20, warmup: 2 },
);
