/**
 * The cluster backend against the local pool (a report, not a `Deno.bench`: it starts
 * Postgres and runner processes). Run:
 *
 *     deno run -A --unstable-worker-options bench/cluster_bench.ts
 *
 * Prints items/s of `map` over 2 runners on 127.0.0.1 and over a local pool, at
 * chunksizes 1, 100 and 10,000 (median of `--runs=N`, 3 by default), and the time from
 * a runner's `kill -9` until its shards' work resumes, at Effect's default lock expiry
 * (35 s) and at 10 s (`--failover=MS,...` sets the expiries; `--no-failover` and
 * `--no-throughput` skip a part).
 *
 * @module
 */
import { Pool } from "../mod.ts";
import { slowSquare, square } from "../tests/fixtures/cluster_tasks.ts";
import { database, startRunner } from "../tests/cluster_helpers.ts";

/** Runs per chunksize (`--runs=N`); the median is reported. */
const RUNS = Number(Deno.args.find((arg) => arg.startsWith("--runs="))?.slice(7) ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

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
    // The survivor's one-line reports of the failover.
    for (const line of runners[0]!.log().split("\n")) {
      if (/acquired|runners now|unhealthy/i.test(line)) console.log(`  ${line}`);
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
      const sizes = Deno.args.includes("--no-throughput") ? [] : [1, 100, 10_000];
      for (const chunksize of sizes) {
        const n = chunksize === 1 ? 500 : 20_000;
        await using cluster = await Pool.open({
          backend: "cluster",
          processes: 8,
          cluster: { database: db.url, failoverMs: 10_000 },
        });
        await using local = await Pool.open({ processes: 2 });
        const c: number[] = [];
        const l: number[] = [];
        for (let run = 0; run < RUNS; run++) {
          c.push(await throughput(cluster, chunksize, n));
          l.push(await throughput(local, chunksize, n));
        }
        console.log(
          `chunksize ${chunksize}: cluster ${median(c).toFixed(0)} items/s, ` +
            `local ${median(l).toFixed(0)} items/s (median of ${RUNS}; cluster runs ${
              c.map((x) => x.toFixed(0)).join(", ")
            })`,
        );
      }
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
    }
    // `--failover=35000,10000` (the default) sets the lock expiries to try.
    const expiries = (Deno.args.find((arg) => arg.startsWith("--failover="))?.slice(11) ??
      "35000,10000").split(",").map(Number);
    const failovers = Deno.args.includes("--no-failover")
      ? []
      : expiries.map((ms, i) => [ms, [34721 + 10 * i, 34722 + 10 * i]] as const);
    for (const [ms, ports] of failovers) {
      const seconds = await failover(db.url, ms, [...ports] as [number, number]);
      console.log(
        `failover at lock expiry ${ms} ms: work resumed ${seconds.toFixed(1)} s after kill -9`,
      );
    }
  } finally {
    await db.stop();
  }
}
