/**
 * The module every Web Worker of the library starts from. It takes the worker's private
 * channel to the main side, wires the runtime to it, and makes sure the main side hears
 * of every way this worker can end: a task calling `Deno.exit()` or `self.close()`, or
 * an error nothing caught.
 *
 * The private channel is a `MessagePort` that the main side transfers in the worker's
 * first message. Task code runs in this same isolate, so it must not reach the port:
 * the first message is taken by a capturing listener registered before any task module
 * runs (it stops the event there, so no listener a task adds ever sees the port), the
 * port is kept in this module's closure, and every post goes through functions captured
 * in `intrinsics.ts`. Whatever a task posts through the worker's own `self.postMessage`
 * reaches no one: the main side listens only on the port.
 *
 * @module
 */
import { CRASHED, EXITING, type FromWorker, type ToWorker } from "../shared/protocol.ts";
import { toWireError } from "../shared/wire_error.ts";
import { dispatch, listen, portPost, preventDefault, stopEvent } from "./intrinsics.ts";
import { Runtime } from "./runtime.ts";

declare const self: {
  close(): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
};

let port: MessagePort | null = null;

// No transfer list unless there is something to move: the first post given one, even
// empty, loads Deno's transfer code, which costs a new worker about 1.5 ms.
const post = (message: FromWorker, transfer?: Transferable[]): void => {
  if (port === null) return;
  if (transfer !== undefined && transfer.length > 0) portPost(port, message, transfer);
  else portPost(port, message);
};
const closeWorker = self.close.bind(self);
const exitProcess = Deno.exit;
// The main side here takes answers in batches (`DONE_MANY`).
const runtime = new Runtime(post, true);

/** Says why the worker ends, after the answers it still holds: none is lost. */
function farewell(message: FromWorker): void {
  runtime.flush();
  post(message);
}

// Ending the worker silently would leave the main side waiting: say so first. The
// original is replaced wherever it is found, so no task can reach it by prototype.
const closeSaying = (): void => {
  farewell([EXITING, 0]);
  closeWorker();
};
for (let at: object | null = self; at !== null; at = Object.getPrototypeOf(at)) {
  if (Object.hasOwn(at, "close")) {
    Object.defineProperty(at, "close", {
      value: closeSaying,
      writable: false,
      configurable: false,
    });
  }
}
Object.defineProperty(Deno, "exit", {
  value: (code?: number): never => {
    farewell([EXITING, typeof code === "number" ? code : 0]);
    closeWorker();
    return exitProcess(code);
  },
  writable: false,
  configurable: false,
});

function crash(event: Event, thrown: unknown): void {
  // Before the port arrives (a sandboxed worker's task module failed to load), the error
  // goes on to the main side's `error` handler, the only one that can hear it then.
  if (port === null) return;
  // Handled here, the error neither kills the main program nor prints twice.
  preventDefault(event);
  farewell([CRASHED, toWireError(thrown)]);
  closeWorker();
}
listen(
  self as unknown as EventTarget,
  "error",
  (event) => crash(event, (event as ErrorEvent).error),
);
listen(
  self as unknown as EventTarget,
  "unhandledrejection",
  (event) => crash(event, (event as PromiseRejectionEvent).reason),
);

// The first message carries the private port; nothing after it on this channel is ours.
listen(self as unknown as EventTarget, "message", (event) => {
  if (port !== null) return;
  stopEvent(event);
  const handed = (event as MessageEvent).ports[0];
  if (handed === undefined) return;
  port = handed;
  // Deno's port delivers its messages through `port.dispatchEvent`, looked up on the
  // prototype: a task patching `EventTarget.prototype.dispatchEvent` would see them all.
  Object.defineProperty(port, "dispatchEvent", {
    value: (event: Event) => dispatch(handed, event),
    writable: false,
    configurable: false,
  });
  port.onmessage = (message: MessageEvent<ToWorker>) => runtime.receive(message.data);
}, { capture: true });
