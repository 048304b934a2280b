/**
 * The engine's observers hear every chunk's life exactly once and in order: queued, then
 * started on a named worker, then ended with the outcome its call heard. Scripted
 * endpoints stand in for the workers, so each outcome is exact and nothing is timed.
 */
import assert from "node:assert/strict";
import type { Endpoint, WorkerListener } from "../lib/backend/endpoint.ts";
import type { Engine } from "../lib/engine.ts";
import { scriptedEngine } from "./_scripted_engine.ts";
import type { ChunkOutcome, EngineObserver } from "../lib/engine_observer.ts";
import type { Chunk, Job } from "../lib/engine_types.ts";
import { type PoolError, WorkerCrashed } from "../lib/errors.ts";
import {
  DONE,
  FAILED,
  type FromWorker,
  INIT,
  READY,
  RUN,
  RUN_MANY,
  type RunMessage,
  type TaskRef,
  type ToWorker,
} from "../lib/shared/protocol.ts";
import { toWireError } from "../lib/shared/wire_error.ts";

/**
 * What a scripted worker answers to a run: doubles each item; a negative item throws
 * (the task's error); an item of 98 fails the chunk as a whole (its function was not
 * found); an item of 99 makes it answer for the wrong chunk (a protocol violation).
 */
function answer(run: RunMessage): FromWorker {
  const [, chunkId, , , items] = run;
  const xs = items as number[];
  if (xs.includes(99)) return [DONE, chunkId + 1000, [], null];
  if (xs.includes(98)) return [FAILED, chunkId, toWireError(new Error("gone"), "TaskNotFound")];
  const threw = xs.findIndex((x) => x < 0);
  if (threw < 0) return [DONE, chunkId, xs.map((x) => 2 * x), null];
  return [DONE, chunkId, xs.slice(0, threw).map((x) => 2 * x), [[
    threw,
    toWireError(new RangeError("negative")),
  ]]];
}

/** Starts endpoints that answer by `answer`, each after a microtask (as a worker would). */
function scriptedStart(_name: string, listener: WorkerListener): Endpoint {
  let alive = true;
  const say = (messages: FromWorker[]): void => {
    queueMicrotask(() => {
      for (const message of messages) if (alive) listener.message(message);
    });
  };
  const endpoint: Endpoint = {
    post(message: ToWorker) {
      if (!alive) return;
      if (message[0] === INIT) say([[READY]]);
      else if (message[0] === RUN) say([answer(message)]);
      else if (message[0] === RUN_MANY) say(message[1].map(answer));
    },
    terminate: () => void (alive = false),
    kill: () => void (alive = false),
    close: () => void (alive = false),
    get alive() {
      return alive;
    },
    batches: true,
    sharesMemory: true,
    pid: null,
    exited: null,
  };
  return endpoint;
}

function engine(observer?: EngineObserver): Engine {
  return scriptedEngine({
    name: "Watched",
    start: scriptedStart,
    ...(observer ? { observer } : {}),
  });
}

const REF: TaskRef = { kind: "inline", name: "double", source: "(x) => 2 * x" };

/** Runs one job of one chunk per item list; resolves once every chunk was heard of. */
function run(pool: Engine, lists: number[][], started?: (job: Job) => void): Promise<void> {
  return new Promise((resolve) => {
    let left = lists.length;
    const heard = (): void => void (--left === 0 && resolve());
    const job = pool.createJob(
      { ref: REF, task: "double", spread: false, faults: pool.faults },
      { done: heard, failed: heard },
    );
    started?.(job);
    lists.forEach((items, seq) => pool.submit({ job, seq, items }));
  });
}

/** An observer that writes down what it hears, one line per event. */
function recorder() {
  const lines: string[] = [];
  const times: number[] = [];
  const observer: Required<EngineObserver> = {
    chunkQueued(chunk, at) {
      lines.push(`queued ${chunk.seq}`);
      times.push(at);
    },
    chunkStarted(chunk, worker, at) {
      lines.push(`started ${chunk.seq} on ${worker}`);
      assert.equal(chunk.startedAt, at);
      assert.ok(at >= chunk.queuedAt!, "a chunk starts after it was queued");
      times.push(at);
    },
    chunkEnded(chunk: Chunk, outcome: ChunkOutcome, error: PoolError | null, at: number) {
      lines.push(`ended ${chunk.seq} ${outcome}${error ? ` ${error._tag}` : ""}`);
      if (chunk.startedAt !== undefined) assert.ok(at >= chunk.startedAt);
      times.push(at);
    },
  };
  return { observer, lines, times };
}

/** Each chunk's events, in the order heard. */
function byChunk(lines: readonly string[]): Map<string, string[]> {
  const chunks = new Map<string, string[]>();
  for (const line of lines) {
    const seq = line.split(" ")[1]!;
    chunks.set(seq, [...(chunks.get(seq) ?? []), line]);
  }
  return chunks;
}

Deno.test("an observer hears each chunk queued, started on its worker, then ended", async () => {
  const { observer, lines, times } = recorder();
  const pool = engine(observer);
  await run(pool, [[1], [2, -1], [98], [3]]);
  assert.deepEqual([...byChunk(lines).values()], [
    ["queued 0", "started 0 on Watched-1", "ended 0 done"],
    ["queued 1", "started 1 on Watched-1", "ended 1 task-error TaskError"],
    ["queued 2", "started 2 on Watched-1", "ended 2 failed TaskNotFound"],
    ["queued 3", "started 3 on Watched-1", "ended 3 done"],
  ]);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), "timestamps never go back");
  pool.terminate();
});

Deno.test("a crash ends the running chunk as failed and the chunks behind it start again", async () => {
  const { observer, lines } = recorder();
  const pool = engine(observer);
  await run(pool, [[99], [5]]);
  const chunks = byChunk(lines);
  assert.deepEqual(chunks.get("0"), [
    "queued 0",
    "started 0 on Watched-1",
    "ended 0 failed WorkerCrashed",
  ]);
  // Chunk 1 had been sent to the crashed worker without starting: it ran on the next.
  assert.deepEqual(chunks.get("1"), ["queued 1", "started 1 on Watched-2", "ended 1 done"]);
  pool.terminate();
});

Deno.test("a retried chunk ends each run and is queued again", async () => {
  const { observer, lines } = recorder();
  const pool = engine(observer);
  const outcome = await new Promise<PoolError | null>((resolve) => {
    const job = pool.createJob(
      { ref: REF, task: "double", spread: false, faults: { ...pool.faults, retries: 1 } },
      { done: () => resolve(null), failed: (_chunk, error) => resolve(error) },
    );
    pool.submit({ job, seq: 0, items: [99] });
  });
  assert.ok(outcome instanceof WorkerCrashed);
  assert.deepEqual(lines, [
    "queued 0",
    "started 0 on Watched-1",
    "ended 0 failed WorkerCrashed",
    "queued 0",
    "started 0 on Watched-2",
    "ended 0 failed WorkerCrashed",
  ]);
  pool.terminate();
});

Deno.test("chunks of a cancelled or terminated call end once, as cancelled or failed", async () => {
  const { observer, lines } = recorder();
  const pool = engine(observer);
  let job: Job | undefined;
  void run(pool, [[1], [2], [3], [4]], (started) => (job = started)); // hears nothing more
  pool.cancel(job!); // before the first dispatch: every chunk is still queued
  const other = run(pool, [[5]]);
  pool.terminate();
  await other;
  assert.deepEqual(lines, [
    "queued 0",
    "queued 1",
    "queued 2",
    "queued 3",
    "ended 0 cancelled",
    "ended 1 cancelled",
    "ended 2 cancelled",
    "ended 3 cancelled",
    "queued 0",
    "ended 0 failed PoolClosed",
  ]);
});

Deno.test("several observers hear the same events; one removed hears no more", async () => {
  const first = recorder();
  const second = recorder();
  const pool = engine(first.observer);
  const detach = pool.observe(second.observer);
  await run(pool, [[1]]);
  assert.deepEqual(second.lines, first.lines);
  detach();
  await run(pool, [[2]]);
  assert.equal(first.lines.length, 6);
  assert.equal(second.lines.length, 3);
  pool.terminate();
});

Deno.test("an observer that throws is reported and leaves the engine's books straight", async () => {
  const reported: unknown[] = [];
  const onError = (event: ErrorEvent): void => {
    event.preventDefault();
    reported.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    const pool = engine({
      chunkEnded() {
        throw new Error("observer bug");
      },
    });
    await run(pool, [[1], [2]]);
    assert.equal(reported.length, 2);
    assert.equal((reported[0] as Error).message, "observer bug");
    const stats = pool.stats;
    assert.equal(stats.done, 2, "the pool's own stats still counted");
    assert.equal(stats.running, 0);
    pool.terminate();
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});
