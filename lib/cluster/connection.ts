/**
 * One pool's link to the cluster, shared by its virtual workers: loads Effect's cluster
 * code on first use (a dynamic import, so nothing of it loads for other backends),
 * waits until a runner answers, and closes the client node once the last of the pool's
 * endpoints has stopped and its interrupted chunks were withdrawn.
 *
 * @module
 */
import { loadLater } from "../load_later.ts";
import type { ChunkPayload, ClusterClient } from "./client.ts";
import type { ClusterSettings } from "./options.ts";

/** A pool's shared client node, opened lazily and closed with its last endpoint. */
export class ClusterLink {
  /** Names this pool in chunk ids and entity ids, unique per pool. */
  readonly pool: string = crypto.randomUUID();
  readonly settings: ClusterSettings;
  #client: Promise<ClusterClient> | null = null;
  #known: ClusterClient | null = null;
  #ready: Promise<void> | null = null;
  #users = 0;
  #closing: Promise<void> | null = null;
  /** Chunks in flight on this pool, for `pool.stats.cluster`. */
  inflight = 0;

  constructor(settings: ClusterSettings) {
    this.settings = settings;
  }

  /** Counts an endpoint in; resolves once a runner has answered. */
  acquire(): Promise<void> {
    this.#users++;
    if (this.#ready === null) {
      this.#client = loadLater<typeof import("./client.ts")>(
        new URL("./client.ts", import.meta.url),
      ).then((module) => this.#known = module.openClient(this.settings));
      this.#ready = this.#client.then((client) => client.ready());
      this.#ready.catch(() => {}); // reported to each endpoint that waits on it
    }
    return this.#ready;
  }

  /** Sends one chunk. */
  async run(
    bucket: string,
    payload: ChunkPayload,
    signal: AbortSignal,
  ): Promise<{ runner: string; answer: string }> {
    const client = await this.#client!;
    return client.run(bucket, payload, signal);
  }

  /** What `pool.stats.cluster` shows: runners alive, chunks in flight. */
  stats(): { runners: readonly string[]; inflight: number } {
    return { runners: this.#known?.runnersNow() ?? [], inflight: this.inflight };
  }

  /** Runners that answer now. */
  async runners(): Promise<string[]> {
    if (this.#client === null) return [];
    return (await this.#client).runners();
  }

  /**
   * Counts an endpoint out once its chunks were withdrawn (`settled`); the last one out
   * closes the node, unless a replacement endpoint came in meanwhile.
   */
  release(settled: Promise<unknown>): Promise<void> {
    return settled.then(async () => {
      this.#users--;
      // A replaced worker's successor starts right after: give it the turn to come in.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.#users > 0 || this.#client === null) return;
      const client = this.#client;
      this.#client = null;
      this.#known = null;
      this.#ready = null;
      this.#closing = client.then((c) => c.dispose(), () => {});
      await this.#closing;
    });
  }
}
