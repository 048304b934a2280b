/**
 * The module a subprocess-backend child starts from (directly, or imported by a
 * generated bootstrap module in a sandbox). It runs the same worker runtime as a Web
 * Worker, speaking the same protocol over its private Unix socket (see
 * `subprocess_spawn.ts`): frames (`_frames.ts`) of `node:v8`-serialized values.
 *
 * Before any task module runs, it reads the token the parent wrote to stdin (stdin is
 * then at its end: a task reading it gets nothing), and starts connecting to the socket
 * whose path is its last argument. Task code never sees the token or the connection.
 * fd 1 and fd 2 stay the task's: the parent forwards what it writes there. Console
 * output travels as frames on the socket, so it keeps its place before the answer that
 * follows it.
 *
 * The child ends itself when the socket closes (the parent closed the pool, or died)
 * and when its parent process changes, so no child outlives its parent. There is no
 * shared memory with the parent: a local cancel bitmap, set by `CANCEL` messages,
 * serves `cancelled()` and the runtime's checks between items.
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
  type ToWorker,
} from "../shared/protocol.ts";
import { toWireError } from "../shared/wire_error.ts";
import { Runtime } from "./runtime.ts";
import {
  encodeFrame,
  FRAME_MESSAGE,
  FRAME_STDERR,
  FRAME_STDOUT,
  FrameDecoder,
} from "../shared/frames.ts";

/** How often the child checks that its parent is still the one that started it, in ms. */
const PARENT_POLL_MS = 500;
/** Length of the parent's token, in bytes (hex characters). */
const TOKEN_LENGTH = 64;

const encoder = new TextEncoder();
const exitProcess = Deno.exit;
const connect = Deno.connect;

/** Reads the parent's token from stdin, synchronously: no task module has run yet. */
function readToken(): Uint8Array {
  const token = new Uint8Array(TOKEN_LENGTH);
  let filled = 0;
  while (filled < TOKEN_LENGTH) {
    const n = Deno.stdin.readSync(token.subarray(filled));
    if (n === null || n === 0) exitProcess(0);
    filled += n!;
  }
  return token;
}

const token = readToken();
const socket = Deno.args[Deno.args.length - 1]!;
let conn: Deno.UnixConn | null = null;
/** Frames waiting for the connection, then for the write before them to finish. */
let pending: Uint8Array[] = [];
let writing = false;

/**
 * Sends one frame. Writes go one after another (a partial write finishes before the
 * next starts); a write on an idle socket is attempted at once, so the answers a
 * farewell flushes are on their way before the process exits.
 */
function write(kind: number, payload: Uint8Array): void {
  pending[pending.length] = encodeFrame(kind, payload);
  if (!writing && conn !== null) void drain(conn);
}

async function drain(to: Deno.UnixConn): Promise<void> {
  writing = true;
  try {
    while (pending.length > 0) {
      const frames = pending;
      pending = [];
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i]!;
        for (let at = 0; at < frame.byteLength;) at += await to.write(frame.subarray(at));
      }
    }
  } catch {
    exitProcess(0); // The parent is gone.
  } finally {
    writing = false;
  }
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

// However the child ends, the answers it holds leave first: none is lost or blamed.
Object.defineProperty(Deno, "exit", {
  value: (code?: number): never => {
    runtime.flush();
    return exitProcess(code);
  },
  writable: false,
});

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
  try {
    const opened = await connect({ transport: "unix", path: socket });
    await opened.write(token);
    conn = opened;
    if (pending.length > 0) void drain(opened);
    for await (const chunk of opened.readable) decoder.push(chunk, onFrame);
  } catch {
    // The parent is gone, or sent what no frame can be.
  }
  // The parent closed the channel, or is gone.
  Deno.exit(0);
})();
