/**
 * The client side of a cluster pool in Effect: a client-only cluster node (no shards of
 * its own) that sends chunks to the library's entity and waits for their answers.
 * Loaded by `connection.ts` with a dynamic import, so Effect's cluster code loads only
 * when a pool uses the cluster backend.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as ManagedRuntime from "effect/ManagedRuntime";
import * as Schedule from "effect/Schedule";
import { ChunkRunner } from "./entity.ts";
import { clientLayer } from "./layers.ts";
import type { ClusterSettings } from "./options.ts";
import { liveRunners, WATCH_INTERVAL_MS } from "./watch.ts";

/** What a chunk carries to a runner. */
export interface ChunkPayload {
  readonly pool: string;
  readonly job: number;
  readonly chunk: number;
  readonly ref: string;
  readonly items: string;
  readonly spread: boolean;
  readonly settle: boolean;
}

/** A connected client node. */
export interface ClusterClient {
  /** Resolves once a runner answered: the shard map is loaded, chunks reach their owners. */
  ready(): Promise<void>;
  /** Sends a chunk to bucket `bucket`; aborting `signal` interrupts it on the runner. */
  run(
    bucket: string,
    payload: ChunkPayload,
    signal: AbortSignal,
  ): Promise<{ runner: string; answer: string }>;
  /** Runners registered and heartbeating now (`host:port`), sorted. */
  runners(): Promise<string[]>;
  /** The runners as last seen by a poll every few seconds (for `pool.stats`). */
  runnersNow(): readonly string[];
  /** Closes the node and its database connections. */
  dispose(): Promise<void>;
}

/** Starts a client node for `settings`. */
export function openClient(settings: ClusterSettings): ClusterClient {
  const runtime = ManagedRuntime.make(clientLayer(settings));
  const client = runtime.runPromise(ChunkRunner.client);
  let known: readonly string[] = [];
  // Interrupted when the runtime is disposed.
  runtime.runFork(
    liveRunners(settings).pipe(
      Effect.tap((now) => Effect.sync(() => known = now)),
      Effect.ignore,
      Effect.repeat(Schedule.spaced(WATCH_INTERVAL_MS)),
    ),
  );
  const ping = (id: string) =>
    Effect.promise(() => client).pipe(
      Effect.flatMap((clientFor) => clientFor(id).Ping({ nonce: id })),
    );
  return {
    ready: () =>
      runtime.runPromise(
        // A volatile message fails until the shard map names an owner; retry until then.
        ping("ready").pipe(
          Effect.retry(Schedule.spaced(100)),
          Effect.timeout(settings.readyTimeoutMs),
          // `pool.stats` names the runners from the start.
          Effect.andThen(
            liveRunners(settings).pipe(
              Effect.tap((now) => Effect.sync(() => known = now)),
              Effect.ignore,
            ),
          ),
        ),
      ).catch((error) => {
        throw new Error(
          `Cannot reach the cluster: no runner answered within ${settings.readyTimeoutMs} ms; ` +
            `start one with 'deno run -A cli.ts runner --database URL' (${String(error)})`,
        );
      }),
    run: (bucket, payload, signal) =>
      runtime.runPromise(
        Effect.promise(() => client).pipe(
          Effect.flatMap((clientFor) => clientFor(bucket).RunChunk(payload)),
        ),
        { signal },
      ),
    runners: () => runtime.runPromise(liveRunners(settings)),
    runnersNow: () => known,
    dispose: () => runtime.dispose(),
  };
}
