/**
 * What this program's own `deno` command line says, read once from `/proc/self/cmdline`
 * (Linux) where the program may read it without a prompt: the Deno words (the ones
 * before the script's own arguments, `Deno.args`), and from them the configuration
 * file that a child `deno` (a subprocess worker, `deno info`) must be given to resolve
 * modules as this program does. A child started from a `data:` module discovers no
 * configuration of its own, so it must be told.
 *
 * @module
 */

const CMDLINE = "/proc/self/cmdline";
let cached: readonly string[] | null | undefined;

/**
 * This process's command line, word by word, or `null` when it cannot be read without
 * a prompt (not Linux, or no read permission for `/proc/self/cmdline`).
 *
 * @returns The words, as the kernel keeps them, or `null`.
 *
 * @example
 * ```ts
 * import { commandLine } from "./deno_cmdline.ts";
 * import assert from "node:assert/strict";
 *
 * const words = commandLine();
 * assert.ok(words === null || words.length > 0);
 * ```
 */
export function commandLine(): readonly string[] | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (Deno.build.os !== "linux") return cached;
  if (Deno.permissions.querySync({ name: "read", path: CMDLINE }).state !== "granted") {
    return cached;
  }
  try {
    cached = Deno.readTextFileSync(CMDLINE).split("\0").filter((word) => word !== "");
  } catch {
    // Not readable after all: unknown.
  }
  return cached;
}

/**
 * The Deno part of the command line: `deno`, its subcommand, its flags and the script,
 * without the script's own arguments; `null` when the command line cannot be read.
 *
 * @returns The words Deno itself parsed, or `null`.
 *
 * @example
 * ```ts
 * import { denoWords } from "./deno_cmdline.ts";
 * import assert from "node:assert/strict";
 *
 * const words = denoWords();
 * assert.ok(words === null || words.length >= 1);
 * ```
 */
export function denoWords(): readonly string[] | null {
  const words = commandLine();
  if (words === null) return null;
  return words.slice(0, Math.max(1, words.length - Deno.args.length));
}

let config: readonly string[] | undefined;

/**
 * The flags that give a child `deno` this program's configuration (its import map
 * above all): `--config`/`-c` and `--import-map` as given on the command line (paths
 * made absolute), `--no-config` if it was given, else `--config` with the nearest
 * `deno.json`/`deno.jsonc` in or above the main module's folder (Deno's own rule).
 * Empty when there is none or it cannot be told without a prompt.
 *
 * @returns Flags for `deno run`/`deno info`, such as `["--config", "/app/deno.json"]`.
 *
 * @example
 * ```ts
 * import { configFlags } from "./deno_cmdline.ts";
 * import assert from "node:assert/strict";
 *
 * const flags = configFlags();
 * assert.ok(flags.length === 0 || flags[0]!.startsWith("--"));
 * ```
 */
export function configFlags(): readonly string[] {
  return config ??= findConfig();
}

function findConfig(): readonly string[] {
  const words = denoWords() ?? [];
  const flags: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--no-config") return ["--no-config"];
    const match = /^(--config|-c|--import-map)(?:=(.*))?$/.exec(word);
    if (match === null) continue;
    const value = match[2] ?? words[++i];
    if (value === undefined) continue;
    flags.push(match[1] === "-c" ? "--config" : match[1]!, absolute(value));
  }
  if (flags.length > 0) return flags;
  const found = nearestConfig();
  return found === null ? [] : ["--config", found];
}

function absolute(path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith("/")) return path;
  try {
    return `${Deno.cwd()}/${path}`;
  } catch {
    return path; // no read access to the working directory: as given
  }
}

function nearestConfig(): string | null {
  if (!Deno.mainModule.startsWith("file:")) return null;
  let folder = new URL(".", Deno.mainModule);
  while (true) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const path = decodeURIComponent(new URL(name, folder).pathname);
      // Only where looking cannot prompt.
      if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") continue;
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // Not here: keep looking upward.
      }
    }
    const parent = new URL("..", folder);
    if (parent.href === folder.href) return null;
    folder = parent;
  }
}
