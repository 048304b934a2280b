/**
 * The Effect layers a cluster process is built from: the Postgres client and
 * `NodeClusterSocket` with the library's sharding settings. Loaded only by the cluster
 * backend's client and by runners.
 *
 * @module
 */
import * as Layer from "effect/Layer";
import * as Option from "effect/Option";
import * as Redacted from "effect/Redacted";
import { RunnerAddress } from "effect/cluster";
import { NodeClusterSocket } from "@effect/platform-node";
import { PgClient } from "@effect/sql-pg";
import type { ClusterSettings } from "./options.ts";

/** Effect's default shard lock expiry: with it, the library changes no timing. */
const EFFECT_DEFAULT_FAILOVER_MS = 35_000;

/** Sharding settings every process of the cluster shares. */
export function shardingConfig(settings: ClusterSettings) {
  const base = { shardsPerGroup: settings.shards };
  if (settings.failoverMs === EFFECT_DEFAULT_FAILOVER_MS) return base;
  const ms = settings.failoverMs;
  // A lock is refreshed several times per expiry, so one slow refresh does not lose it.
  return {
    ...base,
    shardLockExpiration: ms,
    shardLockRefreshInterval: Math.max(1000, Math.round(ms / 5)),
    runnerHealthCheckInterval: Math.max(1000, Math.round(ms / 3)),
    refreshAssignmentsInterval: 1000,
    entityMessagePollInterval: 2000,
    entityReplyPollInterval: 200,
  };
}

function sqlLayer(settings: ClusterSettings, connections: number) {
  return PgClient.layer({
    url: Redacted.make(settings.database),
    maxConnections: connections,
  });
}

/** A client-only node: sends chunks, serves none; its SQL client is also given out. */
export function clientLayer(settings: ClusterSettings) {
  return NodeClusterSocket.layer({
    clientOnly: true,
    storage: "sql",
    shardingConfig: shardingConfig(settings),
  }).pipe(Layer.provideMerge(sqlLayer(settings, 8)));
}

/** A runner listening on `host:port`, which is also the address others reach it by. */
export function runnerClusterLayer(settings: ClusterSettings, host: string, port: number) {
  return NodeClusterSocket.layer({
    storage: "sql",
    shardingConfig: {
      ...shardingConfig(settings),
      runnerAddress: Option.some(RunnerAddress.make(host, port)),
    },
  }).pipe(Layer.provideMerge(sqlLayer(settings, 16)));
}
