/**
 * The cluster backend against the local pool (a report, not a `Deno.bench`: it starts
 * Postgres and runner processes). Run:
 *
 *     deno run -A --unstable-worker-options bench/cluster_bench.ts
 *
 * Prints items/s of `map` over 2 runners on 127.0.0.1 and over a local pool, at
 * chunksizes 1, 100 and 10,000, and the time from a runner's `kill -9` until its
 * shards' work resumes, at Effect's default lock expiry (35 s) and at 10 s.
 *
 * @module
 */
import { Pool } from "../mod.ts";
import { slowSquare, square } from "../tests/fixtures/cluster_tasks.ts";
import { database, startRunner } from "../tests/cluster_helpers.ts";

async function throughput(pool: Pool, chunksize: number, n: number): Promise<number> {
  const items = Array.from({ length: n }, (_, i) => i);
  const started = performance.now();
  await pool.map(square, items, { chunksize });
  return n / ((performance.now() - started) / 1000);
}

/** Seconds from a kill -9 of one runner until the next result after the gap. */
async function failover(url: string, failoverMs: number, ports: [number, number]) {
  const runners = await Promise.all(ports.map((port) => startRunner(url, port, failoverMs)));
  try {
    await using pool = await Pool.open({
      backend: "cluster",
      processes: 8,
      cluster: { database: url, failoverMs },
    });
    const items = Array.from({ length: 400 }, (_, i) => i);
    let killedAt = 0;
    let longestGap = 0;
    let last = performance.now();
    let count = 0;
    for await (const _ of pool.imap(slowSquare, items, { chunksize: 10 })) {
      const now = performance.now();
      if (killedAt > 0) longestGap = Math.max(longestGap, now - Math.max(last, killedAt));
      last = now;
      if (++count === 20) {
        killedAt = performance.now();
        await runners[1]!.stop("SIGKILL");
      }
    }
    return longestGap / 1000;
  } finally {
    await Promise.all(runners.map((runner) => runner.stop()));
  }
}

if (import.meta.main) {
  const db = await database();
  try {
    const runners = await Promise.all(
      [34711, 34712].map((port) => startRunner(db.url, port, 10_000)),
    );
    try {
      for (const chunksize of [1, 100, 10_000]) {
        const n = chunksize === 1 ? 500 : 20_000;
        await using cluster = await Pool.open({
          backend: "cluster",
          processes: 8,
          cluster: { database: db.url, failoverMs: 10_000 },
        });
        await using local = await Pool.open({ processes: 2 });
        const c = await throughput(cluster, chunksize, n);
        const l = await throughput(local, chunksize, n);
        console.log(
          `chunksize ${chunksize}: cluster ${c.toFixed(0)} items/s, local ${l.toFixed(0)} items/s`,
        );
      }
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
    }
    for (const [ms, ports] of [[35_000, [34721, 34722]], [10_000, [34731, 34732]]] as const) {
      const seconds = await failover(db.url, ms, [...ports] as [number, number]);
      console.log(
        `failover at lock expiry ${ms} ms: work resumed ${seconds.toFixed(1)} s after kill -9`,
      );
    }
  } finally {
    await db.stop();
  }
}
