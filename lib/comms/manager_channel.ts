/**
 * How a manager's proxies reach its server: calls through shared memory, so a proxy
 * works the same in the main program, in any worker, and in a worker's workers, with
 * nothing to set up when it crosses (it carries the same memory, as a `Queue` does).
 *
 * The memory is a row of call slots, each a state cell, a length cell and a growable
 * buffer. A caller claims a free slot, writes its request there, rings the doorbell and
 * blocks (`Atomics.wait`) until the server, a dedicated worker, has written the answer
 * into the same slot; then it frees the slot. Calls are synchronous, as Python's proxy
 * calls are; slots only bound how many calls may be in flight at once.
 *
 * @module
 */
import { deserialize, serialize } from "./_codec.ts";
import { sharedField, waitSync } from "./_wait.ts";
import { IpcError } from "./errors.ts";

/** Cells of the control block. */
export const DOORBELL = 0, CLOSED = 1, FREE_SEQ = 2, TOKEN = 3, SLOT_CELLS = 4;
/** A slot's state: free, claimed by a caller, holding a request, holding an answer. */
export const FREE = 0, CLAIMED = 1, REQUEST = 2, ANSWER = 3;
/** Calls that may be in flight at once (more callers wait for a free slot). */
export const SLOTS = 16;
/** A slot's buffer starts this big and grows as a message needs. */
const INITIAL_BYTES = 64 * 1024;
/** The largest request or answer, in bytes. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** How long a waiting caller sleeps before it checks whether the manager shut down. */
const SLICE_MS = 200;

/** The index of slot `slot`'s state cell; its length cell follows it. */
export function stateCell(slot: number): number {
  return SLOT_CELLS + 2 * slot;
}

/** The shared memory of a manager's channel, as it crosses into another isolate. */
export interface ChannelData {
  readonly ctl: SharedArrayBuffer;
  readonly buffers: readonly SharedArrayBuffer[];
}

/**
 * A call to a manager that was shut down (Python raises `ConnectionRefusedError` or
 * `EOFError` there): the manager's objects are gone; start a new manager.
 *
 * @example
 * ```ts
 * import { ManagerClosed } from "./manager_channel.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ManagerClosed("shut down")._tag, "ManagerClosed");
 * ```
 */
export class ManagerClosed extends IpcError {
  /** Tells the error apart on the Effect face. */
  readonly _tag = "ManagerClosed" as const;
}

/** Copies `bytes` into slot `slot`'s buffer, growing it; false when too big. */
export function writeSlot(
  ctl: Int32Array,
  buffer: SharedArrayBuffer,
  slot: number,
  bytes: Uint8Array,
): boolean {
  if (bytes.length > buffer.maxByteLength) return false;
  if (bytes.length > buffer.byteLength) {
    let size = buffer.byteLength;
    while (size < bytes.length) size *= 2;
    buffer.grow(Math.min(size, buffer.maxByteLength));
  }
  new Uint8Array(buffer).set(bytes);
  Atomics.store(ctl, stateCell(slot) + 1, bytes.length);
  return true;
}

/** The message in slot `slot`'s buffer (a copy: the slot is reused). */
export function readSlot(ctl: Int32Array, buffer: SharedArrayBuffer, slot: number): Uint8Array {
  const length = Atomics.load(ctl, stateCell(slot) + 1);
  return new Uint8Array(buffer, 0, length).slice();
}

const channels = new Map<number, ManagerChannel>();

/** One isolate's way to call a manager. */
export class ManagerChannel {
  readonly ctl: Int32Array;
  readonly #buffers: readonly SharedArrayBuffer[];
  readonly #data: ChannelData;
  readonly #first: number;

  private constructor(data: ChannelData) {
    this.#data = data;
    this.ctl = new Int32Array(data.ctl);
    this.#buffers = data.buffers;
    // Callers of different isolates start their search for a free slot apart.
    this.#first = Math.floor(Math.random() * SLOTS);
  }

  /** Makes the shared memory of a new manager. */
  static create(): ManagerChannel {
    const ctl = new SharedArrayBuffer((SLOT_CELLS + 2 * SLOTS) * 4);
    const buffers = Array.from(
      { length: SLOTS },
      () => new SharedArrayBuffer(INITIAL_BYTES, { maxByteLength: MAX_MESSAGE_BYTES }),
    );
    const token = (crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1) || 1;
    Atomics.store(new Int32Array(ctl), TOKEN, token);
    return ManagerChannel.of({ ctl, buffers });
  }

  /** The channel over `data`: one per manager in each isolate. */
  static of(data: ChannelData): ManagerChannel {
    const token = Atomics.load(new Int32Array(data.ctl), TOKEN);
    let channel = channels.get(token);
    if (channel === undefined) {
      channel = new ManagerChannel(data);
      channels.set(token, channel);
    }
    return channel;
  }

  /** The channel revived from a proxy's encoded fields. */
  static revive(data: Record<string, unknown>): ManagerChannel {
    const buffers = data.buffers;
    if (!Array.isArray(buffers) || !buffers.every((b) => b instanceof SharedArrayBuffer)) {
      throw new TypeError("Cannot revive a manager proxy as its 'buffers' are not shared memory");
    }
    return ManagerChannel.of({ ctl: sharedField(data, "ctl"), buffers });
  }

  /** Drops this isolate's cached channel (the manager shut down). */
  forget(): void {
    channels.delete(Atomics.load(this.ctl, TOKEN));
  }

  /** The shared memory, to encode into a proxy that crosses. */
  get data(): ChannelData {
    return this.#data;
  }

  /** Whether the manager was shut down. */
  get closed(): boolean {
    return Atomics.load(this.ctl, CLOSED) === 1;
  }

  /**
   * Calls `method` on object `id` in the server and gives its result; throws the error
   * the server's object threw (as its class: `RangeError`, `TypeError`, ...).
   */
  call(id: number, method: string, args: readonly unknown[], what: string): unknown {
    if (this.closed) throw closedError(what);
    let request: Uint8Array;
    try {
      request = serialize([id, method, args]);
    } catch (error) {
      throw new TypeError(
        `Cannot send this value to the manager's ${what}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (request.length > MAX_MESSAGE_BYTES) throw tooBig(request.length, what);
    const slot = this.#claim(what);
    const ctl = this.ctl;
    const state = stateCell(slot);
    if (!writeSlot(ctl, this.#buffers[slot]!, slot, request)) {
      this.#free(slot);
      throw tooBig(request.length, what);
    }
    Atomics.store(ctl, state, REQUEST);
    Atomics.add(ctl, DOORBELL, 1);
    Atomics.notify(ctl, DOORBELL);
    while (Atomics.load(ctl, state) === REQUEST) {
      // The slot stays taken if the manager is gone: nobody will answer in it.
      if (this.closed) throw closedError(what);
      waitSync(ctl, state, REQUEST, performance.now() + SLICE_MS);
    }
    const answer = readSlot(ctl, this.#buffers[slot]!, slot);
    this.#free(slot);
    const [ok, value] = deserialize(answer) as [boolean, unknown];
    if (ok) return value;
    if (value instanceof Error) {
      // The server's stack says nothing useful: point at the call instead.
      Error.captureStackTrace?.(value, ManagerChannel.prototype.call);
    }
    throw value;
  }

  #claim(what: string): number {
    const ctl = this.ctl;
    for (;;) {
      const seq = Atomics.load(ctl, FREE_SEQ);
      for (let i = 0; i < SLOTS; i++) {
        const slot = (this.#first + i) % SLOTS;
        if (Atomics.compareExchange(ctl, stateCell(slot), FREE, CLAIMED) === FREE) return slot;
      }
      if (this.closed) throw closedError(what);
      waitSync(ctl, FREE_SEQ, seq, performance.now() + SLICE_MS);
    }
  }

  #free(slot: number): void {
    Atomics.store(this.ctl, stateCell(slot), FREE);
    Atomics.add(this.ctl, FREE_SEQ, 1);
    Atomics.notify(this.ctl, FREE_SEQ, 1);
  }
}

function closedError(what: string): ManagerClosed {
  return new ManagerClosed(
    `Cannot use the manager's ${what} as the manager was shut down: its objects are gone ` +
      `(keep the manager open while processes use them)`,
  );
}

function tooBig(bytes: number, what: string): RangeError {
  return new RangeError(
    `Cannot send ${bytes} bytes to the manager's ${what}: a call carries at most ` +
      `${MAX_MESSAGE_BYTES} bytes; store smaller values`,
  );
}
