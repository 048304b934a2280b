/**
 * The cluster backend's `Endpoint`: a virtual worker of a pool. It takes the engine's
 * messages as a worker would, sends each `RUN` (one chunk) to the cluster as one
 * persisted message, and reports the answers as `DONE`/`FAILED` in the order the chunks
 * were sent. The engine above does the rest (ordering, retries, timeouts,
 * cancellation) as for any backend. Effect-free: `connection.ts` loads Effect.
 *
 * Exactly-once results over at-least-once delivery: a chunk may run twice after a
 * runner dies, but each chunk id is answered here at most once, and the engine accepts
 * one answer per chunk.
 *
 * @module
 */
import type { Endpoint, WorkerListener } from "../backend/endpoint.ts";
import {
  CANCEL,
  CANCELLED,
  DEFINE,
  DONE,
  FAILED,
  type FromWorker,
  INIT,
  INIT_FAILED,
  isCancelled,
  READY,
  RUN,
  RUN_MANY,
  type RunMessage,
  type ToWorker,
} from "../shared/protocol.ts";
import { readFromWorker } from "../protocol_check.ts";
import type { ClusterLink } from "./connection.ts";
import { type ChunkAnswer, decode, encode } from "./wire.ts";

/** Entity ids a pool's chunks are spread over: enough to reach every shard. */
const BUCKETS = 256;

interface Sent {
  readonly chunkId: number;
  readonly jobId: number;
  readonly controller: AbortController;
  answer: FromWorker | null;
}

/** A virtual worker of a cluster pool. */
export class ClusterEndpoint implements Endpoint {
  readonly batches = false;
  readonly sharesMemory = false;
  readonly pid = null;
  readonly exited: Promise<number>;
  #alive = true;
  #stopped!: (settled: { readonly calls: Promise<unknown> }) => void;
  readonly #listener: WorkerListener;
  readonly #link: ClusterLink;
  readonly #refs = new Map<number, string>();
  readonly #sent: Sent[] = [];
  readonly #calls = new Set<Promise<unknown>>();
  #cancelBits: Int32Array | null = null;
  #ready: Promise<void>;

  constructor(listener: WorkerListener, link: ClusterLink) {
    this.#listener = listener;
    this.#link = link;
    this.#ready = link.acquire();
    this.#ready.catch(() => {});
    // Wrapped: a promise passed to `resolve` would be awaited here, not handed over.
    this.exited = new Promise<{ readonly calls: Promise<unknown> }>((resolve) =>
      this.#stopped = resolve
    ).then(({ calls }) => link.release(calls)).then(() => 0);
  }

  get alive(): boolean {
    return this.#alive;
  }

  post(message: ToWorker): void {
    if (!this.#alive) return;
    switch (message[0]) {
      case INIT:
        this.#cancelBits = message[1].cancelBits ? new Int32Array(message[1].cancelBits) : null;
        this.#ready.then(
          () => this.#say([READY]),
          (error: Error) =>
            this.#say([INIT_FAILED, {
              tag: "TaskError",
              name: "Error",
              message: error.message,
              isError: true,
            }]),
        );
        return;
      case DEFINE:
        this.#refs.set(message[1], JSON.stringify(message[2]));
        return;
      case RUN:
        this.#run(message);
        return;
      case RUN_MANY:
        for (const run of message[1]) this.#run(run);
        return;
      case CANCEL:
        for (const sent of this.#sent) {
          if (sent.jobId === message[1] && sent.answer === null) {
            sent.controller.abort();
            sent.answer = [CANCELLED, sent.chunkId];
          }
        }
        this.#flush();
        return;
    }
  }

  #run(message: RunMessage): void {
    const [, chunkId, fnId, jobId, items, spread, settle] = message;
    const sent: Sent = { chunkId, jobId, controller: new AbortController(), answer: null };
    this.#sent.push(sent);
    if (this.#cancelBits && isCancelled(this.#cancelBits, jobId)) {
      sent.answer = [CANCELLED, chunkId];
      this.#flush();
      return;
    }
    const payload = {
      pool: this.#link.pool,
      job: jobId,
      chunk: chunkId,
      ref: this.#refs.get(fnId)!,
      items: encode(items),
      spread,
      settle,
    };
    const bucket = `${this.#link.pool}-${chunkId % BUCKETS}`;
    this.#link.inflight++;
    // Counted out as the answer comes, before it is passed on (`pool.stats` stays true).
    const out = () => this.#link.inflight--;
    // After READY (said once the link is ready), as a worker answers.
    const call = this.#ready.then(() => this.#link.run(bucket, payload, sent.controller.signal))
      .then(
        ({ answer }) => {
          out();
          this.#answer(sent, decode(answer) as ChunkAnswer);
        },
        (error) => {
          out();
          if (!sent.controller.signal.aborted) {
            this.#crash(`lost its cluster call: ${error instanceof Error ? error.message : error}`);
          }
        },
      ).finally(() => this.#calls.delete(call));
    this.#calls.add(call);
  }

  #answer(sent: Sent, answer: ChunkAnswer): void {
    if (!this.#alive || sent.answer !== null) return; // one answer per chunk
    if (answer.kind === "crashed") return this.#crash(answer.reason);
    sent.answer = answer.kind === "done"
      ? [DONE, sent.chunkId, answer.results, answer.errors]
      : [FAILED, sent.chunkId, answer.error];
    this.#flush();
  }

  /** Passes answers on in the order their chunks were sent, as a worker gives them. */
  #flush(): void {
    while (this.#alive && this.#sent.length > 0 && this.#sent[0]!.answer !== null) {
      this.#say(this.#sent.shift()!.answer!);
    }
  }

  #say(message: FromWorker): void {
    if (!this.#alive) return;
    // Answers are built here from what runners sent: check them as any backend does.
    const checked = readFromWorker(message);
    if ("violation" in checked) return this.#crash(`broke the protocol: ${checked.violation}`);
    this.#listener.message(checked);
  }

  #crash(reason: string): void {
    if (!this.#alive) return;
    this.#stop();
    this.#listener.ended({ exitCode: null, error: null, reason });
  }

  #stop(): void {
    if (!this.#alive) return;
    this.#alive = false;
    for (const sent of this.#sent) sent.controller.abort();
    this.#stopped({ calls: Promise.allSettled([...this.#calls, this.#ready]) });
  }

  stats(): Readonly<Record<string, unknown>> {
    return this.#link.stats();
  }

  terminate(): void {
    this.#stop();
  }

  kill(): void {
    this.#stop();
  }

  close(): void {
    this.#stop();
  }
}

/**
 * Starts a virtual worker of the pool that `link` belongs to (`startEndpoint`'s
 * `"cluster"` branch).
 *
 * @throws {TypeError} The pool was opened without cluster options.
 */
export function startClusterEndpoint(
  listener: WorkerListener,
  link: ClusterLink | undefined,
): Endpoint {
  if (link === undefined) {
    throw new TypeError(
      `Cannot start a cluster worker without 'cluster' options: open the pool with ` +
        `{ backend: "cluster", cluster: { database } }`,
    );
  }
  return new ClusterEndpoint(listener, link);
}
