/**
 * The Web Worker backend: starts a worker on the runtime's entry module and reports
 * everything that comes out of it, including every way it can end, to one listener.
 *
 * @module
 */
import type { Permissions } from "../permissions.ts";
import { CRASHED, EXITING, type FromWorker, type ToWorker, type WireError } from "../protocol.ts";

const ENTRY = new URL("../worker/entry.ts", import.meta.url).href;

/** Why a worker is gone. */
export interface WorkerEnd {
  /** The code it passed to `Deno.exit()` (0 for `self.close()`), or null for an error. */
  readonly exitCode: number | null;
  /** The uncaught error that ended it, when one did. */
  readonly error: WireError | null;
  /** A sentence for messages: "exited with code 3", "crashed: Uncaught Error: boom". */
  readonly reason: string;
}

/** What the owner of a worker hears from it. */
export interface WorkerListener {
  message(message: FromWorker): void;
  /** Called once, when the worker ended on its own (never after `terminate()`). */
  ended(end: WorkerEnd): void;
}

/** A started worker, as its owner speaks to it. */
export interface WorkerChannel {
  /** Sends a message; throws a `DataCloneError` when a value cannot be cloned. */
  post(message: ToWorker, transfer?: Transferable[]): void;
  /** Stops the worker now. Safe to call twice. */
  terminate(): void;
  /** False once the worker ended or was terminated. */
  readonly alive: boolean;
}

/** Number of workers started by this program and not yet ended: tests count them. */
let live = 0;

/** How many workers are alive right now in this program. */
export function liveWorkers(): number {
  return live;
}

/** Starts a worker named `name` that reports to `listener`, with `permissions`. */
export function startWebWorker(
  name: string,
  listener: WorkerListener,
  permissions: Permissions = "inherit",
): WorkerChannel {
  if (permissions !== "inherit") {
    throw new TypeError("Cannot start a sandboxed worker: permissions are not supported yet");
  }
  const worker = new Worker(ENTRY, { type: "module", name });
  live++;
  let alive = true;
  const stop = (): void => {
    if (!alive) return;
    alive = false;
    live--;
    worker.terminate();
  };
  const end = (value: WorkerEnd): void => {
    if (!alive) return;
    stop();
    listener.ended(value);
  };
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    if (message[0] === EXITING) {
      end({ exitCode: message[1], error: null, reason: `exited with code ${message[1]}` });
    } else if (message[0] === CRASHED) {
      end({ exitCode: null, error: message[1], reason: `crashed: ${message[1].message}` });
    } else if (alive) {
      listener.message(message);
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    // Without this the error would end the main program too.
    event.preventDefault();
    end({
      exitCode: null,
      error: { tag: "TaskError", name: "Error", message: event.message, isError: true },
      reason: `crashed: ${event.message}`,
    });
  };
  worker.onmessageerror = () => {
    end({
      exitCode: null,
      error: null,
      reason: "sent a message that could not be deserialized",
    });
  };
  return {
    post(message, transfer) {
      if (alive) worker.postMessage(message, transfer ?? []);
    },
    terminate: stop,
    get alive() {
      return alive;
    },
  };
}
