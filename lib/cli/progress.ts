/**
 * Progress of `map` on stderr: items done, failures, rate, and the time left when the
 * number of items is known. On a terminal, one line redrawn in place a few times a
 * second; elsewhere (when forced with `--progress`), a plain line each second. Ends
 * with a summary line, which also says how long the pool's chunks ran (p50, p95).
 *
 * Written here rather than taken from npm: `cli-progress`, the most used, does work
 * under Deno's npm compatibility, but it has had no release since 2023, brings five
 * packages with it, and centres on a bar with a known total, while `map` mostly reads
 * a stream of unknown length. What is needed is one line of counters.
 *
 * @module
 */
import type { DurationSummary } from "../engine_stats.ts";

/** Where progress goes (`Deno.stderr`). */
export interface ProgressSink {
  /** Writes synchronously (progress must never reorder with other stderr lines). */
  writeSync(bytes: Uint8Array): number;
}

/** How progress is shown. */
export interface ProgressOptions {
  /** Redraw one line in place (a terminal) or print plain lines (forced elsewhere). */
  readonly terminal: boolean;
  /** Milliseconds between updates. @default {terminal ? 100 : 1000} */
  readonly interval?: number;
  /** Clock in ms. @default {performance.now} */
  readonly now?: () => number;
}

const encoder = new TextEncoder();

/**
 * Formats a duration for people: `850 ms`, `12.3 s`, `4m05s`, `2h03m`.
 *
 * @param ms The duration in milliseconds.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatDuration(245_000), "4m05s");
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** A chunk's time: `0.42 ms`, `12.3 ms`, then as `formatDuration`. */
function formatChunkMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return formatDuration(ms);
}

function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "-";
  if (perSecond >= 100) return `${Math.round(perSecond)}`;
  return perSecond.toFixed(1);
}

/**
 * Counts items done and failed and reports them on a sink.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const sink = {
 *   writeSync(bytes: Uint8Array) {
 *     lines.push(new TextDecoder().decode(bytes));
 *     return bytes.length;
 *   },
 * };
 * const progress = new Progress(sink, { terminal: false });
 * progress.done(2);
 * progress.failed(1);
 * progress.finish("map");
 * assert.match(lines.join(""), /map: 2 done, 1 failed/);
 * ```
 */
export class Progress {
  readonly #sink: ProgressSink;
  readonly #terminal: boolean;
  readonly #now: () => number;
  readonly #start: number;
  #done = 0;
  #failed = 0;
  #total: number | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #drawn = false;

  /** Starts counting now; updates every `interval` ms until `finish()`. */
  constructor(sink: ProgressSink, options: ProgressOptions) {
    this.#sink = sink;
    this.#terminal = options.terminal;
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    const interval = options.interval ?? (options.terminal ? 100 : 1000);
    this.#timer = setInterval(() => this.#draw(), interval);
  }

  /** Items that succeeded. */
  done(count = 1): void {
    this.#done += count;
  }

  /** Items that failed. */
  failed(count = 1): void {
    this.#failed += count;
  }

  /** The number of items, once known: the time left is shown from then on. */
  set total(total: number) {
    this.#total = total;
  }

  /** The current line: counts, rate, elapsed time, and time left when known. */
  text(): string {
    const elapsed = this.#now() - this.#start;
    const finished = this.#done + this.#failed;
    const rate = elapsed > 0 ? finished / (elapsed / 1000) : NaN;
    const parts = [
      this.#total === null ? `${this.#done} done` : `${this.#done}/${this.#total} done`,
      `${this.#failed} failed`,
      `${formatRate(rate)}/s`,
      formatDuration(elapsed),
    ];
    if (this.#total !== null && rate > 0 && finished < this.#total) {
      parts.push(`ETA ${formatDuration(((this.#total - finished) / rate) * 1000)}`);
    }
    return parts.join(", ");
  }

  #draw(): void {
    if (this.#terminal) {
      this.#write(`\r\x1b[K${this.text()}`);
      this.#drawn = true;
    } else {
      this.#write(`${this.text()}\n`);
    }
  }

  #write(text: string): void {
    try {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) written += this.#sink.writeSync(bytes.subarray(written));
    } catch {
      // stderr gone (closed pipe): progress is not worth failing the run for.
    }
  }

  /** Clears the redrawn line, so another message can be printed on stderr. */
  clear(): void {
    if (this.#terminal && this.#drawn) {
      this.#write("\r\x1b[K");
      this.#drawn = false;
    }
  }

  /**
   * Stops updating and prints the summary line, `<prefix>: <counts>`, followed by how
   * long the pool's chunks ran when `pool` is given and some ran:
   * `, chunks ran p50 0.42 ms, p95 1.10 ms`.
   *
   * @param prefix The command, and how it ended (`map`, `map (interrupted)`).
   * @param pool The pool's `stats` at the end (`timeRunning` is read).
   */
  finish(prefix: string, pool?: { readonly timeRunning: DurationSummary }): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.clear();
    const ran = pool?.timeRunning;
    const chunks = ran !== undefined && ran.count > 0
      ? `, chunks ran p50 ${formatChunkMs(ran.p50)}, p95 ${formatChunkMs(ran.p95)}`
      : "";
    this.#write(`${prefix}: ${this.text()}${chunks}\n`);
  }
}

/**
 * Counts the lines of a file without holding it (for the time left), or `null` when it
 * is not a regular file (a pipe has no end to count to).
 *
 * @param path The file.
 * @returns The number of lines, counting a last line without `\n`.
 *
 * @example
 * ```ts
 * import { countLines } from "./progress.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "1\n2\n3");
 * assert.equal(await countLines(path), 3);
 * await Deno.remove(path);
 * ```
 */
export async function countLines(path: string): Promise<number | null> {
  const info = await Deno.stat(path);
  if (!info.isFile) return null;
  const file = await Deno.open(path);
  let lines = 0;
  let last = 10;
  // Reading `readable` to its end (or failing) closes the file.
  for await (const chunk of file.readable) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? lines : lines + 1;
}
