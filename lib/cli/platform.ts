/**
 * The services `effect/cli` needs to run a command (`FileSystem`, `Path`, `Terminal`,
 * `Stdio`, `ChildProcessSpawner`), backed by Deno's own APIs, so the CLI does not
 * depend on `@effect/platform-node` (which pulls in redis, undici and ws).
 *
 * Only what a non-interactive CLI uses is real: arguments, standard streams, terminal
 * size, reading a line, and the file queries behind path and file flags. Raw key
 * input, terminal resize events and child processes are not provided: they fail with
 * a message saying so.
 *
 * @module
 */
import * as ByteSize from "effect/ByteSize";
import * as Effect from "effect/Effect";
import * as FileSystem from "effect/FileSystem";
import * as Layer from "effect/Layer";
import * as Option from "effect/Option";
import * as Path from "effect/Path";
import * as PlatformError from "effect/PlatformError";
import * as Sink from "effect/Sink";
import * as Stdio from "effect/Stdio";
import * as Stream from "effect/Stream";
import * as Terminal from "effect/Terminal";
import { ChildProcessSpawner } from "effect/process";

/** Every service `Command.run` / `Command.runWith` requires. */
export type CliPlatform =
  | FileSystem.FileSystem
  | Path.Path
  | Terminal.Terminal
  | Stdio.Stdio
  | ChildProcessSpawner.ChildProcessSpawner;

const encoder = new TextEncoder();

function toBytes(chunk: string | Uint8Array): Uint8Array {
  return typeof chunk === "string" ? encoder.encode(chunk) : chunk;
}

async function writeAll(stream: typeof Deno.stdout, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await stream.write(bytes.subarray(written));
}

function systemError(
  method: string,
  error: unknown,
  pathOrDescriptor?: string,
): PlatformError.PlatformError {
  const tag = error instanceof Deno.errors.NotFound
    ? "NotFound"
    : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
    ? "PermissionDenied"
    : "Unknown";
  return PlatformError.systemError({
    _tag: tag,
    module: "FileSystem",
    method,
    description: error instanceof Error ? error.message : String(error),
    ...(pathOrDescriptor === undefined ? {} : { pathOrDescriptor }),
    cause: error,
  });
}

function unsupported(module: string, method: string): PlatformError.PlatformError {
  return PlatformError.systemError({
    _tag: "Unknown",
    module,
    method,
    description: `${module}.${method} is not available in this CLI's Deno platform layer`,
  });
}

function fileInfo(info: Deno.FileInfo): FileSystem.File.Info {
  const option = <T>(value: T | null | undefined): Option.Option<T> =>
    value === null || value === undefined ? Option.none() : Option.some(value);
  const big = (value: number | null): Option.Option<bigint> =>
    value === null ? Option.none() : Option.some(BigInt(value));
  return {
    type: info.isFile
      ? "File"
      : info.isDirectory
      ? "Directory"
      : info.isSymlink
      ? "SymbolicLink"
      : "Unknown",
    mtime: option(info.mtime),
    atime: option(info.atime),
    birthtime: option(info.birthtime),
    dev: BigInt(info.dev),
    ino: big(info.ino),
    mode: info.mode ?? 0,
    nlink: big(info.nlink),
    uid: option(info.uid),
    gid: option(info.gid),
    rdev: big(info.rdev),
    size: ByteSize.bytes(info.size),
    blksize: info.blksize === null ? Option.none() : Option.some(ByteSize.bytes(info.blksize)),
    blocks: big(info.blocks),
  };
}

/** File queries over `Deno.*`: enough for `effect/cli`'s path and file flags. */
const fileSystem: FileSystem.FileSystem = FileSystem.makeNoop({
  access: (path) =>
    Effect.tryPromise({
      try: () => Deno.stat(path),
      catch: (error) => systemError("access", error, path),
    }).pipe(Effect.asVoid),
  exists: (path) =>
    Effect.tryPromise({
      try: () => Deno.stat(path),
      catch: (error) => systemError("exists", error, path),
    }).pipe(
      Effect.as(true),
      Effect.catchTag("PlatformError", (error) =>
        error.reason._tag === "NotFound" ? Effect.succeed(false) : Effect.fail(error)),
    ),
  stat: (path) =>
    Effect.tryPromise({
      try: () => Deno.stat(path),
      catch: (error) => systemError("stat", error, path),
    }).pipe(Effect.map(fileInfo)),
  readFile: (path) =>
    Effect.tryPromise({
      try: () => Deno.readFile(path),
      catch: (error) => systemError("readFile", error, path),
    }),
  readFileString: (path) =>
    Effect.tryPromise({
      try: () => Deno.readTextFile(path),
      catch: (error) => systemError("readFileString", error, path),
    }),
  readDirectory: (path) =>
    Effect.tryPromise({
      try: () => Array.fromAsync(Deno.readDir(path), (entry) => entry.name),
      catch: (error) => systemError("readDirectory", error, path),
    }),
  realPath: (path) =>
    Effect.tryPromise({
      try: () => Deno.realPath(path),
      catch: (error) => systemError("realPath", error, path),
    }),
});

function isTerminal(stream: { isTerminal(): boolean }): Effect.Effect<boolean> {
  return Effect.sync(() => stream.isTerminal());
}

function outputSink(
  stream: typeof Deno.stdout,
  method: string,
): Sink.Sink<void, string | Uint8Array, never, PlatformError.PlatformError> {
  return Sink.forEach((chunk: string | Uint8Array) =>
    Effect.tryPromise({
      try: () => writeAll(stream, toBytes(chunk)),
      catch: (error) => systemError(method, error),
    })
  );
}

/**
 * Standard streams and arguments of this Deno process.
 *
 * @param args The command-line arguments; `Deno.args` by default.
 */
function stdio(args: readonly string[]): Stdio.Stdio {
  return Stdio.make({
    args: Effect.succeed(args),
    stdinIsTerminal: isTerminal(Deno.stdin),
    stdoutIsTerminal: isTerminal(Deno.stdout),
    stderrIsTerminal: isTerminal(Deno.stderr),
    stdout: () => outputSink(Deno.stdout, "stdout"),
    stderr: () => outputSink(Deno.stderr, "stderr"),
    stdin: Stream.fromReadableStream({
      evaluate: () => Deno.stdin.readable,
      onError: (error) => systemError("stdin", error),
      releaseLockOnEnd: true,
    }),
  });
}

function consoleSize(): { columns: number; rows: number } {
  try {
    return Deno.consoleSize();
  } catch {
    return { columns: 80, rows: 24 };
  }
}

/** Reads one line from standard input; fails with `QuitError` at end of input. */
const readLine: Effect.Effect<string, Terminal.QuitError> = Effect.tryPromise({
  try: async () => {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(1);
    let line = "";
    while (true) {
      const read = await Deno.stdin.read(buffer);
      if (read === null) {
        if (line === "") throw new Error("end of input");
        return line;
      }
      const char = decoder.decode(buffer.subarray(0, read));
      if (char === "\n") return line.endsWith("\r") ? line.slice(0, -1) : line;
      line += char;
    }
  },
  catch: () => new Terminal.QuitError(),
});

const terminal: Terminal.Terminal = Terminal.make({
  columns: Effect.sync(() => consoleSize().columns),
  rows: Effect.sync(() => consoleSize().rows),
  size: Effect.die(unsupported("Terminal", "size")),
  readInput: Effect.die(unsupported("Terminal", "readInput")),
  readLine,
  display: (text) =>
    Effect.tryPromise({
      try: () => writeAll(Deno.stdout, encoder.encode(text)),
      catch: (error) => systemError("display", error),
    }),
});

const spawner = ChildProcessSpawner.make(() =>
  Effect.fail(unsupported("ChildProcessSpawner", "spawn"))
);

/**
 * The layer of every service `effect/cli` needs, backed by Deno.
 *
 * @param args What the `Stdio` service reports as the command-line arguments.
 * @returns A layer providing `FileSystem`, `Path`, `Terminal`, `Stdio` and
 *   `ChildProcessSpawner`.
 *
 * @example Running a command on Deno
 * ```ts
 * import { Effect } from "effect";
 * import { Command } from "effect/cli";
 * import { denoCliLayer } from "./platform.ts";
 *
 * const hello = Command.make("hello", {}, () => Effect.sync(() => console.log("hello")));
 * await Effect.runPromise(
 *   Command.runWith(hello, { version: "1.0.0" })([]).pipe(Effect.provide(denoCliLayer([]))),
 * );
 * ```
 */
export function denoCliLayer(args: readonly string[] = Deno.args): Layer.Layer<CliPlatform> {
  return Layer.mergeAll(
    Layer.succeed(FileSystem.FileSystem, fileSystem),
    Path.layer,
    Layer.succeed(Terminal.Terminal, terminal),
    Layer.succeed(Stdio.Stdio, stdio(args)),
    Layer.succeed(ChildProcessSpawner.ChildProcessSpawner, spawner),
  );
}
