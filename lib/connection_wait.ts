/**
 * `wait()`, as Python's `multiprocessing.connection.wait(object_list, timeout)`: waits
 * until one of several connections has something to read (or its other end closed) or
 * one of several processes has ended, and gives every one that is ready.
 *
 * @module
 */
import type { Connection } from "./comms/pipe.ts";
import { type Process, processCore } from "./process.ts";
import type { TaskFunction } from "./types.ts";

/** What `wait` watches: a `Pipe` end that can receive, or a started `Process`. */
export type Waitable = Connection<unknown> | Process<TaskFunction>;

/**
 * Waits until at least one of `objects` is ready, or `timeout` ms pass: a connection is
 * ready when `recv()` would answer at once (a message, or the other end closed), a
 * process when it has ended (Python's `sentinel`). Gives the ready ones, in the order
 * given; an empty list when the timeout passed first.
 *
 * @param objects Connections and started processes.
 * @param timeout Milliseconds to wait. @default {Infinity}
 * @param options `signal`: aborting it ends the wait, rejecting with its reason.
 * @throws {TypeError} An object is neither a readable connection nor a started process.
 * @throws {RangeError} `timeout` is negative or not a number.
 *
 * @example Whichever answers first
 * ```ts
 * import { connection, inline, Pipe, Process } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const [reader, writer] = Pipe<string>(false);
 * const p = new Process({ target: inline(() => 1) });
 * await p.start();
 * await writer.send("hello");
 * const ready = await connection.wait([reader, p]);
 * assert.ok(ready.includes(reader));
 * await p.join();
 * assert.deepEqual(await connection.wait([p], 0), [p]);
 * reader.close();
 * writer.close();
 * ```
 */
export async function wait<T extends Waitable>(
  objects: readonly T[],
  timeout: number = Infinity,
  options: { readonly signal?: AbortSignal } = {},
): Promise<T[]> {
  if (!Array.isArray(objects)) {
    throw new TypeError(
      `Cannot wait as 'objects' must be an array of connections and processes: received ${typeof objects}`,
    );
  }
  if (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot wait as 'timeout' must be a number of milliseconds, 0 or more: current value is ${
        String(timeout)
      }`,
    );
  }
  for (const object of objects) checkWaitable(object);
  const now = await readyOnes(objects);
  if (now.length > 0 || timeout === 0) return now;
  options.signal?.throwIfAborted();
  const stop = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A process is watched through its core, so that the end of the wait takes the watch back.
  const unwatch: Array<() => void> = [];
  const watchers: Promise<unknown>[] = objects.map((object) =>
    isProcess(object)
      ? new Promise((resolve) => unwatch.push(processCore(object)!.whenGone(resolve)))
      : object.poll(Infinity, { signal: stop.signal }).catch(() => {})
  );
  if (timeout !== Infinity) {
    watchers.push(new Promise((resolve) => (timer = setTimeout(resolve, timeout))));
  }
  const { signal } = options;
  let onAbort = (): void => {};
  if (signal) watchers.push(new Promise((resolve) => (onAbort = () => resolve(undefined))));
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race(watchers);
  } finally {
    clearTimeout(timer);
    stop.abort();
    for (const off of unwatch) off();
    signal?.removeEventListener("abort", onAbort);
  }
  signal?.throwIfAborted();
  return await readyOnes(objects);
}

function isProcess(object: Waitable): object is Process<TaskFunction> {
  return processCore(object as Process<TaskFunction>) !== undefined;
}

function checkWaitable(object: Waitable): void {
  if (isProcess(object)) {
    if (object.pid === null) {
      throw new TypeError(`Cannot wait on process '${object.name}' before start()`);
    }
    return;
  }
  if (typeof (object as { poll?: unknown })?.poll !== "function" || !object.readable) {
    throw new TypeError(
      `Cannot wait on ${
        object === null ? "null" : typeof object
      }: pass Pipe ends that can receive and started processes`,
    );
  }
}

async function readyOnes<T extends Waitable>(objects: readonly T[]): Promise<T[]> {
  const ready: T[] = [];
  for (const object of objects) {
    if (isProcess(object) ? !object.isAlive() : await object.poll(0)) ready.push(object);
  }
  return ready;
}
