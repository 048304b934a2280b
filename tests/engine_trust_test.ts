/**
 * The engine trusts nothing a worker says: every protocol violation a compromised
 * runtime could commit (answers for chunks not running there, wrong value counts,
 * forged cancellations, a second READY, a late INIT_FAILED) ends that worker as a crash
 * that blames the chunk running there, and the chunks queued behind it run elsewhere.
 * A scripted endpoint stands in for the worker, so each violation is exact.
 */
import assert from "node:assert/strict";
import type { Endpoint, EndpointOptions, WorkerListener } from "../lib/backend/endpoint.ts";
import type { Chunk, Engine, EngineOptions, Job } from "../lib/engine.ts";
import { scriptedEngine } from "./_scripted_engine.ts";
import { type PoolError, WorkerCrashed } from "../lib/errors.ts";
import {
  CANCELLED,
  DONE,
  DONE_MANY,
  type DoneMessage,
  type FromWorker,
  INIT,
  INIT_FAILED,
  READY,
  RUN,
  RUN_MANY,
  type RunMessage,
  type TaskRef,
  type ToWorker,
} from "../lib/shared/protocol.ts";

/** What a scripted worker answers to a run: the messages it sends back. */
type Script = (run: RunMessage, worker: number) => FromWorker[];

/** A worker that answers honestly: each item doubled. */
const honest: Script = (run) => [[DONE, run[1], run[4].map((x) => (x as number) * 2), null]];

/** Endpoints that follow a script; `scripts[i]` drives the i-th worker started. */
function scripted(scripts: Script[]) {
  let started = 0;
  const stopped: number[] = [];
  const start = (_name: string, listener: WorkerListener, _options: EndpointOptions) => {
    const worker = started++;
    const script = scripts[worker] ?? honest;
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
        else if (message[0] === RUN) say(script(message, worker));
        else if (message[0] === RUN_MANY) say(message[1].flatMap((run) => script(run, worker)));
      },
      terminate() {
        if (alive) stopped.push(worker);
        alive = false;
      },
      kill() {
        endpoint.terminate();
      },
      close() {
        endpoint.terminate();
      },
      get alive() {
        return alive;
      },
      batches: true,
      sharesMemory: true,
      pid: null,
      exited: null,
    };
    return endpoint;
  };
  return { start, stopped, started: () => started };
}

const REF: TaskRef = { kind: "inline", name: "double", source: "(x) => x * 2" };

function engine(start: EngineOptions["start"], processes = 1): Engine {
  return scriptedEngine({ processes, name: "Trust", ...(start ? { start } : {}) });
}

type Outcome = { values: readonly unknown[] } | { error: PoolError };

/** Submits one chunk per item list; resolves with each chunk's outcome, in order. */
function run(pool: Engine, lists: number[][], job?: (job: Job) => void): Promise<Outcome[]> {
  return new Promise((resolve) => {
    const outcomes: Outcome[] = new Array(lists.length);
    let left = lists.length;
    const settle = (chunk: Chunk, outcome: Outcome): void => {
      outcomes[chunk.seq] = outcome;
      if (--left === 0) resolve(outcomes);
    };
    const spec = { ref: REF, task: "double", spread: false, faults: pool.faults };
    const created = pool.createJob(spec, {
      done: (chunk, values) => settle(chunk, { values }),
      failed: (chunk, error) => settle(chunk, { error }),
    });
    job?.(created);
    lists.forEach((items, seq) => pool.submit({ job: created, seq, items }));
  });
}

function crashed(outcome: Outcome | undefined, reason: RegExp): void {
  assert.ok(outcome && "error" in outcome, `expected a crash, got ${JSON.stringify(outcome)}`);
  assert.ok(outcome.error instanceof WorkerCrashed, String(outcome.error));
  assert.match(outcome.error.message, /broke the protocol/);
  assert.match(outcome.error.message, reason);
}

/** Worker 0 breaks the protocol on its first run; its replacement is honest. */
async function firstRunBreaks(script: Script, reason: RegExp): Promise<void> {
  const fake = scripted([script]);
  const pool = engine(fake.start);
  const outcomes = await run(pool, [[1, 2], [3], [4, 5]]);
  crashed(outcomes[0], reason);
  // The chunks queued behind it on that worker ran on its replacement, correctly.
  assert.deepEqual(outcomes.slice(1), [{ values: [6] }, { values: [8, 10] }]);
  assert.deepEqual(fake.stopped, [0]);
  assert.equal(pool.stats.replaced, 1);
  pool.terminate();
}

Deno.test("an answer for a chunk that is not running on that worker is a crash", async () => {
  await firstRunBreaks(
    (run) => [[DONE, run[1] + 1, [0, 0], null]],
    /answered chunk \d+, which is not the one running there/,
  );
});

Deno.test("a second answer for the same chunk is a crash", async () => {
  const fake = scripted([(run) => [honest(run, 0)[0]!, honest(run, 0)[0]!]]);
  const pool = engine(fake.start);
  const outcomes = await run(pool, [[1], [2], [3]]);
  // The first chunk's honest answer counts; its repeat breaks the worker, and the
  // next chunk, running there when it did, is blamed: the worker lied while it ran.
  assert.deepEqual(outcomes[0], { values: [2] });
  crashed(outcomes[1], /which is not the one running there/);
  assert.deepEqual(outcomes[2], { values: [6] });
  pool.terminate();
});

Deno.test("an answer with fewer or more values than items is a crash", async () => {
  await firstRunBreaks(
    (run) => [[DONE, run[1], [1], null]],
    /with 1 value\(s\) for its 2 item\(s\)/,
  );
  await firstRunBreaks(
    (run) => [[DONE, run[1], [1, 2, 3], null]],
    /with 3 value\(s\) for its 2 item\(s\)/,
  );
});

Deno.test("an item error past the chunk's items is a crash", async () => {
  const wire = { tag: "TaskError", name: "Error", message: "x", isError: true } as const;
  await firstRunBreaks((run) => [[DONE, run[1], [1], [[5, wire]]]], /value\(s\) for its/);
});

Deno.test("a forged cancellation cannot make a chunk vanish", async () => {
  await firstRunBreaks(
    (run) => [[CANCELLED, run[1]]],
    /said chunk \d+ was cancelled, which it was not/,
  );
});

Deno.test("a second READY and a late INIT_FAILED are crashes, not a broken pool", async () => {
  const wire = { tag: "TaskError", name: "Error", message: "forged", isError: true } as const;
  await firstRunBreaks(() => [[READY]], /sent READY twice/);
  await firstRunBreaks(() => [[INIT_FAILED, wire]], /sent INIT_FAILED after READY/);
});

Deno.test("a bad answer inside a batch stops the batch at that answer", async () => {
  const fake = scripted([(run) => {
    const good: DoneMessage = [DONE, run[1], [run[4][0] as number * 2], null];
    // The first chunk of the batch is answered honestly, the next wrongly.
    return run[4][0] === 1 ? [[DONE_MANY, [good]]] : [[DONE_MANY, [[DONE, 999, [0], null]]]];
  }]);
  const pool = engine(fake.start);
  const outcomes = await run(pool, [[1], [2], [3]]);
  assert.deepEqual(outcomes[0], { values: [2] });
  crashed(outcomes[1], /answered chunk 999/);
  assert.deepEqual(outcomes[2], { values: [6] });
  pool.terminate();
});

Deno.test("terminate() settles every chunk a silent worker holds", async () => {
  const fake = scripted([() => [], () => []]);
  const pool = engine(fake.start, 2);
  const pending = run(pool, [[1], [2], [3], [4], [5]]);
  await new Promise((resolve) => setTimeout(resolve, 20));
  pool.terminate();
  const outcomes = await pending;
  assert.equal(outcomes.length, 5);
  for (const outcome of outcomes) {
    assert.ok("error" in outcome && outcome.error._tag === "PoolClosed", JSON.stringify(outcome));
  }
});
