/**
 * Options of the cluster backend, checked without loading Effect: shared by the client
 * (`Pool.open({ backend: "cluster", cluster })`) and the runner.
 *
 * @module
 */

/** Where a cluster keeps its state and how fast it moves work off a dead runner. */
export interface ClusterOptions {
  /** Postgres URL (`postgres://user:pass@host:5432/db`) shared by every runner and client. */
  readonly database: string;
  /**
   * Milliseconds after which a silent runner's shards move to the others (its shard
   * locks expire): the failover time. Every process of a cluster should use the same
   * value. Measured on a loaded 2-core machine (time from `kill -9` to work resuming):
   * 35,000 → 34 s, 10,000 → 9–11 s, 5,000 → 5.7 s, all without lock-storage errors.
   * @default {35000} (Effect's own default)
   */
  readonly failoverMs?: number;
  /** Shards of the cluster; every process must agree. @default {30} */
  readonly shards?: number;
  /** Milliseconds to wait for a runner to answer before the first chunk. @default {30000} */
  readonly readyTimeoutMs?: number;
}

/** `ClusterOptions` with the defaults filled in. */
export interface ClusterSettings {
  readonly database: string;
  readonly failoverMs: number;
  readonly shards: number;
  readonly readyTimeoutMs: number;
}

/**
 * Checks cluster options and fills in the defaults.
 *
 * @example
 * ```ts
 * import { clusterSettings } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const settings = clusterSettings("open pool", { database: "postgres://127.0.0.1/db" });
 * assert.equal(settings.failoverMs, 35000);
 * ```
 */
export function clusterSettings(action: string, options: unknown): ClusterSettings {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ${action} as 'cluster' must be an object with a 'database' URL for the ` +
        `"cluster" backend: current value is ${String(options)}`,
    );
  }
  const { database, failoverMs = 35_000, shards = 30, readyTimeoutMs = 30_000 } =
    options as ClusterOptions;
  if (typeof database !== "string" || !/^postgres(ql)?:\/\//.test(database)) {
    throw new TypeError(
      `Cannot ${action} as 'cluster.database' must be a postgres:// URL: current value is ${
        JSON.stringify(database)
      }`,
    );
  }
  for (
    const [name, value, min] of [
      ["failoverMs", failoverMs, 2000],
      ["shards", shards, 1],
      ["readyTimeoutMs", readyTimeoutMs, 1],
    ] as const
  ) {
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(
        `Cannot ${action} as 'cluster.${name}' must be an integer of at least ${min}: ` +
          `current value is ${String(value)}`,
      );
    }
  }
  return { database, failoverMs, shards, readyTimeoutMs };
}
