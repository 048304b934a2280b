/**
 * Replacing workers (`lib/engine_recovery.ts`): a worker that crashes is replaced; a
 * replacement that fails to start is replaced too, but only three times in a row. Then
 * the place is given up, and once no worker is left the pool fails what waits and
 * refuses new work with the initializer's error. A replacement that became ready starts
 * the count again. Scripted endpoints stand in for the workers, so each start is exact.
 */
import assert from "node:assert/strict";
import type { Endpoint, EndpointOptions, WorkerListener } from "../lib/backend/endpoint.ts";
import type { Chunk, Engine, EngineOptions } from "../lib/engine.ts";
import { scriptedEngine } from "./_scripted_engine.ts";
import { type PoolError, TaskError, WorkerCrashed } from "../lib/errors.ts";
import type { WireError } from "../lib/shared/wire_error.ts";
import {
  DONE,
  INIT,
  INIT_FAILED,
  READY,
  RUN,
  type TaskRef,
  type ToWorker,
} from "../lib/shared/protocol.ts";

/** What a failing initializer sends back. */
const NO_DB: WireError = { tag: "TaskError", name: "Error", message: "no database", isError: true };

/** How a scripted worker behaves: starts or fails to, then answers or crashes. */
type Behaviour = "fails to start" | "crashes on its run" | "honest";

/** Endpoints that follow `plan`: `plan[i]` drives the i-th worker started. */
function scripted(plan: Behaviour[]) {
  let started = 0;
  const start = (_name: string, listener: WorkerListener, _options: EndpointOptions) => {
    const behaviour = plan[started++] ?? "honest";
    let alive = true;
    const later = (act: () => void): void => {
      queueMicrotask(() => {
        if (alive) act();
      });
    };
    const endpoint: Endpoint = {
      post(message: ToWorker) {
        if (!alive) return;
        if (message[0] === INIT) {
          later(() =>
            listener.message(behaviour === "fails to start" ? [INIT_FAILED, NO_DB] : [READY])
          );
        } else if (message[0] === RUN && behaviour === "crashes on its run") {
          later(() => {
            alive = false;
            listener.ended({ exitCode: 1, error: null, reason: "exited with code 1" });
          });
        } else if (message[0] === RUN) {
          const [, chunkId, , , items] = message;
          later(() => listener.message([DONE, chunkId, items.map((x) => (x as number) * 2), null]));
        }
      },
      terminate() {
        alive = false;
      },
      kill() {
        alive = false;
      },
      close() {
        alive = false;
      },
      get alive() {
        return alive;
      },
      batches: false,
      sharesMemory: true,
      pid: null,
      exited: null,
    };
    return endpoint;
  };
  return { start, started: () => started };
}

const REF: TaskRef = { kind: "inline", name: "double", source: "(x) => x * 2" };

function engine(start: NonNullable<EngineOptions["start"]>): Engine {
  return scriptedEngine({ name: "Recovery", depth: 1, quickDepth: 1, start });
}

type Outcome = { values: readonly unknown[] } | { error: PoolError };

/** Submits one chunk of `items`; resolves with its outcome. */
function run(pool: Engine, items: number[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const spec = { ref: REF, task: "double", spread: false, faults: pool.faults };
    const job = pool.createJob(spec, {
      done: (_chunk: Chunk, values) => resolve({ values }),
      failed: (_chunk: Chunk, error) => resolve({ error }),
    });
    pool.submit({ job, seq: 0, items });
  });
}

function errorOf(outcome: Outcome): PoolError {
  assert.ok("error" in outcome, `expected an error, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

Deno.test("replacements that keep failing to start are given up after three; the pool then refuses work", async () => {
  const fake = scripted([
    "crashes on its run",
    "fails to start",
    "fails to start",
    "fails to start",
    "fails to start",
  ]);
  const pool = engine(fake.start);
  const first = run(pool, [1]);
  const second = run(pool, [2]); // queued behind the first, then sent to each replacement
  assert.ok(errorOf(await first) instanceof WorkerCrashed);
  const broken = errorOf(await second);
  assert.ok(broken instanceof TaskError, String(broken));
  assert.match(broken.message, /no database/);
  assert.equal(fake.started(), 5, "the worker that crashed, then three replacements and a last");
  assert.equal(pool.stats.workers, 0);
  assert.equal(pool.stats.replaced, 4);
  assert.equal(pool.closedError(), broken, "new work fails with the initializer's error");
  assert.equal(errorOf(await run(pool, [3])), broken);
  pool.terminate();
});

Deno.test("a replacement that became ready starts the count of failed starts again", async () => {
  const fake = scripted([
    "crashes on its run",
    "fails to start",
    "fails to start",
    "fails to start",
    "crashes on its run", // ready: the three failures before it count no more
    "fails to start",
    "fails to start",
    "fails to start",
    "honest",
  ]);
  const pool = engine(fake.start);
  assert.ok(errorOf(await run(pool, [1])) instanceof WorkerCrashed);
  assert.ok(errorOf(await run(pool, [2])) instanceof WorkerCrashed);
  assert.deepEqual(await run(pool, [3]), { values: [6] });
  assert.equal(fake.started(), 9);
  assert.equal(pool.closedError(), null);
  pool.terminate();
});
