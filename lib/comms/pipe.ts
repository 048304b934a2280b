/**
 * `Pipe()`: two connected ends, as Python's `multiprocessing.Pipe`. Each direction is a
 * ring of messages in shared memory. An end may be passed to any number of processes;
 * each copy is a handle of that end, and the end is closed once every handle is: then
 * the other side reads what was left and after it gets `EOFError`.
 *
 * @module
 */
import { deserialize, serialize } from "./_codec.ts";
import { Ring, type RingData, SEQ } from "./_ring.ts";
import { deadlineOf, remaining, sharedCells, sharedField, waitAsync } from "./_wait.ts";
import { BrokenPipeError, EOFError, HandleClosed } from "./errors.ts";
import { type EncodedPortable, registerPortable } from "./wire.ts";

interface ConnectionState {
  /** `[handles of end 0, handles of end 1]`. */
  readonly handles: Int32Array;
  readonly side: 0 | 1;
  readonly input: Ring | null;
  readonly output: Ring | null;
  /** This handle's own cell: 0 open, 1 closed; makes closing happen once. */
  readonly token: Int32Array;
}

let reviving: ConnectionState | null = null;

/** Options of `Connection.recv()`. */
export interface RecvOptions {
  /** Stops waiting: the call rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/**
 * One end of a `Pipe`, as Python's `multiprocessing.connection.Connection`. Messages
 * are copied (structured-clone semantics) and arrive in the order they were sent.
 *
 * @typeParam T The messages.
 *
 * @example A round trip in one program
 * ```ts
 * import { Pipe } from "./pipe.ts";
 * import assert from "node:assert/strict";
 *
 * const [left, right] = Pipe<string>();
 * await left.send("ping");
 * assert.equal(await right.poll(), true);
 * assert.equal(await right.recv(), "ping");
 * left.close();
 * right.close();
 * ```
 */
export class Connection<T = unknown> {
  /** Names the reviver of this class in a worker. */
  static readonly portableKind: string = "multiprocessing.Connection";
  readonly #state: ConnectionState;
  #closed = false;

  /** Not for users: ends are made by `Pipe()`. */
  constructor() {
    const state = reviving;
    reviving = null;
    if (state === null) throw new TypeError("Cannot make a Connection directly: call Pipe()");
    this.#state = state;
  }

  /** True when this end can receive. */
  get readable(): boolean {
    return this.#state.input !== null;
  }

  /** True when this end can send. */
  get writable(): boolean {
    return this.#state.output !== null;
  }

  /** True after `close()` on this handle. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a message to the other end.
   *
   * @throws {BrokenPipeError} Every handle of the other end is closed.
   * @throws {HandleClosed} This handle is closed.
   * @throws {TypeError} This end is read-only, or the message cannot be sent.
   */
  send(message: T): Promise<void> {
    try {
      const output = this.#state.output;
      this.#checkOpen("send on");
      if (output === null) {
        throw new TypeError("Cannot send on a read-only end: Pipe(false) gives [reader, writer]");
      }
      if (Atomics.load(this.#state.handles, 1 - this.#state.side) === 0) {
        throw new BrokenPipeError("Cannot send on the pipe as its other end is closed");
      }
      output.push(serialize(message));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Receives the next message, waiting for one.
   *
   * @throws {EOFError} Nothing is left and every handle of the other end is closed.
   * @throws {HandleClosed} This handle is closed.
   * @throws {TypeError} This end is write-only.
   */
  async recv(options: RecvOptions = {}): Promise<T> {
    const input = this.#input("receive on");
    for (;;) {
      this.#checkOpen("receive on");
      const seq = Atomics.load(input.cells, SEQ);
      const bytes = input.pop();
      if (bytes !== null) return deserialize(bytes) as T;
      if (this.#peerClosed()) {
        // A message may have landed between the pop and the check.
        const last = input.pop();
        if (last !== null) return deserialize(last) as T;
        throw new EOFError("Cannot receive as the other end of the pipe is closed");
      }
      await waitAsync(input.cells, SEQ, seq, Infinity, options.signal);
    }
  }

  /**
   * Whether `recv()` would answer without waiting (a message is there, or the other end
   * is closed), waiting up to `timeout` ms for it (Python's `poll(timeout)`).
   *
   * @param timeout Milliseconds to wait; 0 asks without waiting, Infinity waits until then.
   */
  async poll(timeout = 0, options: RecvOptions = {}): Promise<boolean> {
    const input = this.#input("poll");
    const deadline = deadlineOf("poll the connection", timeout);
    for (;;) {
      this.#checkOpen("poll");
      const seq = Atomics.load(input.cells, SEQ);
      if (input.count() > 0 || this.#peerClosed()) return true;
      if (remaining(deadline) === 0) return false;
      await waitAsync(input.cells, SEQ, seq, deadline, options.signal);
    }
  }

  /**
   * Closes this handle. When it was the last handle of its end, the other side reads
   * what is left and then gets `EOFError`. Closing twice does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeHandle(this.#state);
  }

  /** Closes this handle: `using conn = ...` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Plain data for another isolate, for the worker wire: a new handle of this end.
   * `release` closes that handle (for a process that ended without closing it).
   *
   * @ignore
   */
  encode(): {
    readonly data: EncodedPortable;
    readonly transfer: readonly Transferable[];
    readonly release: () => void;
  } {
    this.#checkOpen("send");
    const s = this.#state;
    Atomics.add(s.handles, s.side, 1);
    const token = sharedCells(1);
    const data: EncodedPortable = {
      __portable: Connection.portableKind,
      handles: s.handles.buffer,
      side: s.side,
      token: token.buffer,
      ...(s.input && { input: s.input.data() }),
      ...(s.output && { output: s.output.data() }),
    };
    return { data, transfer: [], release: () => closeHandle({ ...s, token }) };
  }

  #input(action: string): Ring {
    const input = this.#state.input;
    if (input === null) {
      throw new TypeError(`Cannot ${action} a write-only end: Pipe(false) gives [reader, writer]`);
    }
    return input;
  }

  #peerClosed(): boolean {
    return Atomics.load(this.#state.handles, 1 - this.#state.side) === 0;
  }

  #checkOpen(action: string): void {
    if (this.#closed) throw new HandleClosed(`Cannot ${action} a closed connection`);
  }
}

function closeHandle(state: ConnectionState): void {
  if (Atomics.compareExchange(state.token, 0, 0, 1) !== 0) return;
  Atomics.sub(state.handles, state.side, 1);
  // Readers on the other side wake to see the end of file.
  state.output?.wakeAll();
}

function connection<T>(state: ConnectionState): Connection<T> {
  reviving = state;
  try {
    return new Connection<T>();
  } finally {
    reviving = null;
  }
}

/**
 * Makes a pipe, as Python's `multiprocessing.Pipe(duplex)`.
 *
 * @typeParam T The messages.
 * @param duplex True: both ends send and receive. False: the first end only receives,
 * the second only sends. @default true
 * @returns The two ends; pass either to a process as a task argument.
 *
 * @example One way
 * ```ts
 * import { Pipe } from "./pipe.ts";
 * import assert from "node:assert/strict";
 *
 * const [reader, writer] = Pipe<number[]>(false);
 * await writer.send([1, 2, 3]);
 * assert.deepEqual(await reader.recv(), [1, 2, 3]);
 * assert.equal(reader.writable, false);
 * ```
 */
export function Pipe<T = unknown>(duplex = true): [Connection<T>, Connection<T>] {
  if (typeof duplex !== "boolean") {
    throw new TypeError(
      `Cannot make a pipe as 'duplex' must be a boolean: received ${typeof duplex}`,
    );
  }
  const handles = sharedCells(2);
  Atomics.store(handles, 0, 1);
  Atomics.store(handles, 1, 1);
  const toFirst = new Ring();
  const toSecond = duplex ? new Ring() : null;
  return [
    connection({ handles, side: 0, input: toFirst, output: toSecond, token: sharedCells(1) }),
    connection({ handles, side: 1, input: toSecond, output: toFirst, token: sharedCells(1) }),
  ];
}

function ringOf(data: EncodedPortable, field: string): Ring | null {
  const value = data[field] as RingData | undefined;
  if (value === undefined) return null;
  return new Ring({
    ctl: sharedField({ ...value }, "ctl"),
    buffer: sharedField({ ...value }, "buffer"),
  });
}

registerPortable(Connection.portableKind, (data) =>
  connection({
    handles: new Int32Array(sharedField(data, "handles")),
    side: data.side === 1 ? 1 : 0,
    input: ringOf(data, "input"),
    output: ringOf(data, "output"),
    token: new Int32Array(sharedField(data, "token")),
  }));
