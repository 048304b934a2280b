/**
 * What a runner reports about the cluster around it. `effect/cluster` announces no
 * failover, so the runner polls what it exposes: the runners registered (and heartbeating)
 * in `cluster_runners`, and the shards `Sharding` says this runner holds. One line when
 * the set of runners changes, one when this runner acquires shards after its first ones.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Schedule from "effect/Schedule";
import { ShardId, Sharding } from "effect/cluster";
import { SqlClient } from "effect/sql/SqlClient";
import type { ClusterSettings } from "./options.ts";

/** How often a runner looks: modest, a failover takes seconds anyway. */
export const WATCH_INTERVAL_MS = 2000;

/** Runners that heartbeat within the lock expiry, as `host:port`, sorted. */
export function liveRunners(settings: ClusterSettings) {
  return Effect.gen(function* () {
    const sql = yield* SqlClient;
    const seconds = Math.ceil(settings.failoverMs / 1000);
    const rows = yield* sql<{ address: string }>`
      SELECT address FROM cluster_runners
      WHERE healthy AND last_heartbeat > NOW() - make_interval(secs => ${seconds})`;
    return rows.map((row) => row.address).sort();
  });
}

/**
 * A layer that logs cluster changes seen from runner `me` while it lives.
 *
 * @example
 * ```ts ignore
 * import { watchLayer } from "./watch.ts";
 * ```
 */
export function watchLayer(
  settings: ClusterSettings,
  me: string,
  log: (line: string) => void,
): Layer.Layer<never, never, Sharding.Sharding | SqlClient> {
  return Layer.effectDiscard(Effect.gen(function* () {
    const sharding = yield* Sharding.Sharding;
    let runners: string[] | null = null;
    let held = new Set<number>();
    const look = Effect.gen(function* () {
      const now = yield* liveRunners(settings);
      if (runners !== null && now.join() !== runners.join()) {
        log(`runner ${me}: runners now [${now.join(", ")}] (were [${runners.join(", ")}])`);
      }
      runners = now;
      const mine = new Set<number>();
      for (let id = 1; id <= settings.shards; id++) {
        if (sharding.hasShardId(ShardId.make("default", id))) mine.add(id);
      }
      const gained = [...mine].filter((id) => !held.has(id));
      // The first shards a runner takes are its start; later ones come from a runner that
      // died or left (a failover), or from a rebalance while runners start.
      if (held.size > 0 && gained.length > 0) {
        log(
          `runner ${me}: acquired shard(s) ${gained.join(",")} ` +
            `(holds ${mine.size} of ${settings.shards})`,
        );
      }
      held = mine;
    }).pipe(Effect.ignore);
    yield* Effect.forkScoped(
      look.pipe(Effect.repeat(Schedule.spaced(WATCH_INTERVAL_MS))),
    );
  }));
}
