/**
 * The module a subprocess-backend child starts from (directly, or imported by a
 * generated bootstrap module in a sandbox). It runs the same worker runtime as a Web
 * Worker, speaking the same protocol over its pipes: messages arrive on stdin and leave
 * on stdout as frames (`_frames.ts`) of `node:v8`-serialized values.
 *
 * Since stdout carries the protocol, console output is framed too: `console.log`,
 * `info`, `debug`, `dir` and `table` become stdout frames and `console.error`, `warn`
 * and `trace` stderr frames, which the parent writes to its own stdout and stderr.
 * `Deno.stdout` is pointed at stderr, so direct writes cannot corrupt the protocol.
 *
 * The child ends itself when its stdin closes (the parent closed the pool, or the
 * parent died: the kernel closes the pipe) and when its parent process changes (a
 * parent killed while the pipe is held open elsewhere), so no child outlives its
 * parent. There is no shared memory with the parent: a local cancel bitmap, set by
 * `CANCEL` messages, serves `cancelled()` and the runtime's checks between items.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { format } from "node:util";
import {
  CANCEL,
  CANCEL_SLOTS,
  CRASHED,
  type FromWorker,
  INIT,
  RUN,
  RUN_MANY,
  type RunMessage,
  setCancelled,
  toWireError,
  type ToWorker,
} from "../protocol.ts";
import { Runtime } from "../worker/runtime.ts";
import { encodeFrame, FRAME_MESSAGE, FRAME_STDERR, FRAME_STDOUT, FrameDecoder } from "./_frames.ts";

/** How often the child checks that its parent is still the one that started it, in ms. */
const PARENT_POLL_MS = 500;

const stdout = Deno.stdout;
const encoder = new TextEncoder();

function write(kind: number, payload: Uint8Array): void {
  const frame = encodeFrame(kind, payload);
  // Synchronous: frames never interleave, and output precedes the answer that follows.
  for (let at = 0; at < frame.byteLength;) at += stdout.writeSync(frame.subarray(at));
}

const post = (message: FromWorker): void => write(FRAME_MESSAGE, serialize(message));
// The parent takes answers in batches (`DONE_MANY`).
const runtime = new Runtime(post, true);

function redirect(kind: number, names: readonly string[]): void {
  const target = console as unknown as Record<string, unknown>;
  for (const name of names) {
    target[name] = (...args: unknown[]): void => {
      let text = format(...args);
      if (name === "trace") {
        text = `Trace: ${text}\n${new Error().stack?.split("\n").slice(2).join("\n")}`;
      }
      write(kind, encoder.encode(text + "\n"));
    };
  }
}
redirect(FRAME_STDOUT, ["log", "info", "debug", "dir", "dirxml", "table"]);
redirect(FRAME_STDERR, ["error", "warn", "trace"]);
Object.defineProperty(Deno, "stdout", { value: Deno.stderr, configurable: true });

// However the child ends, the answers it holds leave first: none is lost or blamed.
const exitProcess = Deno.exit;
(Deno as { exit: (code?: number) => never }).exit = (code?: number): never => {
  runtime.flush();
  return exitProcess(code);
};

// An error nothing caught ends the child, as it ends a worker: say why first.
function crash(event: Event, thrown: unknown): void {
  event.preventDefault();
  try {
    runtime.flush();
    post([CRASHED, toWireError(thrown)]);
  } finally {
    Deno.exit(1);
  }
}
globalThis.addEventListener("error", (event) => crash(event, (event as ErrorEvent).error));
globalThis.addEventListener(
  "unhandledrejection",
  (event) => crash(event, (event as PromiseRejectionEvent).reason),
);
// `close()` ends a worker; here it ends the process, with code 0.
(globalThis as { close?: () => void }).close = () => Deno.exit(0);

const parent = Deno.ppid;
const watch = setInterval(() => {
  if (Deno.ppid !== parent) Deno.exit(0);
}, PARENT_POLL_MS);
Deno.unrefTimer(watch);

const cancelBits = new SharedArrayBuffer(CANCEL_SLOTS / 8);
const cancelView = new Int32Array(cancelBits);
let newestJob = 0;

/** Job ids only grow: a job seen first clears a bit a job 65536 earlier may have set. */
function sawRun(run: RunMessage): void {
  if (run[3] > newestJob) {
    newestJob = run[3];
    setCancelled(cancelView, newestJob, false);
  }
}

function receive(message: ToWorker): void {
  switch (message[0]) {
    case INIT:
      runtime.receive([INIT, { ...message[1], cancelBits, busy: null }]);
      return;
    case RUN:
      sawRun(message);
      break;
    case RUN_MANY:
      for (const run of message[1]) sawRun(run);
      break;
    case CANCEL:
      setCancelled(cancelView, message[1], true);
      break;
  }
  runtime.receive(message);
}

const decoder = new FrameDecoder();
const onFrame = (kind: number, payload: Uint8Array): void => {
  if (kind === FRAME_MESSAGE) receive(deserialize(payload) as ToWorker);
};
// Not a top-level await: a bootstrap module importing this one evaluates its task modules.
(async () => {
  for await (const chunk of Deno.stdin.readable) decoder.push(chunk, onFrame);
  // The parent closed the pipe, or is gone.
  Deno.exit(0);
})();
