/**
 * The manager's server, as Python's manager process: a dedicated worker that holds the
 * shared objects and answers every proxy's calls, one at a time, through the channel's
 * shared memory (see `manager_channel.ts`). It is the entry module of that worker: it
 * waits for the channel, says it is ready, then serves until the manager shuts down.
 *
 * @module
 */
import { deserialize, serialize } from "./_codec.ts";
import {
  ANSWER,
  CLOSED,
  DOORBELL,
  MAX_MESSAGE_BYTES,
  readSlot,
  REQUEST,
  SLOTS,
  stateCell,
  writeSlot,
} from "./manager_channel.ts";
import { callHeld, type Held, makeHeld, type ObjectKind } from "./manager_objects.ts";

/** The server's own object: it makes and drops the others. */
const ROOT = 0;
/** How long the server sleeps between checks that the manager is still open. */
const IDLE_MS = 1000;

const objects = new Map<number, Held>();
let nextId = ROOT + 1;

function rootCall(method: string, args: unknown[]): unknown {
  switch (method) {
    case "create": {
      const id = nextId++;
      objects.set(id, makeHeld(args[0] as ObjectKind, args[1]));
      return id;
    }
    case "drop":
      return objects.delete(args[0] as number);
    case "count":
      return objects.size;
    default:
      throw new TypeError(`The manager has no method '${method}'`);
  }
}

/** Runs one request and gives the answer's bytes: `[true, value]` or `[false, error]`. */
function answer(request: Uint8Array): Uint8Array {
  let outcome: [boolean, unknown];
  try {
    const [id, method, args] = deserialize(request) as [number, string, unknown[]];
    if (id === ROOT) outcome = [true, rootCall(method, args)];
    else {
      const held = objects.get(id);
      if (held === undefined) {
        throw new ReferenceError(`The manager holds no object #${id}: it was dropped`);
      }
      outcome = [true, callHeld(held, method, args)];
    }
  } catch (error) {
    outcome = [false, error instanceof Error ? error : new Error(String(error))];
  }
  try {
    return serialize(outcome);
  } catch (error) {
    return serialize([
      false,
      new TypeError(`Cannot send the answer back: ${(error as Error).message}`),
    ]);
  }
}

function serve(ctl: Int32Array, buffers: readonly SharedArrayBuffer[]): void {
  while (Atomics.load(ctl, CLOSED) === 0) {
    const bell = Atomics.load(ctl, DOORBELL);
    let served = false;
    for (let slot = 0; slot < SLOTS; slot++) {
      const state = stateCell(slot);
      if (Atomics.load(ctl, state) !== REQUEST) continue;
      served = true;
      const buffer = buffers[slot]!;
      let bytes = answer(readSlot(ctl, buffer, slot));
      if (bytes.length > MAX_MESSAGE_BYTES) {
        bytes = serialize([
          false,
          new RangeError(
            `Cannot send an answer of ${bytes.length} bytes back from the manager: a call ` +
              `carries at most ${MAX_MESSAGE_BYTES} bytes; read it in parts (slice a list)`,
          ),
        ]);
      }
      writeSlot(ctl, buffer, slot, bytes);
      Atomics.store(ctl, state, ANSWER);
      Atomics.notify(ctl, state);
    }
    // A dedicated thread: blocking here costs nobody anything, and wakes fastest.
    if (!served) Atomics.wait(ctl, DOORBELL, bell, IDLE_MS);
  }
}

interface Start {
  readonly ctl: SharedArrayBuffer;
  readonly buffers: readonly SharedArrayBuffer[];
}

/** The worker's global scope, as much of it as the server uses. */
declare const self: {
  onmessage: ((event: MessageEvent<Start>) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
};

self.onmessage = (event: MessageEvent<Start>) => {
  self.onmessage = null;
  const { ctl, buffers } = event.data;
  self.postMessage("ready");
  serve(new Int32Array(ctl), buffers);
  self.close();
};
