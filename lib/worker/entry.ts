/**
 * The module every worker starts from. It wires the runtime to the worker's message
 * port and makes sure the main side hears of every way this worker can end: a task
 * calling `Deno.exit()` or `self.close()`, or an error nothing caught.
 *
 * @module
 */
import { CRASHED, EXITING, type FromWorker, toWireError, type ToWorker } from "../protocol.ts";
import { Runtime } from "./runtime.ts";

declare const self: {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  close(): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  addEventListener(type: string, listener: (event: Event) => void): void;
};

// No transfer list unless there is something to move: the first post given one, even
// empty, loads Deno's transfer code, which costs a new worker about 1.5 ms.
const post = (message: FromWorker, transfer?: Transferable[]): void =>
  transfer !== undefined && transfer.length > 0
    ? self.postMessage(message, transfer)
    : self.postMessage(message);
const closeWorker = self.close.bind(self);
const exitProcess = Deno.exit;
// The main side here takes answers in batches (`DONE_MANY`).
const runtime = new Runtime(post, true);

/** Says why the worker ends, after the answers it still holds: none is lost. */
function farewell(message: FromWorker): void {
  runtime.flush();
  post(message);
}

// Ending the worker silently would leave the main side waiting: say so first.
self.close = (): void => {
  farewell([EXITING, 0]);
  closeWorker();
};
(Deno as { exit: (code?: number) => never }).exit = (code?: number): never => {
  farewell([EXITING, code ?? 0]);
  closeWorker();
  return exitProcess(code);
};

function crash(event: Event, thrown: unknown): void {
  // Handled here, the error neither kills the main program nor prints twice.
  event.preventDefault();
  farewell([CRASHED, toWireError(thrown)]);
  closeWorker();
}
self.addEventListener("error", (event) => crash(event, (event as ErrorEvent).error));
self.addEventListener(
  "unhandledrejection",
  (event) => crash(event, (event as PromiseRejectionEvent).reason),
);

self.onmessage = (event) => runtime.receive(event.data);
