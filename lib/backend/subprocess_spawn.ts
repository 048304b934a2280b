/**
 * Starting one child `deno` of the subprocess backend, and its private channel.
 *
 * The protocol does not travel on the child's stdin or stdout: task code in the child
 * can read fd 0 and write fd 1 (`node:process` needs no permission for either), so
 * either would let a task read other tasks' arguments or forge answers. Instead each
 * child gets a Unix socket of its own: the parent listens on a fresh path in a private
 * directory, writes a random token to the child's stdin and closes it; the child's
 * runtime reads the token before any task module runs, connects, and sends it first.
 * The first connection that presents the token becomes the channel; the listener then
 * closes and its path is removed, so nothing else can connect. Task code never sees the
 * token or the connection (node:fs cannot reach a socket by number).
 *
 * fd 1 and fd 2 stay the child's own: what a task writes there is forwarded line by
 * line to this program's stdout and stderr, never read as protocol.
 *
 * @module
 */
import type { FromWorker } from "../shared/protocol.ts";
import type { WireError } from "../shared/wire_error.ts";
import { CRASHED, EXITING } from "../shared/protocol.ts";
import { isViolation, readFromWorker } from "../protocol_check.ts";
import type { WorkerEnd } from "./endpoint.ts";
import { decodeFromChild } from "./subprocess_codec.ts";
import {
  encodeFrame,
  FRAME_MESSAGE,
  FRAME_STDERR,
  FRAME_STDOUT,
  FrameDecoder,
  FrameTooLarge,
} from "../shared/frames.ts";

/** Milliseconds to wait for a dead child's pipes to drain (a grandchild may hold them). */
const DRAIN_MS = 500;
/** Bytes of a child's stderr kept to tell why it died. */
const STDERR_TAIL = 4096;
/** Length of the token, in hex characters. */
const TOKEN_LENGTH = 64;

/** What a started child reports. */
export interface ChildEvents {
  /** A checked protocol message. */
  message(message: FromWorker): void;
  /** The child broke the protocol (a bad frame or message): it is being killed. */
  violation(reason: string): void;
}

/** A child that is running, or was. */
export interface Child {
  readonly process: Deno.ChildProcess;
  /** Sends one encoded message; held until the child has connected. */
  send(bytes: Uint8Array): void;
  /** Closes the channel after what was sent: the child exits with code 0 once it read it. */
  end(): void;
  /** Settles with how the child ended, once it exited and its pipes drained. */
  readonly done: Promise<WorkerEnd>;
  /** Set when it was told to stop; then its end is not reported. */
  stopped: boolean;
  killTimer: ReturnType<typeof setTimeout> | undefined;
}

let directory: string | null = null;
let socketNumber = 0;

/**
 * Checks, once, that this program can make the children's sockets: a private directory
 * under the temporary directory, and a Unix socket listening in it.
 *
 * @throws {Deno.errors.NotCapable} Read, write or net access is missing.
 */
export function checkSocketAccess(): void {
  if (directory !== null) return;
  let probe: Deno.Listener | null = null;
  try {
    directory = Deno.makeTempDirSync({ prefix: "multiprocessing-" });
    probe = Deno.listen({ transport: "unix", path: `${directory}/0.sock` });
  } catch (error) {
    if (directory !== null) {
      try {
        Deno.removeSync(directory, { recursive: true });
      } catch {
        // Nothing was made.
      }
    }
    directory = null;
    throw new Deno.errors.NotCapable(
      `Cannot start a subprocess as this program cannot make its private channel, a Unix ` +
        `socket in the temporary directory (${
          error instanceof Error ? error.message : String(error)
        }): run with --allow-read --allow-write --allow-net (or -A)`,
    );
  }
  closeListener(probe, `${directory}/0.sock`);
  const made = directory;
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(made, { recursive: true });
    } catch {
      // Already gone.
    }
  });
}

/** A fresh socket path in this program's private directory (mode 0700). */
function socketPath(): string {
  checkSocketAccess();
  return `${directory}/${++socketNumber}.sock`;
}

/** The flags a sandboxed child needs to reach its socket, and nothing more. */
export function socketFlags(path: string): string[] {
  return [`--allow-read=${path}`, `--allow-write=${path}`, `--allow-net=unix:${path}`];
}

/**
 * Starts one child: `command` and `args` run it (the socket path is appended as its
 * last argument); `flagsFor(path)` gives the permission flags, which must let the
 * child reach `path`.
 */
export function spawnChild(
  command: string,
  args: (path: string) => string[],
  events: ChildEvents,
): Child {
  const path = socketPath();
  const listener = Deno.listen({ transport: "unix", path });
  const token = randomToken();
  let process: Deno.ChildProcess;
  try {
    process = new Deno.Command(command, {
      args: [...args(path), path],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    closeListener(listener, path);
    throw error;
  }
  const stdin = process.stdin.getWriter();
  stdin.write(new TextEncoder().encode(token)).catch(() => {});
  stdin.close().catch(() => {});

  let crash: WireError | null = null;
  let conn: Deno.UnixConn | null = null;
  let waiting: Uint8Array[] | null = [];
  let writing: Promise<void> = Promise.resolve();
  let broken = false;
  let ending = false;
  const tail = { text: "" };
  const breaks = (reason: string): void => {
    if (broken) return;
    broken = true;
    child.stopped = true;
    try {
      process.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    events.violation(reason);
  };
  const onFrame = (kind: number, payload: Uint8Array): void => {
    if (broken) return;
    if (kind === FRAME_STDOUT) return writeAll(Deno.stdout, payload);
    if (kind === FRAME_STDERR) return writeAll(Deno.stderr, payload);
    if (kind !== FRAME_MESSAGE) return breaks(`sent a frame of unknown kind ${kind}`);
    let value: unknown;
    try {
      value = decodeFromChild(payload);
    } catch {
      return breaks("sent a message that could not be decoded");
    }
    const message = readFromWorker(value);
    if (isViolation(message)) return breaks(message.violation);
    const [said, detail] = message;
    if (said === CRASHED) crash = detail;
    else if (said !== EXITING) events.message(message);
  };
  const channelDone = accept(listener, path, token).then(async (accepted) => {
    if (accepted === null) return;
    conn = accepted;
    const held = waiting ?? [];
    waiting = null;
    for (const bytes of held) write(bytes);
    if (ending) closeWrite();
    const decoder = new FrameDecoder();
    try {
      for await (const chunk of accepted.readable) decoder.push(chunk, onFrame);
    } catch (error) {
      if (error instanceof FrameTooLarge) breaks(error.message);
      // Otherwise the socket broke: the status tells the rest.
    }
  });
  const write = (bytes: Uint8Array): void => {
    const frame = encodeFrame(FRAME_MESSAGE, bytes);
    // One write after another: a partial write must finish before the next begins.
    writing = writing.then(() => writeFully(conn!, frame)).catch(() => {});
  };
  const closeWrite = (): void => {
    writing = writing.then(() => conn?.closeWrite()).catch(() => {});
  };
  const stdoutDone = forwardLines(process.stdout, Deno.stdout, null);
  const stderrDone = forwardLines(process.stderr, Deno.stderr, tail);
  const child: Child = {
    process,
    send(bytes) {
      if (waiting !== null) waiting.push(bytes);
      else if (conn !== null) write(bytes);
    },
    end() {
      if (ending) return;
      ending = true;
      if (conn !== null) closeWrite();
    },
    stopped: false,
    killTimer: undefined,
    done: process.status.then(async (status) => {
      clearTimeout(child.killTimer);
      closeListener(listener, path);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)));
      await Promise.race([Promise.all([channelDone, stdoutDone, stderrDone]), late]);
      clearTimeout(timer);
      waiting = null;
      try {
        (conn as Deno.UnixConn | null)?.close();
      } catch {
        // Closed by the child.
      }
      return describeEnd(status, crash, tail.text);
    }),
  };
  return child;
}

/**
 * Waits for the connection that presents `token`; others are closed once they show they
 * do not (each is checked on its own, so one that says nothing holds up no other).
 * Settles with null when the listener closes first (the child died).
 */
function accept(
  listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>,
  path: string,
  token: string,
): Promise<Deno.UnixConn | null> {
  return new Promise((resolve) => {
    let chosen = false;
    const check = async (conn: Deno.UnixConn): Promise<void> => {
      if (!chosen && await presents(conn, token) && !chosen) {
        chosen = true;
        closeListener(listener, path);
        resolve(conn);
      } else {
        try {
          conn.close();
        } catch {
          // Closed by its other end.
        }
      }
    };
    (async () => {
      while (!chosen) {
        try {
          void check(await listener.accept());
        } catch {
          break; // The listener was closed: the child is gone, or connected.
        }
      }
      if (!chosen) resolve(null);
    })();
  });
}

/** Reads the first bytes of `conn` and checks them against the token. */
async function presents(conn: Deno.UnixConn, token: string): Promise<boolean> {
  const expected = new TextEncoder().encode(token);
  const got = new Uint8Array(TOKEN_LENGTH);
  let filled = 0;
  try {
    while (filled < TOKEN_LENGTH) {
      const n = await conn.read(got.subarray(filled));
      if (n === null) return false;
      filled += n;
    }
  } catch {
    return false;
  }
  let differs = 0;
  for (let i = 0; i < TOKEN_LENGTH; i++) differs |= got[i]! ^ expected[i]!;
  return differs === 0;
}

function closeListener(listener: Deno.Listener, path: string): void {
  try {
    listener.close();
  } catch {
    // Closed already.
  }
  try {
    Deno.removeSync(path);
  } catch {
    // Removed already.
  }
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_LENGTH / 2));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function writeFully(conn: Deno.UnixConn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
}

/** Writes a child's output to ours line by line, keeping its tail when asked. */
async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  target: { writeSync(p: Uint8Array): number },
  tail: { text: string } | null,
): Promise<void> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let partial = "";
  try {
    for await (const chunk of stream) {
      const text = partial + decoder.decode(chunk, { stream: true });
      const cut = text.lastIndexOf("\n") + 1;
      if (cut > 0) writeAll(target, encoder.encode(text.slice(0, cut)));
      partial = text.slice(cut);
      if (tail !== null) tail.text = (tail.text + text.slice(0, cut)).slice(-STDERR_TAIL);
    }
  } catch {
    // The pipe broke.
  }
  if (partial !== "") {
    writeAll(target, encoder.encode(partial + "\n"));
    if (tail !== null) tail.text = (tail.text + partial).slice(-STDERR_TAIL);
  }
}

function writeAll(target: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  try {
    for (let at = 0; at < bytes.byteLength;) at += target.writeSync(bytes.subarray(at));
  } catch {
    // Our own output is closed: nothing to do.
  }
}

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function describeEnd(status: Deno.CommandStatus, crash: WireError | null, tail: string): WorkerEnd {
  const outOfMemory = /out of memory/i.test(tail);
  if (status.signal !== null) {
    const number = SIGNALS[status.signal] ?? status.code - 128;
    if (outOfMemory) return { exitCode: -number, error: null, reason: "ran out of memory" };
    return { exitCode: -number, error: null, reason: `was killed by ${status.signal}` };
  }
  if (outOfMemory) return { exitCode: status.code, error: null, reason: "ran out of memory" };
  if (crash !== null) {
    return { exitCode: status.code, error: crash, reason: `crashed: ${crash.message}` };
  }
  return { exitCode: status.code, error: null, reason: `exited with code ${status.code}` };
}
