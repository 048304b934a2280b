/**
 * Output of `map`: lines written to a stream in batches (one write per line would cost
 * more than many tasks), flushed soon after they are written even when no more come,
 * and on demand (before an exit).
 *
 * @module
 */

/** Where the bytes go: `Deno.stdout` or an open file. */
export interface ByteSink {
  /** Writes some of `bytes`, giving how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Bytes kept before a write is started. */
const HIGH_WATER = 64 * 1024;
/** A line kept this long without more is written anyway, in ms. */
const LINGER_MS = 20;

const encoder = new TextEncoder();

/**
 * Buffers lines and writes them in batches.
 *
 * @example
 * ```ts
 * import { LineWriter } from "./output.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks: string[] = [];
 * const sink = {
 *   write(bytes: Uint8Array) {
 *     chunks.push(new TextDecoder().decode(bytes));
 *     return Promise.resolve(bytes.length);
 *   },
 * };
 * const out = new LineWriter(sink);
 * await out.line("1");
 * await out.line("4");
 * await out.close();
 * assert.equal(chunks.join(""), "1\n4\n");
 * ```
 */
export class LineWriter {
  readonly #sink: ByteSink;
  #buffer: string[] = [];
  #size = 0;
  /**
   * The linger of the lines buffered now. `AbortSignal.timeout` rather than `setTimeout`:
   * in Deno 2 the timer globals are Node's, and reading one first starts Deno's Node
   * compatibility layer (about 20 ms and 5 MiB, for a CLI that may run for less than
   * 300). It cannot be cancelled: a flush forgets it, and it finds it was forgotten.
   */
  #linger: AbortSignal | null = null;
  #writing: Promise<void> = Promise.resolve();
  #failure: unknown = null;
  /** Lines handed to the sink so far. */
  #written = 0;

  /** Writes to `sink`. */
  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  /** Lines written out (handed to the sink) so far. */
  get written(): number {
    return this.#written;
  }

  /**
   * Adds one line (a newline is appended). Resolves at once unless the buffer is full,
   * then when it has been written: the caller slows down to the sink's pace.
   */
  line(text: string): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    this.#buffer.push(text);
    this.#size += text.length + 1;
    if (this.#size >= HIGH_WATER) return this.flush();
    if (this.#linger === null) {
      const linger = this.#linger = AbortSignal.timeout(LINGER_MS);
      linger.onabort = () => {
        if (this.#linger === linger) this.flush().catch(() => {});
      };
    }
    return Promise.resolve();
  }

  /** Writes out every line added so far. */
  flush(): Promise<void> {
    this.#linger = null;
    if (this.#buffer.length > 0) {
      const lines = this.#buffer;
      const text = lines.join("\n") + "\n";
      this.#buffer = [];
      this.#size = 0;
      this.#writing = this.#writing.then(async () => {
        if (this.#failure !== null) return;
        try {
          await writeAll(this.#sink, encoder.encode(text));
          this.#written += lines.length;
        } catch (error) {
          this.#failure = error;
        }
      });
    }
    return this.#writing.then(() => {
      if (this.#failure !== null) throw this.#failure;
    });
  }

  /** Flushes (a linger still running then finds nothing to do). */
  close(): Promise<void> {
    return this.flush();
  }
}

async function writeAll(sink: ByteSink, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await sink.write(bytes.subarray(done));
}

/**
 * Whether a write failed because the reading end of a pipe was closed (`| head -1`):
 * not a failure of the work, so the CLI ends quietly, as Unix tools do on SIGPIPE.
 *
 * @param error What a write rejected with.
 * @returns `true` for a broken pipe.
 *
 * @example
 * ```ts
 * import { isClosedPipe } from "./output.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isClosedPipe(new Deno.errors.BrokenPipe("Broken pipe (os error 32)")), true);
 * assert.equal(isClosedPipe(new Error("disk full")), false);
 * ```
 */
export function isClosedPipe(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe;
}
