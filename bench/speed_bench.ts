/**
 * The speed suite beside its raw baselines, in the same run (plain `Worker` +
 * `postMessage`, no library):
 *
 * - W3: 8 CPU-bound tasks of about 250 ms on `cpuCount()` workers, against the main
 *   thread alone and against raw workers doing the same;
 * - W4: opening a pool of 2 until each worker has answered one task, against two raw
 *   workers answering one message each;
 * - W5: a 32 MiB `ArrayBuffer` to a worker and back, copied and moved (`transfer()`);
 * - W6: `imap` over 1,000,000 generated items (chunksize 1,000), against raw workers fed
 *   the same batches with the same bound in flight. Its memory is measured apart, over
 *   100,000, 1,000,000 and 3,000,000 items, and printed at the end: the live heap stays
 *   flat whatever the input's length.
 *
 * W4 and W5 run interleaved (see `report.ts`). W1 and W2 live in `pool_bench.ts`. Run
 * all with `deno task bench`.
 *
 * @module
 */
import { cpuCount, Pool, transfer } from "../mod.ts";
import type { RawSpeedRequest } from "./raw_speed_worker.ts";
import { bench, interleaved } from "./report.ts";
import { bounce, burn, echo, increment, TASK_TURNS } from "./work.ts";

const CPU_TASKS = 8;
const BUFFER_BYTES = 32 * 1024 * 1024;
const IMAP_ITEMS = 1_000_000;
const IMAP_CHUNK = 1_000;
const RAW_URL = new URL("./raw_speed_worker.ts", import.meta.url);

/** A raw worker answering requests by id: the floor, with no library code. */
class RawWorker {
  readonly #worker = new Worker(RAW_URL, { type: "module" });
  readonly #waiting = new Map<number, (value: unknown) => void>();
  #next = 0;

  constructor() {
    this.#worker.onmessage = (event: MessageEvent<[number, unknown]>) => {
      const [id, value] = event.data;
      this.#waiting.get(id)?.(value);
      this.#waiting.delete(id);
    };
  }

  ask(request: (id: number) => RawSpeedRequest, transfer: Transferable[] = []): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#worker.postMessage(request(id), transfer);
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/** Sends `count` requests over `workers`, at most `inFlight` at once, round robin. */
async function pipelined(
  workers: RawWorker[],
  count: number,
  inFlight: number,
  request: (i: number) => (id: number) => RawSpeedRequest,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await workers[i % workers.length]!.ask(request(i));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

const processes = cpuCount();
// Registered before the pools open: it closes them before the library checks, at
// unload, for pools left open.
globalThis.addEventListener("unload", () => {
  pool.terminate();
  copyPool.terminate();
  for (const worker of [...rawWorkers, copyRaw]) worker.terminate();
  for (const line of memoryLines) console.log(line);
});
const pool = await Pool.open({ processes });
const rawWorkers = Array.from({ length: processes }, () => new RawWorker());
const copyPool = await Pool.open({ processes: 1 });
const copyRaw = new RawWorker();
let moving: ArrayBuffer = new ArrayBuffer(BUFFER_BYTES);
let movingRaw: ArrayBuffer = new ArrayBuffer(BUFFER_BYTES);
const copied = new ArrayBuffer(BUFFER_BYTES);
// Every worker imports the task module before anything is timed.
await pool.map(burn, Array.from({ length: processes }, () => 1), { chunksize: 1 });
await copyPool.apply(echo, [new ArrayBuffer(8)]);
await copyPool.apply(bounce, [transfer(new ArrayBuffer(8))]);

function* counting(count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield i;
}

/** `gc()`, when the bench runs with `--v8-flags=--expose-gc` (as `deno task bench` does). */
const gc = (globalThis as { gc?: () => void }).gc;

/**
 * W6's memory, measured apart from its timed runs: `imap` over `count` items, sampling
 * every 100,000 the process RSS and (after a collection) the live heap. Returns a line
 * with the peak growth of each.
 */
async function imapMemory(count: number): Promise<string> {
  gc?.();
  const before = Deno.memoryUsage();
  let rss = before.rss;
  let heap = before.heapUsed;
  let seen = 0;
  for await (const _ of pool.imap(increment, counting(count), { chunksize: IMAP_CHUNK })) {
    if (++seen % 100_000 !== 0) continue;
    gc?.();
    const now = Deno.memoryUsage();
    rss = Math.max(rss, now.rss);
    heap = Math.max(heap, now.heapUsed);
  }
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const live = gc ? `live heap +${mib(heap - before.heapUsed)}` : "live heap: needs --expose-gc";
  return `W6 memory, imap over ${count.toLocaleString("en")} items: ${live}, ` +
    `peak RSS +${mib(rss - before.rss)}`;
}

const memoryLines: string[] = [];
for (const count of [IMAP_ITEMS / 10, IMAP_ITEMS, IMAP_ITEMS * 3]) {
  memoryLines.push(await imapMemory(count));
}

bench({
  group: "W3 8 CPU tasks of ~250 ms",
  name: "main thread alone",
  n: 2,
  warmup: 1,
  fn() {
    for (let i = 0; i < CPU_TASKS; i++) burn(TASK_TURNS);
  },
});
bench({
  group: "W3 8 CPU tasks of ~250 ms",
  name: `raw workers (${processes})`,
  baseline: true,
  n: 3,
  warmup: 1,
  async fn() {
    await pipelined(rawWorkers, CPU_TASKS, processes, () => (id) => [id, "burn", TASK_TURNS]);
  },
});
bench({
  group: "W3 8 CPU tasks of ~250 ms",
  name: `pool.map(burn) on cpuCount() = ${processes} workers`,
  target: { throughputAtLeast: 0.97 },
  n: 3,
  warmup: 1,
  async fn() {
    await pool.map(burn, Array.from({ length: CPU_TASKS }, () => TASK_TURNS), { chunksize: 1 });
  },
});

interleaved("W4 start 2 workers, one answer each", [
  {
    name: "raw workers",
    baseline: true,
    async fn() {
      const workers = [new RawWorker(), new RawWorker()];
      await Promise.all(workers.map((worker) => worker.ask((id) => [id, "burn", 1])));
      for (const worker of workers) worker.terminate();
    },
  },
  {
    name: "Pool.open + one task per worker",
    target: { timeAtMost: 1.2 },
    async fn() {
      const fresh = await Pool.open({ processes: 2 });
      await fresh.map(burn, [1, 1], { chunksize: 1 });
      await fresh.terminate();
    },
  },
], { n: 40, warmup: 5 });

interleaved("W5 32 MiB there and back", [
  {
    name: "raw postMessage, copied",
    baseline: true,
    async fn() {
      await copyRaw.ask((id) => [id, "echo", copied, false]);
    },
  },
  {
    name: "pool.apply, copied",
    target: { timeAtMost: 1.1 },
    async fn() {
      await copyPool.apply(echo, [copied]);
    },
  },
  {
    name: "raw postMessage, moved",
    async fn() {
      const buffer = movingRaw;
      movingRaw = await copyRaw.ask((id) => [id, "echo", buffer, true], [buffer]) as ArrayBuffer;
    },
  },
  {
    name: "pool.apply with transfer(), moved",
    target: { underMs: 2 },
    async fn() {
      moving = await copyPool.apply(bounce, [transfer(moving)]);
    },
  },
], { n: 30, warmup: 3 });

/** Runs `imap` over `count` items to the end. */
async function imapRun(count: number): Promise<void> {
  for await (const _ of pool.imap(increment, counting(count), { chunksize: IMAP_CHUNK })) {
    // Only the throughput counts here; W6's memory is measured above.
  }
}

bench({
  group: "W6 imap over 1,000,000 generated items",
  name: "raw workers, same batches, same bound in flight",
  baseline: true,
  n: 3,
  warmup: 1,
  async fn() {
    const batches = IMAP_ITEMS / IMAP_CHUNK;
    await pipelined(
      rawWorkers,
      batches,
      processes * 4,
      (b) => (id) => [
        id,
        "echo",
        Array.from({ length: IMAP_CHUNK }, (_, i) => b * IMAP_CHUNK + i + 1),
        false,
      ],
    );
  },
});
bench({
  group: "W6 imap over 1,000,000 generated items",
  name: "pool.imap(increment, generator, { chunksize: 1000 })",
  n: 3,
  warmup: 1,
  async fn() {
    await imapRun(IMAP_ITEMS);
  },
});
