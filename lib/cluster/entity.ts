/**
 * The cluster's one entity and its messages, shared by clients and runners (Effect
 * side; loaded only when the cluster backend is used). Every process of a cluster must
 * agree on these definitions and on `shardsPerGroup`.
 *
 * A chunk travels as one persisted message: written to Postgres before delivery, so it
 * survives a runner's death and runs again on the shard's next owner. Its items and its
 * answer are structured-clone bytes (`node:v8`), so values cross as they would to a
 * local worker.
 *
 * @module
 */
import * as Schema from "effect/Schema";
import { ClusterSchema, Entity } from "effect/cluster";
import { Rpc } from "effect/rpc";

/** A chunk of a job, as a runner receives it. */
export const RunChunk = Rpc.make("RunChunk", {
  payload: {
    /** The client pool's id: a runner keeps one local job per (pool, job). */
    pool: Schema.String,
    job: Schema.Number,
    chunk: Schema.Number,
    /** The `TaskRef`, as JSON. */
    ref: Schema.String,
    /** `node:v8` bytes of the items, in base64. */
    items: Schema.String,
    spread: Schema.Boolean,
    settle: Schema.Boolean,
  },
  success: Schema.Struct({
    /** The runner that ran it (`host:port`). */
    runner: Schema.String,
    /** `node:v8` bytes of a `ChunkAnswer`, in base64. */
    answer: Schema.String,
  }),
}).annotate(ClusterSchema.Persisted, true);

/** Who answers: the client's readiness step. */
export const Ping = Rpc.make("Ping", {
  payload: { nonce: Schema.String },
  success: Schema.Struct({ runner: Schema.String, processes: Schema.Number }),
});

/** The library's entity: one instance per bucket of chunks, spread over the shards. */
export const ChunkRunner = Entity.make("MultiprocessingChunks", [RunChunk, Ping]);
