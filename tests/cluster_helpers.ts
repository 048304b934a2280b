/**
 * Test helpers for the cluster backend: a Postgres (embedded, or `DATABASE_URL`) and
 * runner processes on 127.0.0.1.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Redacted from "effect/Redacted";
import { PgClient } from "@effect/sql-pg";
import { startPostgres } from "../lib/cluster/postgres.ts";

/** A database for the test: `DATABASE_URL` when set, else an embedded Postgres. */
export async function database(): Promise<{ url: string; stop(): Promise<void> }> {
  const url = Deno.env.get("DATABASE_URL");
  if (url) return { url, stop: async () => {} };
  return await startPostgres();
}

/** A runner process, ready (it printed its ready line). */
export interface RunnerProcess {
  readonly port: number;
  readonly child: Deno.ChildProcess;
  /** Everything it wrote to stderr so far. */
  log(): string;
  /** Resolves when its stderr shows `text`. */
  waitFor(text: string): Promise<void>;
  /** SIGTERM and wait; or SIGKILL when `signal` says so. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/** Starts `cli.ts runner` on `port` and waits for its ready line. */
export async function startRunner(
  url: string,
  port: number,
  failoverMs: number,
): Promise<RunnerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      new URL("../cli.ts", import.meta.url).pathname,
      "runner",
      "--database",
      url,
      "--listen",
      `127.0.0.1:${port}`,
      "--processes",
      "2",
      "--failover",
      String(failoverMs),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const waiters = new Set<() => void>();
  const reading = (async () => {
    for await (const part of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += part;
      for (const wake of [...waiters]) wake();
    }
  })();
  const waitFor = async (needle: string) => {
    while (!text.includes(needle)) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        child.status.then(wake);
      });
      const status = await Promise.race([child.status, Promise.resolve(null)]);
      if (status !== null && !text.includes(needle)) {
        throw new Error(`runner ${port} exited before '${needle}':\n${text}`);
      }
    }
  };
  await waitFor(`runner 127.0.0.1:${port} ready`);
  return {
    port,
    child,
    log: () => text,
    waitFor,
    stop: async (signal: Deno.Signal = "SIGTERM") => {
      try {
        child.kill(signal);
      } catch { /* gone */ }
      await child.status;
      await reading;
    },
  };
}

/**
 * Chunk requests stored for runners and not yet processed (an interrupt that came after
 * its chunk ended may stay unread: it is no work), once the runners have taken in the
 * interrupts already sent (they read them asynchronously): polls until none is left or
 * `withinMs` passed, then gives the count.
 */
export async function pendingChunks(url: string, withinMs = 20_000): Promise<number> {
  const until = Date.now() + withinMs;
  for (;;) {
    const count = await countPending(url);
    if (count === 0) return 0;
    if (Date.now() > until) {
      if (Deno.env.get("CLUSTER_DEBUG")) console.error(await debugRows(url));
      return count;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function countPending(url: string): Promise<number> {
  const program = Effect.gen(function* () {
    const sql = yield* PgClient.PgClient;
    const rows = yield* sql<{ count: string }>`
      SELECT count(*)::text AS count FROM cluster_messages
      WHERE processed = false AND entity_type = 'MultiprocessingChunks' AND tag = 'RunChunk'`;
    return Number(rows[0]!.count);
  });
  return Effect.runPromise(
    Effect.scoped(
      Effect.provide(program, PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })),
    ),
  );
}

function debugRows(url: string): Promise<unknown> {
  const program = Effect.gen(function* () {
    const sql = yield* PgClient.PgClient;
    return yield* sql`SELECT kind, tag, processed, entity_id, request_id::text, last_read::text
      FROM cluster_messages WHERE entity_type = 'MultiprocessingChunks' AND processed = false`;
  });
  return Effect.runPromise(
    Effect.scoped(
      Effect.provide(program, PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })),
    ),
  );
}
