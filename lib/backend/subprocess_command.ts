/**
 * How a child `deno` of the subprocess backend is started and stopped at the OS level:
 * its command line (the program's configuration, the permission flags, the heap limit,
 * the entry module) and its signals (under `setpriv --pdeathsig KILL` where that can be
 * used; SIGTERM, then SIGKILL if it does not exit in time).
 *
 * @module
 */
import type { Permissions } from "../permissions.ts";
import { configFlags, denoWords } from "../deno_cmdline.ts";
import { type Child, type ChildEvents, socketFlags, spawnChild } from "./subprocess_spawn.ts";

const ENTRY = new URL("../worker/subprocess_child.ts", import.meta.url).href;
/** Loaded lazily by the runtime; a sandboxed child cannot import it later. */
const KINDS = new URL("../comms/kinds.ts", import.meta.url).href;
/** Milliseconds a child may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_AFTER_MS = 2000;

/** What a child's command line is made of. */
export interface ChildCommand {
  /** The process's name (`currentProcess().name` inside it). */
  readonly name: string;
  /** Its `--allow-*` flags (`permissionFlags`). */
  readonly flags: readonly string[];
  /** Whether it starts sandboxed, from a generated module that imports only the library. */
  readonly sandboxed: boolean;
  /** Code files and hosts it must be granted besides `flags` (a sandbox's task graphs). */
  readonly grants: { readonly files: readonly string[]; readonly hosts: readonly string[] };
  /** Its V8 heap limit in MiB, or null. */
  readonly heap: number | null;
}

/**
 * Starts a child as `command` says, reporting to `events`.
 *
 * @throws {Error} The child could not be spawned (`Deno.Command` failed).
 */
export function startChild(command: ChildCommand, events: ChildEvents): Child {
  const args = (socket: string): string[] => {
    const extra = socketFlags(socket);
    const { files, hosts } = command.grants;
    if (files.length > 0) extra.push(`--allow-read=${files.join(",")}`);
    if (hosts.length > 0) extra.push(`--allow-import=${hosts.join(",")}`);
    const line = ["run", "--quiet", "--no-check", "--no-prompt", ...configFlags()];
    line.push(...withExtra(command.flags, extra));
    if (command.heap !== null) line.push(`--v8-flags=--max-old-space-size=${command.heap}`);
    line.push(command.sandboxed ? bootstrap() : ENTRY, command.name);
    return line;
  };
  // setpriv sets the death signal and then execs deno: same pid, same exit status.
  return canSetDeathSignal()
    ? spawnChild(
      SETPRIV,
      (socket) => ["--pdeathsig", "KILL", "--", Deno.execPath(), ...args(socket)],
      events,
    )
    : spawnChild(Deno.execPath(), args, events);
}

/**
 * Signals a child and marks it stopped (its end is then not reported); after SIGTERM,
 * SIGKILL follows if it has not exited within `KILL_AFTER_MS`.
 */
export function signalChild(child: Child, signal: Deno.Signal): void {
  child.stopped = true;
  try {
    child.process.kill(signal);
  } catch {
    return; // already exited
  }
  if (signal === "SIGTERM" && child.killTimer === undefined) {
    child.killTimer = setTimeout(() => {
      try {
        child.process.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, KILL_AFTER_MS);
  }
}

/**
 * `flags` plus `extra` (what the child needs to reach its socket, the code files a
 * sandbox may read), unless they grant it already. A list is extended rather than
 * overridden: a second `--allow-read=` would replace the first.
 */
function withExtra(flags: readonly string[], extra: readonly string[]): string[] {
  if (flags.includes("--allow-all")) return [...flags];
  const needed = new Map<string, string>();
  for (const flag of extra) {
    const at = flag.indexOf("=");
    const name = flag.slice(0, at);
    const before = needed.get(name);
    needed.set(name, before === undefined ? flag : `${before},${flag.slice(at + 1)}`);
  }
  const out: string[] = [];
  for (const flag of flags) {
    const at = flag.indexOf("=");
    const name = at < 0 ? flag : flag.slice(0, at);
    const add = needed.get(name);
    needed.delete(name);
    if (add === undefined || at < 0) out.push(flag);
    else out.push(`${flag},${add.slice(add.indexOf("=") + 1)}`);
  }
  for (const flag of needed.values()) out.push(flag);
  return out;
}

const SETPRIV = "/usr/bin/setpriv";
let deathSignal: boolean | null = null;

/**
 * Whether children can be started under `setpriv --pdeathsig KILL` (Linux util-linux):
 * the kernel then kills a child the moment this process dies, even by SIGKILL and even
 * while the child is busy in synchronous code, where its own watch of stdin and of its
 * parent pid cannot run.
 */
function canSetDeathSignal(): boolean {
  if (deathSignal !== null) return deathSignal;
  deathSignal = false;
  if (Deno.build.os !== "linux") return deathSignal;
  try {
    const run = Deno.permissions.querySync({ name: "run", command: SETPRIV }).state;
    deathSignal = run === "granted" && Deno.statSync(SETPRIV).isFile;
  } catch {
    deathSignal = false;
  }
  return deathSignal;
}

/** The generated module a sandboxed child starts from: the library's own modules only. */
function bootstrap(): string {
  const lines = [ENTRY, KINDS].map((url) => `import ${JSON.stringify(url)};`);
  return `data:text/javascript,${encodeURIComponent(lines.join("\n"))}`;
}

const NAMES = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;
let inherited: readonly string[] | undefined;

/**
 * The `--allow-*` flags for `permissions`: for `"inherit"`, this program's own.
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./subprocess_command.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(permissionFlags({ read: ["/data"], net: true }), [
 *   "--allow-read=/data",
 *   "--allow-net",
 * ]);
 * assert.deepEqual(permissionFlags("none"), []);
 * ```
 */
export function permissionFlags(permissions: Permissions): readonly string[] {
  if (permissions === "inherit") return inherited ??= inheritedFlags();
  if (permissions === "none") return [];
  const flags: string[] = [];
  for (const name of NAMES) {
    const value = permissions[name];
    if (value === true) flags.push(`--allow-${name}`);
    else if (Array.isArray(value) && value.length > 0) {
      flags.push(`--allow-${name}=${value.join(",")}`);
    }
  }
  return flags;
}

/**
 * This program's own permissions as flags: each one granted in full, and for those
 * granted only in part, the lists given on this program's command line (read from
 * `/proc/self/cmdline` where that can be read without a prompt).
 */
function inheritedFlags(): readonly string[] {
  const flags: string[] = [];
  const partial: string[] = [];
  for (const name of NAMES) {
    if (Deno.permissions.querySync({ name }).state === "granted") flags.push(`--allow-${name}`);
    else partial.push(name);
  }
  if (partial.length === 0) return ["--allow-all"];
  for (const word of denoWords() ?? []) {
    const match = /^--allow-([a-z]+)=(.+)$/.exec(word);
    if (match !== null && partial.includes(match[1]!)) flags.push(word);
  }
  return flags;
}
