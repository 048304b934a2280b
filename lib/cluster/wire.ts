/**
 * What crosses the cluster besides Effect's own envelopes: items and answers as
 * structured-clone bytes (`node:v8`, the algorithm `postMessage` uses), in base64 so
 * they can sit in a JSON column. Effect-free: the client endpoint and the runner use it.
 *
 * @module
 */
import { nodeBuffer, nodeV8 } from "../backend/node_builtins.ts";
import type { WireError } from "../shared/wire_error.ts";

/** A runner's answer for one chunk. */
export type ChunkAnswer =
  | {
    readonly kind: "done";
    readonly results: readonly unknown[];
    readonly errors: ReadonlyArray<readonly [number, WireError]> | null;
  }
  | { readonly kind: "failed"; readonly error: WireError }
  /** The runner's own worker died or timed out on it: the client treats it as a crash. */
  | { readonly kind: "crashed"; readonly reason: string };

/**
 * Values to base64 structured-clone bytes.
 *
 * @example
 * ```ts
 * import { decode, encode } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decode(encode([1, new Map([[2, 3]])])), [1, new Map([[2, 3]])]);
 * ```
 */
export function encode(value: unknown): string {
  return nodeBuffer().from(nodeV8().serialize(value)).toString("base64");
}

/**
 * Base64 structured-clone bytes back to values.
 *
 * @example
 * ```ts
 * import { decode, encode } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decode(encode("x")), "x");
 * ```
 */
export function decode(text: string): unknown {
  return nodeV8().deserialize(nodeBuffer().from(text, "base64"));
}
