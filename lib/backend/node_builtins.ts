/**
 * Node's `v8` and `buffer` modules for the main side's backends, looked up on first use
 * (`process.getBuiltinModule`) rather than imported. The first `node:` module a program
 * loads starts Deno's Node compatibility layer (about 30 ms and 7 MiB on the reference
 * machine), and the engine loads every backend: a static `import "node:v8"` in any of
 * them would make each program that opens a pool of Web Workers pay for the subprocess
 * and cluster backends' encoding. Now only a program that starts a child or a cluster
 * worker does, when its first message is encoded.
 *
 * @module
 */
import type * as NodeV8 from "node:v8";
import type * as NodeBuffer from "node:buffer";

// Deno's `process` global (Node's): reading it is what starts the compatibility layer.
declare const process: {
  getBuiltinModule(name: "node:v8"): typeof NodeV8;
  getBuiltinModule(name: "node:buffer"): typeof NodeBuffer;
};

let v8: typeof NodeV8 | undefined;
let buffer: typeof NodeBuffer.Buffer | undefined;

/**
 * `node:v8` (`serialize`, `deserialize`: the structured-clone algorithm as bytes).
 *
 * @example
 * ```ts
 * import { nodeV8 } from "./node_builtins.ts";
 * import assert from "node:assert/strict";
 *
 * const { serialize, deserialize } = nodeV8();
 * assert.deepEqual(deserialize(serialize(new Map([[1, 2]]))), new Map([[1, 2]]));
 * ```
 */
export function nodeV8(): typeof NodeV8 {
  return v8 ??= process.getBuiltinModule("node:v8");
}

/**
 * `node:buffer`'s `Buffer` (base64 for the cluster's JSON columns).
 *
 * @example
 * ```ts
 * import { nodeBuffer } from "./node_builtins.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nodeBuffer().from("hi").toString("base64"), "aGk=");
 * ```
 */
export function nodeBuffer(): typeof NodeBuffer.Buffer {
  return buffer ??= process.getBuiltinModule("node:buffer").Buffer;
}
