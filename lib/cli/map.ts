/**
 * The `map` command: a module's exported function over JSON lines (or plain text
 * lines), on a pool, one JSON line out per item, in input order or completion order.
 *
 * Input is streamed through the pool's lazy maps (`imap`, `istarmap` for `--star`, their
 * unordered forms, settled for `--keep-going`), which pull lazily and keep a bounded
 * number of chunks in flight.
 *
 * @module
 */
import { Pool } from "../pool.ts";
import { traitsOf } from "../backend_traits.ts";
import type { Permissions } from "../permissions.ts";
import type { SettledAt } from "../jobs.ts";
import type { TaskFunction } from "../types.ts";
import { type Item, parseItems, readLines } from "./lines.ts";
import { isClosedPipe, LineWriter } from "./output.ts";
import { countLines, Progress } from "./progress.ts";
import { checkSandboxAvailable } from "./sandbox_check.ts";
import { loadTaskModule, UsageError } from "./task_module.ts";
import {
  EXIT_BROKEN_PIPE,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
} from "./exit_codes.ts";

/** What `map` was asked to do. */
export interface MapCommandOptions {
  /** The module, as typed: a path or a URL. */
  readonly module: string;
  /** The exported function's name. */
  readonly exportName: string;
  /** Read from this file rather than stdin. */
  readonly input: string | null;
  /** Write to this file rather than stdout. */
  readonly output: string | null;
  /** Take each line as a string rather than JSON. */
  readonly raw: boolean;
  /** Write results in completion order. */
  readonly unordered: boolean;
  /** Spread each item (a JSON array) as the arguments. */
  readonly star: boolean;
  /** Write failed items as JSON error lines and go on. */
  readonly keepGoing: boolean;
  /** Pool size; `null` for one per core. */
  readonly processes: number | null;
  /** Items per message to a worker; `null` for 1. */
  readonly chunksize: number | null;
  /** Milliseconds a chunk may run; `null` for no limit. */
  readonly timeout: number | null;
  /** Times a crashed or timed-out chunk is run again. */
  readonly retries: number | null;
  /** Progress on stderr: `auto` (when a terminal), `always`, `never`. */
  readonly progress: "auto" | "always" | "never";
  /** The workers' permissions. */
  readonly permissions: Permissions;
  /** What each process is (`--backend`). @default {"worker"} */
  readonly backend?: "worker" | "subprocess";
}

/** One item's outcome, in output order. */
type Outcome =
  | { readonly line: number | null; readonly ok: true; readonly value: unknown }
  | { readonly line: number | null; readonly ok: false; readonly error: unknown };

/**
 * What an error line says about a failure: `tag` (the error class), the remote error's
 * `name` for a `TaskError`, and the message.
 *
 * @param error The failure.
 * @returns A JSON-ready object.
 *
 * @example
 * ```ts
 * import { describeFailure } from "./map.ts";
 * import { TaskError } from "../errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new TaskError({ message: "no", remoteName: "RangeError", isError: true });
 * assert.deepEqual(describeFailure(error), { tag: "TaskError", name: "RangeError", message: "no" });
 * ```
 */
export function describeFailure(
  error: unknown,
): { tag: string; name?: string; message: string } {
  if (error instanceof Error) {
    const tag = (error as { _tag?: unknown })._tag;
    const remote = (error as { remoteName?: unknown }).remoteName;
    const message = "reason" in error && typeof error.reason === "string"
      ? error.reason
      : error.message;
    return {
      tag: typeof tag === "string" ? tag : error.name,
      ...(typeof remote === "string" ? { name: remote } : {}),
      message,
    };
  }
  return { tag: "Error", message: String(error) };
}

function oneLine(text: string): string {
  return text.split("\n").map((part) => part.trim()).filter((part) => part !== "").join(" ");
}

function failureLine(outcome: Outcome & { ok: false }): string {
  const { tag, name, message } = describeFailure(outcome.error);
  const where = outcome.line === null ? "an item" : `line ${outcome.line}`;
  if (tag === "InvalidInput") {
    const raw = message.includes("not valid JSON") ? ", pass --raw to read lines as strings" : "";
    return `map: ${where} ${oneLine(message)}: fix the line${raw}, or pass --keep-going to go on ` +
      "past it";
  }
  return `map: ${where} failed: ${tag}${name === undefined ? "" : ` (${name})`}: ${
    oneLine(message)
  } (pass --keep-going to go on past failed items)`;
}

/**
 * Every item's outcome, through the pool's lazy maps: `imap`/`istarmap` (`--star`) in
 * input order, their unordered forms otherwise, settled (`--keep-going`) or ending at the
 * first failure. A line that does not parse stops the run there, or, with
 * `--keep-going`, is reported in its place and skipped.
 */
async function* streamed(
  pool: Pool,
  fn: TaskFunction,
  items: AsyncIterable<Item>,
  options: MapCommandOptions,
  signal: AbortSignal,
): AsyncGenerator<Outcome> {
  const ordered = !options.unordered;
  const keepGoing = options.keepGoing;
  // Ordered: each item in input order, with its line; unparsed lines wait their turn.
  const queue: Outcome[] = [];
  // Unordered: the lines of the items given to the pool, by position in its input.
  const lineAt = new Map<number, number>();
  // Unordered: unparsed lines, reported as soon as they are read.
  const unparsed: Outcome[] = [];
  let given = 0;
  let stopAt: Item | null = null;
  async function* values(): AsyncGenerator<unknown> {
    for await (const item of items) {
      if (!item.ok) {
        const failure: Outcome = { line: item.line, ok: false, error: item.error };
        if (!keepGoing) {
          // Stop reading here; what came before still runs and is written.
          stopAt = item;
          return;
        }
        if (ordered) queue.push(failure);
        else unparsed.push(failure);
        continue;
      }
      if (ordered) queue.push({ line: item.line, ok: true, value: undefined });
      else lineAt.set(given, item.line);
      given++;
      yield item.value;
    }
  }
  const call = {
    ...(options.chunksize === null ? {} : { chunksize: options.chunksize }),
    settled: keepGoing,
  };
  const input = values();
  const results = options.star
    ? (ordered ? pool.istarmap : pool.istarmapUnordered).call(pool, fn, input as never, call)
    : (ordered ? pool.imap : pool.imapUnordered).call(pool, fn, input, call);
  /** The next item's line, after reporting the unparsed lines before it. */
  function* before(): Generator<Outcome, number | null> {
    if (!ordered) {
      yield* unparsed.splice(0);
      return null;
    }
    while (queue[0] !== undefined && !queue[0].ok) yield queue.shift()!;
    return queue.shift()?.line ?? null;
  }
  // Not imap's own `signal` option: it keeps a little memory per item until the run
  // ends (see the report); ending the iterator stops the call the same way.
  const stop = (): void => void results.return?.();
  signal.addEventListener("abort", stop, { once: true });
  try {
    for await (const result of results as AsyncIterable<unknown>) {
      const line = yield* before();
      if (!keepGoing) {
        yield { line, ok: true, value: result };
        continue;
      }
      const outcome = result as SettledAt<unknown>;
      const at = ordered ? line : lineAt.get(outcome.index) ?? null;
      lineAt.delete(outcome.index);
      yield outcome.status === "fulfilled"
        ? { line: at, ok: true, value: outcome.value }
        : { line: at, ok: false, error: outcome.reason };
    }
  } catch (error) {
    if (signal.aborted) throw error;
    const line = yield* before();
    yield { line: ordered ? line : null, ok: false, error };
    return;
  } finally {
    signal.removeEventListener("abort", stop);
  }
  if (signal.aborted) throw signal.reason;
  yield* ordered ? queue.splice(0) : unparsed.splice(0);
  const last = stopAt as Item | null;
  if (last !== null && !last.ok) yield { line: last.line, ok: false, error: last.error };
}

/** Opens where the items come from: `--input FILE` or stdin. */
async function openInput(path: string | null): Promise<ReadableStream<Uint8Array>> {
  if (path === null) return Deno.stdin.readable;
  try {
    return (await Deno.open(path)).readable;
  } catch (error) {
    throw new UsageError(
      `map: cannot open input '${path}': ${
        error instanceof Error ? error.message : String(error)
      }: check the path`,
    );
  }
}

/** Opens where the results go: `--output FILE` (truncated) or stdout. */
async function openOutput(path: string | null): Promise<Deno.FsFile | typeof Deno.stdout> {
  if (path === null) return Deno.stdout;
  try {
    return await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new UsageError(
      `map: cannot open output '${path}': ${
        error instanceof Error ? error.message : String(error)
      }: check the path`,
    );
  }
}

async function openPool(options: MapCommandOptions): Promise<Pool> {
  try {
    return await Pool.open({
      ...(options.processes === null ? {} : { processes: options.processes }),
      ...(options.timeout === null ? {} : { timeout: options.timeout }),
      ...(options.retries === null ? {} : { retries: options.retries }),
      ...(options.permissions === "inherit" ? {} : { permissions: options.permissions }),
      ...(options.backend === undefined ? {} : { backend: options.backend }),
    });
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) {
      throw new UsageError(`map: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Ends the pool. Child processes are waited for no longer than `ms` (a busy one may take
 * its time to die); Web Workers are gone at once, so no timer is started for them: a
 * program's first timer starts Deno's Node compatibility layer (about 20 ms and 5 MiB).
 */
async function terminate(pool: Pool, ms: number, backend: MapCommandOptions["backend"]) {
  const ended = pool.terminate().catch(() => {});
  if (traitsOf(backend ?? "worker").endsAtOnce) return await ended;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Runs `map` and gives its exit code: 0 when every item succeeded, 1 when one failed,
 * 2 for bad usage, 130 when `signal` aborted (Ctrl-C) — after writing out the results
 * already received and stopping the workers — and 141 (with no message) when stdout
 * was closed before every result was written.
 *
 * @param options What to map, how, and where.
 * @param signal Aborts the run (SIGINT).
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import { mapCommand } from "./map.ts";
 * import assert from "node:assert/strict";
 *
 * const code = await mapCommand({
 *   module: "./no/such/module.ts", exportName: "f", input: null, output: null,
 *   raw: false, unordered: false, star: false, keepGoing: false, processes: 1,
 *   chunksize: null, timeout: null, retries: null, progress: "never",
 *   permissions: "inherit",
 * }, new AbortController().signal);
 * assert.equal(code, 2);
 * ```
 */
export async function mapCommand(options: MapCommandOptions, signal: AbortSignal): Promise<number> {
  let task;
  let input: ReadableStream<Uint8Array>;
  let sink: Deno.FsFile | typeof Deno.stdout;
  let pool: Pool;
  try {
    if (
      options.chunksize !== null && (!Number.isInteger(options.chunksize) || options.chunksize < 1)
    ) {
      throw new UsageError(
        `map: --chunksize must be a positive integer: current value is ${options.chunksize}`,
      );
    }
    task = await loadTaskModule("map", options.module, options.exportName);
    checkSandboxAvailable("map", options.permissions, options.backend);
    input = await openInput(options.input);
    sink = await openOutput(options.output);
    pool = await openPool(options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    return EXIT_USAGE;
  }

  const out = new LineWriter(sink);
  const showProgress = options.progress === "always" ||
    (options.progress === "auto" && Deno.stderr.isTerminal());
  const progress = showProgress
    ? new Progress(Deno.stderr, { terminal: Deno.stderr.isTerminal() })
    : null;
  if (progress !== null && options.input !== null) {
    countLines(options.input).then((total) => {
      if (total !== null) progress.total = total;
    }, () => {});
  }

  const items = parseItems(readLines(input), { raw: options.raw, star: options.star });
  const outcomes = streamed(pool, task.fn, items, options, signal);

  let failed = 0;
  let writeError: unknown = null;
  let stop: { message: string } | null = null;
  let interrupted = false;
  try {
    for await (const outcome of outcomes) {
      let text: string | undefined;
      if (outcome.ok) {
        try {
          text = JSON.stringify(outcome.value) ?? "null";
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          const notJson = new Error(`its result cannot be written as JSON: ${reason}`);
          Object.defineProperty(notJson, "_tag", { value: "ResultNotJSON" });
          (outcome as { ok: boolean }).ok = false;
          (outcome as { error?: unknown }).error = notJson;
        }
      }
      if (text !== undefined) {
        await out.line(text);
        progress?.done();
        continue;
      }
      failed++;
      progress?.failed();
      const failure = outcome as Outcome & { ok: false };
      if (options.keepGoing) {
        await out.line(
          JSON.stringify({ line: failure.line, error: describeFailure(failure.error) }),
        );
      } else {
        stop = { message: failureLine(failure) };
        break;
      }
    }
  } catch (error) {
    if (signal.aborted) {
      interrupted = true;
    } else if (isClosedPipe(error)) {
      // Whoever reads stdout has all it wants (`| head -1`): stop, quietly.
      writeError = error;
    } else {
      stop = {
        message: `map: ${
          error instanceof Error ? `${error.name}: ${oneLine(error.message)}` : error
        }`,
      };
      failed++;
    }
  }

  await out.close().catch((error) => (writeError ??= error));
  if (sink !== Deno.stdout) (sink as Deno.FsFile).close();
  progress?.finish(interrupted ? "map (interrupted)" : "map", pool.stats);
  await terminate(pool, interrupted ? 200 : 1000, options.backend);
  if (interrupted) return EXIT_INTERRUPTED;
  if (isClosedPipe(writeError)) return EXIT_BROKEN_PIPE;
  if (writeError !== null) {
    console.error(`map: cannot write the results: ${(writeError as Error).message ?? writeError}`);
    return EXIT_FAILURE;
  }
  if (stop !== null) console.error(stop.message);
  return failed > 0 ? EXIT_FAILURE : EXIT_OK;
}
