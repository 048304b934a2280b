/**
 * The command line's fast path: `--help` (of the root and of each command), `info` and
 * the plain forms of `map` answered without loading effect/cli (about 250 ms and
 * 20 MiB). Anything else, and anything this parser is not sure of, goes to effect/cli
 * (`commands.ts`), so both paths behave the same where this one answers.
 *
 * @module
 */
import { loadLater } from "../load_later.ts";
import { HELP_TEXTS } from "./help_texts.ts";
import { isLocalBackend } from "../backend_traits.ts";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import type { MapCommandOptions } from "./map.ts";

/**
 * Runs `args` on the fast path when it can: gives the exit code, or `null` when
 * effect/cli must handle them.
 *
 * @param args The arguments after `cli.ts`.
 * @returns The exit code, or `null` for effect/cli.
 *
 * @example
 * ```ts
 * import { runFast } from "./fast.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await runFast(["no-such-command"]), null);
 * ```
 */
export async function runFast(args: readonly string[]): Promise<number | null> {
  const help = helpOf(args);
  if (help !== null) {
    if (wouldColor()) return null; // effect/cli styles help on a terminal
    await writeStdout(help);
    return EXIT_OK;
  }
  if (args[0] === "info" && (args.length === 1 || (args.length === 2 && args[1] === "--json"))) {
    const info = await loadCommand<typeof import("./info.ts")>(
      "info",
      new URL("./info.ts", import.meta.url),
    );
    if (info === null) return EXIT_USAGE;
    const { collectInfo, formatInfo } = info;
    const facts = collectInfo();
    console.log(args.length === 2 ? JSON.stringify(facts) : formatInfo(facts));
    return EXIT_OK;
  }
  if (args[0] === "map") {
    const options = parseMap(args.slice(1));
    if (options === null) return null;
    const map = await loadCommand<typeof import("./map.ts")>(
      "map",
      new URL("./map.ts", import.meta.url),
    );
    if (map === null) return EXIT_USAGE;
    return await interruptible((signal) => map.mapCommand(options, signal));
  }
  return null;
}

/**
 * Loads the module of a command (`url`) when it runs. The CLI's commands load only then
 * (see `lib/load_later.ts`), and so need read access to the CLI's own files: without it,
 * says so as for a task module (`map: needs read access to ...`) and gives `null`, for
 * exit code 2.
 *
 * @param command The command's name, to start the message with.
 * @param url The module to load.
 * @returns The module, or `null` when read access is missing.
 * @throws {Error} The module failed to load for another reason.
 *
 * @example
 * ```ts
 * import { loadCommand } from "./fast.ts";
 * import assert from "node:assert/strict";
 *
 * const codes = await loadCommand<typeof import("./exit_codes.ts")>(
 *   "info",
 *   new URL("./exit_codes.ts", import.meta.url),
 * );
 * assert.equal(codes?.EXIT_USAGE, 2);
 * ```
 */
export async function loadCommand<Module>(command: string, url: URL): Promise<Module | null> {
  try {
    return await loadLater<Module>(url);
  } catch (error) {
    // Deno reports a refused import as a TypeError: its message is all there is.
    const denied = error instanceof Error &&
      /^Requires read access to "([^"]+)"/.exec(error.message);
    if (!denied) throw error;
    console.error(`${command}: needs read access to ${denied[1]}: run with --allow-read (or -A)`);
    return null;
  }
}

/**
 * The help text `args` ask for (`--help`, or `<command> --help`), else `null`.
 *
 * @param args The arguments after `cli.ts`.
 * @returns The text effect/cli prints without colors, ending with a newline, or `null`.
 *
 * @example
 * ```ts
 * import { helpOf } from "./fast.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(helpOf(["map", "--help"])!, /--keep-going/);
 * assert.equal(helpOf(["map", "--raw", "--help"]), null);
 * ```
 */
export function helpOf(args: readonly string[]): string | null {
  const isHelp = (arg: string | undefined) => arg === "--help" || arg === "-h";
  if (args.length === 1 && isHelp(args[0])) return HELP_TEXTS[""] ?? null;
  if (args.length === 2 && isHelp(args[1]) && args[0] !== "") return HELP_TEXTS[args[0]!] ?? null;
  return null;
}

/** effect/cli's own rule (`TerminalCapabilities`) for styling its output. */
function wouldColor(): boolean {
  try {
    const env = (name: string) => Deno.env.get(name);
    if (env("TERM") === "dumb") return false;
    if ((env("NO_COLOR") ?? "") !== "") return false;
    const force = env("FORCE_COLOR") ?? "";
    if (force !== "" && force !== "0" && force.toLowerCase() !== "false") return true;
    return Deno.stdout.isTerminal();
  } catch {
    return false; // no env permission: effect/cli could not run either; plain text is safe
  }
}

async function writeStdout(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let written = 0; written < bytes.length;) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}

const BOOLEANS: Readonly<Record<string, keyof MapFlags>> = {
  "--raw": "raw",
  "--unordered": "unordered",
  "--star": "star",
  "--keep-going": "keepGoing",
  "-k": "keepGoing",
  "--progress": "progress",
  "--quiet": "quiet",
  "-q": "quiet",
};
const VALUES: Readonly<Record<string, keyof MapFlags>> = {
  "--input": "input",
  "-i": "input",
  "--output": "output",
  "-o": "output",
  "--processes": "processes",
  "-j": "processes",
  "--chunksize": "chunksize",
  "--timeout": "timeout",
  "--retries": "retries",
  "--backend": "backend",
};
const INTEGERS = new Set(["processes", "chunksize", "timeout", "retries"]);

interface MapFlags {
  raw?: true;
  unordered?: true;
  star?: true;
  keepGoing?: true;
  progress?: true;
  quiet?: true;
  input?: string;
  output?: string;
  processes?: string;
  chunksize?: string;
  timeout?: string;
  retries?: string;
  backend?: string;
}

/**
 * `map`'s arguments in their plain forms: two positionals, the boolean flags, and the
 * value flags as `--flag value` or `--flag=value`, each at most once, integers as plain
 * digits. `null` for anything else (sandbox flags, `--`, a repeated or unknown flag, a
 * value that looks like a flag or a bad number): effect/cli parses it, or names the
 * mistake, as it always did.
 *
 * @param args The arguments after `map`.
 * @returns What `mapCommand` takes, or `null` for effect/cli.
 *
 * @example
 * ```ts
 * import { parseMap } from "./fast.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseMap(["work.ts", "square", "-j", "2"])?.processes, 2);
 * assert.equal(parseMap(["work.ts", "square", "--sandbox"]), null);
 * ```
 */
export function parseMap(args: readonly string[]): MapCommandOptions | null {
  const flags: MapFlags = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const name = arg.startsWith("--") && equals > 0 ? arg.slice(0, equals) : arg;
    const boolean = BOOLEANS[name];
    if (boolean !== undefined) {
      if (name !== arg || flags[boolean] !== undefined) return null;
      (flags as Record<string, unknown>)[boolean] = true;
      continue;
    }
    const key = VALUES[name];
    if (key === undefined || flags[key] !== undefined) return null;
    const value = name !== arg ? arg.slice(equals + 1) : args[++i];
    if (value === undefined || value === "" || value.startsWith("-")) return null;
    if (INTEGERS.has(key) && !/^(0|[1-9][0-9]{0,8})$/.test(value)) return null;
    if (key === "backend" && !isLocalBackend(value)) return null;
    (flags as Record<string, unknown>)[key] = value;
  }
  if (positionals.length !== 2) return null;
  const int = (value: string | undefined) => (value === undefined ? null : Number(value));
  return {
    module: positionals[0]!,
    exportName: positionals[1]!,
    input: flags.input ?? null,
    output: flags.output ?? null,
    raw: flags.raw === true,
    unordered: flags.unordered === true,
    star: flags.star === true,
    keepGoing: flags.keepGoing === true,
    processes: int(flags.processes),
    chunksize: int(flags.chunksize),
    timeout: int(flags.timeout),
    retries: int(flags.retries),
    progress: flags.quiet ? "never" : flags.progress ? "always" : "auto",
    permissions: "inherit",
    backend: (flags.backend ?? "worker") as "worker" | "subprocess",
  };
}

/**
 * Runs a command body as effect/cli's path does (`run.ts`): Ctrl-C aborts its signal
 * and, once it wound down, the exit code is 130 (a second Ctrl-C exits at once); a
 * thrown error is one line on stderr and exit code 1.
 */
async function interruptible(body: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) Deno.exit(EXIT_INTERRUPTED);
    controller.abort(new Error("interrupted"));
  };
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    listening = true;
  } catch {
    // No SIGINT here (Windows before a console exists).
  }
  try {
    const code = await body(controller.signal).catch((error) => {
      console.error(error instanceof Error ? error.message : String(error));
      return EXIT_FAILURE;
    });
    return controller.signal.aborted ? EXIT_INTERRUPTED : code;
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onSigint);
  }
}
