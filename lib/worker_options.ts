/**
 * Whether this Deno process runs with `--unstable-worker-options`, which worker
 * permissions (`deno.permissions` in the Worker options) need.
 *
 * Deno offers no API that says which unstable features are on, and the direct test
 * (starting a worker with `deno: { permissions }`) ends the whole process with exit
 * code 70 when the flag is off. So this reads what Deno itself reads, without
 * trying anything:
 *
 * 1. the process's own command line (`/proc/self/cmdline`, Linux): the Deno flags are
 *    the words before the script's own arguments (`Deno.args`);
 * 2. unless the command line says `--no-config`, the configuration file: the one named
 *    by `--config`, else the first `deno.json`/`deno.jsonc` found walking up from the
 *    main module's folder (Deno's own discovery), whose `"unstable"` array may list
 *    `"worker-options"`.
 *
 * Where the command line cannot be read (not Linux, or no read permission for
 * `/proc/self/cmdline`), the answer is `null`: unknown.
 *
 * @module
 */

/** What `workerOptionsStatus()` found. */
export interface WorkerOptionsStatus {
  /** `true` when on, `false` when off, `null` when it could not be told. */
  readonly enabled: boolean | null;
  /** How it was told, for people: "--unstable-worker-options on the command line". */
  readonly source: string;
}

const FLAG = "--unstable-worker-options";

/**
 * Tells whether worker permissions are available in this process, without starting a
 * worker (which would end the process when they are not).
 *
 * @param cmdline The process's command line; read from `/proc/self/cmdline` by default.
 * @returns Whether `--unstable-worker-options` is in effect, and how that was told.
 *
 * @example Reading a given command line
 * ```ts
 * import { workerOptionsStatus } from "./worker_options.ts";
 * import assert from "node:assert/strict";
 *
 * const on = workerOptionsStatus(["deno", "run", "-A", "--unstable-worker-options", "x.ts"]);
 * assert.equal(on.enabled, true);
 * ```
 */
export function workerOptionsStatus(cmdline?: readonly string[]): WorkerOptionsStatus {
  const argv = cmdline ?? ownCommandLine();
  if (argv === null) {
    return {
      enabled: null,
      source: `unknown: cannot read this process's command line on ${Deno.build.os}`,
    };
  }
  // The script's own arguments come last; only the words before them are Deno's.
  const denoWords = argv.slice(0, Math.max(1, argv.length - Deno.args.length));
  if (denoWords.some((word) => word === FLAG || word === `${FLAG}=true`)) {
    return { enabled: true, source: `${FLAG} on the command line` };
  }
  if (denoWords.includes("--no-config")) {
    return { enabled: false, source: `no ${FLAG} on the command line, and --no-config` };
  }
  const config = configPath(denoWords);
  if (config !== null && configEnablesWorkerOptions(config)) {
    return { enabled: true, source: `"unstable": ["worker-options"] in ${config}` };
  }
  return {
    enabled: false,
    source: `no ${FLAG} on the command line${config === null ? "" : ` nor in ${config}`}`,
  };
}

function ownCommandLine(): string[] | null {
  if (Deno.build.os !== "linux") return null;
  try {
    return Deno.readTextFileSync("/proc/self/cmdline").split("\0").filter((word) => word !== "");
  } catch {
    return null;
  }
}

/** The configuration file Deno uses for this program, or null when none is found. */
function configPath(denoWords: readonly string[]): string | null {
  for (let i = 0; i < denoWords.length; i++) {
    const word = denoWords[i]!;
    if ((word === "--config" || word === "-c") && denoWords[i + 1] !== undefined) {
      return denoWords[i + 1]!;
    }
    if (word.startsWith("--config=")) return word.slice("--config=".length);
  }
  if (!Deno.mainModule.startsWith("file:")) return null;
  let folder = new URL(".", Deno.mainModule);
  while (true) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const candidate = new URL(name, folder);
      try {
        if (Deno.statSync(candidate).isFile) return decodeURIComponent(candidate.pathname);
      } catch {
        // Not here (or not readable): keep looking upward.
      }
    }
    const parent = new URL("..", folder);
    if (parent.href === folder.href) return null;
    folder = parent;
  }
}

function configEnablesWorkerOptions(path: string): boolean {
  try {
    const config = JSON.parse(withoutComments(Deno.readTextFileSync(path)));
    return Array.isArray(config?.unstable) && config.unstable.includes("worker-options");
  } catch {
    return false;
  }
}

/** Drops `//` and `/* *\/` comments outside strings, so JSONC parses as JSON. */
function withoutComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end;
    } else if (char === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (char === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2);
      if (i === -1) break;
      i++;
    } else {
      out += char;
    }
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}
