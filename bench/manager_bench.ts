/**
 * A `Manager` proxy call's round trip, beside its floor, interleaved so a busy spell of
 * the machine slows all alike; medians printed after Deno's table (per run of 100
 * calls: divide by 100 for one call):
 *
 * - the floor: a raw ping-pong through shared memory with a raw worker (write, notify,
 *   `Atomics.wait` for the answer), the least any synchronous cross-thread call costs;
 * - `dict.get`, `dict.set` and a `Namespace` attribute read from the main program;
 * - for scale, a `postMessage` round trip to a raw worker (what a proxy over
 *   MessagePorts would cost at best, and it could not be synchronous);
 * - from inside a pool worker: a task making 1,000 `dict.get` calls (one run).
 *
 * Run with `deno bench -A --unstable-worker-options bench/manager_bench.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Manager, Pool } from "../mod.ts";
import { bench, interleaved } from "./report.ts";
import { getMany } from "../tests/fixtures/manager_tasks.ts";

const CALLS = 100;
const WORKER_CALLS = 1_000;

// A raw worker: answers pings through shared memory (in a loop that never yields), or
// echoes messages; one of each.
const RAW_WORKER = `
onmessage = ({ data }) => {
  if (data === "echo") return postMessage("echo");
  const c = new Int32Array(data);
  postMessage("ready");
  for (;;) {
    let state = Atomics.load(c, 0);
    while (state !== 1) { Atomics.wait(c, 0, state); state = Atomics.load(c, 0); }
    if (c[1] === 1) break;
    Atomics.store(c, 0, 2);
    Atomics.notify(c, 0, 1);
  }
  close();
};
`;

const rawWorker = (): Worker =>
  new Worker(`data:text/javascript,${encodeURIComponent(RAW_WORKER)}`, { type: "module" });
const raw = rawWorker();
const echoer = rawWorker();
const cells = new Int32Array(new SharedArrayBuffer(8));
await new Promise((resolve) => {
  raw.onmessage = resolve;
  raw.postMessage(cells.buffer);
});

function ping(): void {
  Atomics.store(cells, 0, 1);
  Atomics.notify(cells, 0, 1);
  while (Atomics.load(cells, 0) !== 2) Atomics.wait(cells, 0, 1);
  Atomics.store(cells, 0, 0);
}

function echo(): Promise<void> {
  return new Promise((resolve) => {
    echoer.onmessage = () => resolve();
    echoer.postMessage("echo");
  });
}

// Registered before the pools open: it closes them before the library checks, at
// unload, for pools left open.
globalThis.addEventListener("unload", () => {
  Atomics.store(cells, 1, 1);
  Atomics.store(cells, 0, 1);
  Atomics.notify(cells, 0);
  echoer.terminate();
  manager.shutdown();
  void pool.terminate();
});
const manager = await Manager.start();
const dict = manager.dict<string, number>({ a: 1 });
const ns = manager.Namespace({ x: 1 });
// Added before the pool opens, so it runs before the library's check for open pools.
const pool = await Pool.open({ processes: 1 });

interleaved(`proxy call x${CALLS}`, [
  {
    name: `raw shared-memory ping-pong with a worker x${CALLS}`,
    baseline: true,
    fn() {
      for (let i = 0; i < CALLS; i++) ping();
    },
  },
  {
    name: `dict.get x${CALLS}`,
    fn() {
      for (let i = 0; i < CALLS; i++) dict.get("a");
    },
  },
  {
    name: `dict.set x${CALLS}`,
    fn() {
      for (let i = 0; i < CALLS; i++) dict.set("b", i);
    },
  },
  {
    name: `Namespace attribute read x${CALLS}`,
    fn() {
      for (let i = 0; i < CALLS; i++) assert.equal(ns.x, 1);
    },
  },
  {
    name: `raw postMessage round trip x${CALLS}`,
    async fn() {
      for (let i = 0; i < CALLS; i++) await echo();
    },
  },
], { n: 200, warmup: 20 });

bench({
  group: "from a pool worker",
  name: `task making ${WORKER_CALLS} dict.get calls`,
  n: 50,
  warmup: 5,
  async fn() {
    assert.equal(await pool.apply(getMany, [dict, WORKER_CALLS]), WORKER_CALLS);
  },
});
