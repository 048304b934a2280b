/**
 * The cluster backend end to end: a real Postgres (embedded, or `DATABASE_URL`), two
 * runner processes on 127.0.0.1, and a pool opened with `backend: "cluster"`.
 */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import { Pool, TaskCancelled, TaskError, TaskTimeout } from "../mod.ts";
import { Pool as EffectPool } from "../lib/effect.ts";
import {
  failOn13,
  failOnce,
  logThenWait,
  slow,
  slowSquare,
  square,
} from "./fixtures/cluster_tasks.ts";
import { database, pendingChunks, type RunnerProcess, startRunner } from "./cluster_helpers.ts";

/** Lock expiry of the test cluster: bounded failover, and clean on a loaded 2-core box. */
const FAILOVER_MS = 10_000;
const ONLY = Deno.env.get("ONLY");

Deno.test("cluster backend: map, imapUnordered, errors, cancellation, close, kill -9", async (t) => {
  const db = await database();
  const runners: RunnerProcess[] = [];
  try {
    runners.push(
      ...await Promise.all([34611, 34612].map((port) => startRunner(db.url, port, FAILOVER_MS))),
    );
    const cluster = { database: db.url, failoverMs: FAILOVER_MS };

    await step(t, "map of 10,000 items gives the right results in order", async () => {
      await using pool = await Pool.open({ backend: "cluster", processes: 8, cluster });
      const items = Array.from({ length: 10_000 }, (_, i) => i);
      const results = await pool.map(square, items);
      assert.deepEqual(results, items.map((x) => x * x));
    });

    await step(t, "imapUnordered gives each result once", async () => {
      await using pool = await Pool.open({ backend: "cluster", processes: 8, cluster });
      const seen: number[] = [];
      for await (const value of pool.imapUnordered(square, range(200), { chunksize: 10 })) {
        seen.push(value);
      }
      assert.deepEqual(seen.sort((a, b) => a - b), range(200).map((x) => x * x));
    });

    await step(t, "a task error arrives as TaskError", async () => {
      await using pool = await Pool.open({ backend: "cluster", processes: 4, cluster });
      const error = await pool.map(failOn13, range(40), { chunksize: 5 }).then(
        () => assert.fail("map should fail"),
        (error) => error,
      );
      assert.ok(error instanceof TaskError, String(error));
      assert.equal(error.remoteName, "RangeError");
      assert.match(error.message, /unlucky 13/);
    });

    await step(t, "cancellation stops the remaining chunks", async () => {
      await using pool = await Pool.open({ backend: "cluster", processes: 2, cluster });
      const controller = new AbortController();
      let got = 0;
      const run = (async () => {
        for await (
          const _ of pool.imap(slow, range(60).map(() => 300), {
            chunksize: 1,
            signal: controller.signal,
          })
        ) {
          if (++got === 1) controller.abort();
        }
      })();
      await assert.rejects(run, (error) => error instanceof TaskCancelled || isAbort(error));
      await pool.terminate();
      assert.equal(await pendingChunks(db.url), 0);
    });

    await step(t, "closing the pool leaves no runner-side work queued for it", async () => {
      const pool = await Pool.open({ backend: "cluster", processes: 4, cluster });
      const results = pool.imap(slow, range(40).map(() => 500), { chunksize: 1 });
      await results.next(); // the cluster has taken work; more is queued behind it
      await pool.terminate();
      await assert.rejects(async () => {
        for await (const _ of results) { /* the rest fails with PoolClosed */ }
      });
      assert.equal(await pendingChunks(db.url), 0);
    });

    await step(t, "pool.stats shows the runners and the chunks in flight", async () => {
      await using pool = await Pool.open({ backend: "cluster", processes: 2, cluster });
      await pool.apply(square, [2]); // answered: the pool has reached the cluster
      assert.deepEqual(pool.stats.cluster?.runners, runners.map((r) => `127.0.0.1:${r.port}`));
      assert.equal(pool.stats.cluster?.inflight, 0);
      const log = await Deno.makeTempFile();
      try {
        const call = pool.apply(logThenWait, [1, log, 1000]);
        await linesIn(log, 1); // the chunk runs on a runner now
        assert.equal(pool.stats.cluster?.inflight, 1);
        assert.equal(await call, 1);
        assert.equal(pool.stats.cluster?.inflight, 0);
      } finally {
        await Deno.remove(log);
      }
    });

    await step(t, "timeout fails the call with TaskTimeout and withdraws its chunk", async () => {
      await using pool = await Pool.open({ backend: "cluster", processes: 2, cluster });
      const log = await Deno.makeTempFile();
      try {
        await assert.rejects(
          pool.apply(logThenWait, [1, log, 5000], { timeout: 500 }),
          (error) => error instanceof TaskTimeout,
        );
        assert.equal(await pendingChunks(db.url), 0);
        assert.equal(await pool.apply(square, [3]), 9, "the pool serves on");
      } finally {
        await Deno.remove(log);
      }
    });

    await step(t, "retries run a failed chunk again", async () => {
      await using pool = await Pool.open({ backend: "cluster", processes: 2, cluster });
      const marker = `${await Deno.makeTempDir()}/tried`;
      try {
        assert.equal(
          await pool.apply(failOnce, [7, marker], { retries: 1, retryTaskErrors: true }),
          7,
        );
        await Deno.remove(marker);
        await assert.rejects(pool.apply(failOnce, [7, marker]), TaskError);
      } finally {
        await Deno.remove(marker.replace(/\/tried$/, ""), { recursive: true });
      }
    });

    await step(t, "interrupting an Effect call withdraws its remaining chunks", async () => {
      const log = await Deno.makeTempFile();
      try {
        await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
          const pool = yield* EffectPool.make({ backend: "cluster", processes: 2, cluster });
          const items = range(30).map((x) => [x, log, 1000] as [number, string, number]);
          const fiber = yield* Effect.forkChild(pool.starmap(logThenWait, items, { chunksize: 1 }));
          yield* Effect.promise(() => linesIn(log, 1));
          yield* Fiber.interrupt(fiber);
          // Still inside the pool's scope: the interruption itself withdrew them.
          assert.equal(yield* Effect.promise(() => pendingChunks(db.url)), 0);
        })));
        assert.ok((await lines(log)) < 30, "not every chunk ran");
      } finally {
        await Deno.remove(log);
      }
    });

    await step(
      t,
      "a runner killed with kill -9 mid-map loses no result and repeats none",
      async () => {
        await using pool = await Pool.open({ backend: "cluster", processes: 8, cluster });
        const items = range(400);
        const results: number[] = [];
        for await (
          const value of pool.imap(slowSquare, items, { chunksize: 10 })
        ) {
          results.push(value);
          // Chunks are in flight on both runners now: kill one without a goodbye.
          if (results.length === 20) await runners[1]!.stop("SIGKILL");
        }
        assert.deepEqual(results, items.map((x) => x * x));
      },
    );
  } finally {
    await Promise.all(runners.map((runner) => runner.stop()));
    await db.stop();
  }
});

function step(t: Deno.TestContext, name: string, fn: () => Promise<void>) {
  return t.step({ name, fn, ignore: ONLY !== undefined && !name.includes(ONLY) });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

async function lines(file: string): Promise<number> {
  return (await Deno.readTextFile(file)).split("\n").filter(Boolean).length;
}

/** Waits until `file` holds `n` lines (a task wrote them on a runner). */
async function linesIn(file: string, n: number): Promise<void> {
  while (await lines(file) < n) await new Promise((resolve) => setTimeout(resolve, 20));
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
