/**
 * How the subprocess backend's messages become bytes and back: `node:v8`'s
 * serialization, the structured-clone algorithm `postMessage` uses, so a child receives
 * what a worker would. Shared memory cannot cross a process boundary, so what carries
 * it is refused (communication objects) or left out (the pool's cancel bitmap and busy
 * flag: the child keeps its own, set by `CANCEL`).
 *
 * @module
 */
import { INIT, RUN, RUN_MANY, type RunMessage, type ToWorker } from "../shared/protocol.ts";
import { nodeV8 } from "./node_builtins.ts";

/**
 * A message to a child as bytes.
 *
 * @example
 * ```ts
 * import { decodeFromChild, encodeForChild } from "./subprocess_codec.ts";
 * import { CANCEL } from "../shared/protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeFromChild(encodeForChild([CANCEL, 7])), [CANCEL, 7]);
 * ```
 *
 * @throws {TypeError} A run carries a communication object (it shares memory).
 * @throws {Error} A value cannot be cloned (a function, a symbol...).
 */
export function encodeForChild(message: ToWorker): Uint8Array {
  const refuse = ([, , , , items, spread, , encoded]: RunMessage): void => {
    if (encoded) refuseShared(items, spread);
  };
  const [kind, detail] = message;
  if (kind === RUN) refuse(message);
  else if (kind === RUN_MANY) detail.forEach(refuse);
  const { serialize } = nodeV8();
  if (kind === INIT && (detail.cancelBits !== null || detail.busy !== null)) {
    return serialize([INIT, { ...detail, cancelBits: null, busy: null }]);
  }
  return serialize(message);
}

/**
 * A child's message from its bytes (not checked yet: `readFromWorker` does that).
 *
 * @example
 * ```ts
 * import { decodeFromChild, encodeForChild } from "./subprocess_codec.ts";
 * import { CANCEL } from "../shared/protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeFromChild(encodeForChild([CANCEL, 7])), [CANCEL, 7]);
 * ```
 *
 * @throws {Error} The bytes are not a serialized value.
 */
export function decodeFromChild(bytes: Uint8Array): unknown {
  return nodeV8().deserialize(bytes);
}

/** Encoded communication objects share memory: refused, naming the backend. */
function refuseShared(items: readonly unknown[], spread: boolean): void {
  for (const item of items) {
    for (const value of spread && Array.isArray(item) ? item : [item]) {
      const kind = (value as { __portable?: unknown } | null)?.__portable;
      if (typeof kind === "string" && kind !== "transfer") {
        throw new TypeError(
          `a '${kind}' shares memory with this program, which a process of the "subprocess" ` +
            `backend cannot: use the "worker" backend to pass communication objects`,
        );
      }
    }
  }
}
