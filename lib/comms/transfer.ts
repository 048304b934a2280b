/**
 * Zero-copy hand-over of buffers between isolates: wrap an `ArrayBuffer` (or a typed
 * array over one) in `transfer()` as a task argument or a task's return value, and it
 * is moved instead of copied. The sender's buffer is detached afterwards (length 0).
 *
 * @module
 */
import { type EncodedPortable, registerPortable } from "./wire.ts";

/** A value whose buffer moves instead of being copied; see `transfer()`. */
export class Transfer<T extends ArrayBuffer | ArrayBufferView> {
  /** The kind under which the worker runtime revives it. */
  static readonly portableKind = "transfer";
  /** The wrapped buffer or view. */
  readonly value: T;

  /** Wraps `value`; use `transfer()`. */
  constructor(value: T) {
    this.value = value;
  }

  /** The buffer to move, and the value as plain data. */
  encode(): { data: EncodedPortable; transfer: Transferable[] } {
    return {
      data: { __portable: Transfer.portableKind, value: this.value },
      transfer: [bufferOf(this.value)],
    };
  }
}

registerPortable(Transfer.portableKind, (data) => data.value);

/**
 * Marks a buffer to be moved, not copied, when it crosses to or from a worker: a
 * 32 MiB buffer then crosses in well under a millisecond instead of being copied. The
 * sending side loses it (its `byteLength` becomes 0).
 *
 * @typeParam T An `ArrayBuffer` or a typed array / `DataView` over one.
 * @param value The buffer or view to move.
 * @returns A wrapper the pool and the worker runtime unwrap on the other side; the task
 *   (or the caller) receives `value` itself.
 *
 * @example Moving a buffer into a task
 * ```ts
 * import { transfer } from "./transfer.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array(1024);
 * const moving = transfer(bytes);
 * assert.equal(moving.value, bytes);
 * ```
 */
export function transfer<T extends ArrayBuffer | ArrayBufferView>(value: T): Transfer<T> {
  if (!(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) {
    throw new TypeError(
      `Cannot transfer a value as it must be an ArrayBuffer or a typed array: received ${typeof value}`,
    );
  }
  if (ArrayBuffer.isView(value) && !(value.buffer instanceof ArrayBuffer)) {
    throw new TypeError(
      "Cannot transfer a view over a SharedArrayBuffer: it is already shared, pass it as it is",
    );
  }
  return new Transfer(value);
}

/** Collects the buffers of `Transfer` results, unwrapping them in place; null if none. */
export function unwrapTransfers(results: unknown[]): Transferable[] | null {
  let buffers: Transferable[] | null = null;
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    if (result instanceof Transfer) {
      (buffers ??= []).push(bufferOf(result.value));
      results[i] = result.value;
    }
  }
  return buffers;
}

function bufferOf(value: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  return value instanceof ArrayBuffer ? value : (value.buffer as ArrayBuffer);
}
