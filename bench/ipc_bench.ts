/**
 * Queue throughput and lock hand-offs between two workers, each beside its floor in the
 * same run, so Deno prints the ratio:
 *
 * - Q: 2,000 small items (`["P", i]`) through a `Queue` from one pool worker to
 *   another, against the same items posted over a raw `MessageChannel` between two raw
 *   workers (the baseline).
 * - L: two pool workers each take a `Lock` 20,000 times to add 1 to a shared `Value`
 *   (the lock changes hands under contention), against two raw workers doing the same
 *   with a bare futex mutex on `Atomics` (the baseline).
 *
 * Run with `deno bench -A --unstable-worker-options bench/ipc_bench.ts`. The pool and
 * the raw workers are opened once, below, and stopped when the bench module unloads.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { Lock } from "../lib/comms/lock.ts";
import { Queue } from "../lib/comms/queue.ts";
import { Value } from "../lib/comms/value.ts";
import { consume, increment, produce } from "../tests/fixtures/ipc_tasks.ts";

const ITEMS = 2_000;
const LOCKS = 20_000;

// A raw worker that knows nothing of the library, as a module of its own (data: URL).
const RAW_WORKER = `
const lock = (c) => {
  let s = Atomics.compareExchange(c, 0, 0, 1);
  if (s === 0) return;
  if (s !== 2) s = Atomics.exchange(c, 0, 2);
  while (s !== 0) { Atomics.wait(c, 0, 2); s = Atomics.exchange(c, 0, 2); }
};
const unlock = (c) => {
  if (Atomics.sub(c, 0, 1) !== 1) { Atomics.store(c, 0, 0); Atomics.notify(c, 0, 1); }
};
onmessage = ({ data: [kind, a, n] }) => {
  if (kind === "send") {
    for (let i = 0; i < n; i++) a.postMessage(["P", i]);
    postMessage("done");
  } else if (kind === "recv") {
    let got = 0;
    a.onmessage = () => { if (++got === n) { a.onmessage = null; a.close(); postMessage("done"); } };
  } else if (kind === "lock") {
    const c = new Int32Array(a);
    for (let i = 0; i < n; i++) { lock(c); c[1]++; unlock(c); }
    postMessage("done");
  }
};
`;

class RawWorker {
  readonly #worker = new Worker(`data:text/javascript,${encodeURIComponent(RAW_WORKER)}`, {
    type: "module",
  });

  run(message: unknown[], transfer: Transferable[] = []): Promise<void> {
    return new Promise((resolve) => {
      this.#worker.onmessage = () => resolve();
      this.#worker.postMessage(message, transfer);
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

const raw = [new RawWorker(), new RawWorker()] as const;
// Registered before the pools open: it closes them before the library checks, at
// unload, for pools left open.
globalThis.addEventListener("unload", () => {
  for (const worker of raw) worker.terminate();
  void pool.terminate();
});
const pool = await Pool.open({ processes: 2 });

Deno.bench({
  group: "queue",
  name: `Q raw MessagePort: ${ITEMS} items worker to worker`,
  baseline: true,
  async fn() {
    const { port1, port2 } = new MessageChannel();
    const received = raw[1].run(["recv", port2, ITEMS], [port2]);
    await raw[0].run(["send", port1, ITEMS], [port1]);
    await received;
  },
});

Deno.bench({
  group: "queue",
  name: `Q Queue: ${ITEMS} items worker to worker`,
  async fn() {
    const q = new Queue<[string, number]>();
    const [sent, got] = await Promise.all([
      pool.apply(produce, [q, "P", ITEMS]),
      pool.apply(consume, [q, ITEMS]),
    ]);
    assert.equal(sent, ITEMS);
    assert.equal(got.length, ITEMS);
  },
});

Deno.bench({
  group: "lock",
  name: `L raw Atomics mutex: 2 workers x ${LOCKS} hand-offs`,
  baseline: true,
  async fn() {
    const cells = new Int32Array(new SharedArrayBuffer(8));
    await Promise.all(raw.map((w) => w.run(["lock", cells.buffer, LOCKS])));
    assert.equal(cells[1], 2 * LOCKS);
  },
});

Deno.bench({
  group: "lock",
  name: `L Lock + Value: 2 workers x ${LOCKS} hand-offs`,
  async fn() {
    const counter = new Value("i32", 0, { lock: false });
    const lock = new Lock();
    await pool.starmap(increment, [[counter, lock, LOCKS], [counter, lock, LOCKS]]);
    assert.equal(counter.value, 2 * LOCKS);
  },
});
