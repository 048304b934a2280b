/**
 * What a sandboxed worker may do: the `permissions` option of `Pool` and `Process`,
 * its validation, its translation to Deno's Worker option (`deno: { permissions }`),
 * and the two checks made before a sandboxed worker starts: that Deno's
 * `--unstable-worker-options` flag is on (without it, starting such a worker ends the
 * whole process with exit code 70), and that the sandbox asks for nothing the program
 * itself lacks (a sandbox can only narrow).
 *
 * @module
 */
import { workerOptionsStatus } from "./worker_options.ts";
import { commandLine, denoWords } from "./deno_cmdline.ts";

/** One permission: all (`true`), none (`false`), or only the listed paths, hosts or names. */
export type PermissionValue = boolean | readonly string[];

/** A granular set of permissions, named as Deno's `--allow-*` flags. Unnamed ones are denied. */
export interface PermissionSet {
  /** File reads: `--allow-read`. */
  readonly read?: PermissionValue;
  /** File writes: `--allow-write`. */
  readonly write?: PermissionValue;
  /** Network: `--allow-net` (hosts, optionally with ports). */
  readonly net?: PermissionValue;
  /** Environment variables: `--allow-env`. */
  readonly env?: PermissionValue;
  /** Subprocesses: `--allow-run`. */
  readonly run?: PermissionValue;
  /** Native libraries: `--allow-ffi`. */
  readonly ffi?: PermissionValue;
  /** System information: `--allow-sys` (kinds such as `"hostname"`, `"osRelease"`). */
  readonly sys?: PermissionValue;
  /** Dynamic imports from remote hosts: `--allow-import`. */
  readonly import?: PermissionValue;
}

/**
 * A worker's permissions: the parent's (`"inherit"`, the default), none at all
 * (`"none"`), or a granular set. A sandbox can only narrow what the program has.
 *
 * @example
 * ```ts
 * import type { Permissions } from "./permissions.ts";
 *
 * const readOnlyData: Permissions = { read: ["./data"] };
 * ```
 */
export type Permissions = "inherit" | "none" | PermissionSet;

/** The permission names of a `PermissionSet`, as in `--allow-<name>`. */
const NAMES = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;
type Name = typeof NAMES[number];

/** The `Deno.permissions.query` descriptor field that scopes each permission. */
const SCOPE: { readonly [K in Name]: string } = {
  read: "path",
  write: "path",
  net: "host",
  env: "variable",
  run: "command",
  ffi: "path",
  sys: "kind",
  import: "host",
};

/** What `sys` may list (Deno 2.9's `SysPermissionDescriptor` kinds). */
const SYS_KINDS = new Set([
  "loadavg",
  "hostname",
  "systemMemoryInfo",
  "networkInterfaces",
  "osRelease",
  "osUptime",
  "uid",
  "gid",
  "username",
  "cpus",
  "homedir",
  "statfs",
  "getPriority",
  "setPriority",
  "ca",
  "umask",
]);

const FLAG = "--unstable-worker-options";
const DEFAULT_ACTION = "start a sandboxed worker";

/**
 * Checks a `permissions` option: `"inherit"`, `"none"`, or an object whose keys are
 * permission names and whose values are `true`, `false` or a list of non-empty strings.
 *
 * @param permissions The value to check.
 * @param action What was being done, for the message ("open pool").
 * @returns The same value, typed.
 * @throws {TypeError} The value is not a valid `Permissions`; the message names the
 *   option and quotes the value.
 *
 * @example Catching a misspelt permission
 * ```ts
 * import { validatePermissions } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(validatePermissions("none"), "none");
 * assert.throws(() => validatePermissions({ reed: true }), TypeError);
 * ```
 */
export function validatePermissions(
  permissions: unknown,
  action: string = DEFAULT_ACTION,
): Permissions {
  if (permissions === "inherit" || permissions === "none") return permissions;
  const isObject = typeof permissions === "object" && permissions !== null &&
    !Array.isArray(permissions);
  if (!isObject) {
    throw new TypeError(
      `Cannot ${action} as 'permissions' must be "inherit", "none" or an object such as ` +
        `{ read: ["./data"] }: current value is ${describe(permissions)}`,
    );
  }
  for (const [name, value] of Object.entries(permissions)) {
    if (!(NAMES as readonly string[]).includes(name)) {
      throw new TypeError(
        `Cannot ${action} as 'permissions' has no permission '${name}' (use ${
          NAMES.join(", ")
        }): current value is ${describe(permissions)}`,
      );
    }
    if (value === undefined || typeof value === "boolean") continue;
    const entries = Array.isArray(value) ? value : null;
    if (entries === null || entries.some((entry) => typeof entry !== "string" || entry === "")) {
      throw new TypeError(
        `Cannot ${action} as 'permissions.${name}' must be true, false or a list of ` +
          `non-empty strings: current value is ${describe(value)}`,
      );
    }
    if (name === "sys") {
      const unknown = entries.find((kind) => !SYS_KINDS.has(kind));
      if (unknown !== undefined) {
        throw new TypeError(
          `Cannot ${action} as 'permissions.sys' lists ${describe(unknown)}, which is not a ` +
            `system information kind (use ${[...SYS_KINDS].join(", ")}): current value is ${
              describe(value)
            }`,
        );
      }
    }
  }
  return permissions as PermissionSet;
}

/**
 * Translates a sandbox to Deno's Worker option `deno: { permissions }`, naming every
 * permission explicitly: what the set leaves out is denied, never inherited.
 *
 * @param permissions A validated sandbox (`"none"` or a set).
 * @returns The value for `new Worker(url, { deno: { permissions } })`.
 *
 * @example
 * ```ts
 * import { toDenoPermissions } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * const options = toDenoPermissions({ read: ["./data"] });
 * assert.deepEqual(options, {
 *   read: ["./data"], write: false, net: false, env: false,
 *   run: false, ffi: false, sys: false, import: false,
 * });
 * ```
 */
export function toDenoPermissions(permissions: "none" | PermissionSet): Deno.PermissionOptions {
  if (permissions === "none") return "none";
  const options: Record<string, boolean | string[]> = {};
  for (const name of NAMES) {
    const value = permissions[name];
    options[name] = value === undefined || value === false
      ? false
      : value === true
      ? true
      : value.length === 0
      ? false
      : [...value];
  }
  return options as Deno.PermissionOptionsObject;
}

/**
 * Checks that the program itself holds every permission a sandbox asks for (Deno
 * refuses to start a worker with more, with an error that does not say which). Uses
 * `Deno.permissions.querySync`, which never prompts.
 *
 * @param permissions A validated sandbox.
 * @param action What was being done, for the message.
 * @throws {Deno.errors.NotCapable} The sandbox asks for a permission (or a path, host,
 *   variable, command) the program was not granted; the message names it and the flag.
 *
 * @example Refusing to widen
 * ```ts
 * import { checkEscalation } from "./permissions.ts";
 *
 * checkEscalation("none"); // asks for nothing: always fine
 * ```
 */
export function checkEscalation(
  permissions: "none" | PermissionSet,
  action: string = DEFAULT_ACTION,
): void {
  if (permissions === "none") return;
  for (const name of NAMES) {
    const value = permissions[name];
    if (value === undefined || value === false) continue;
    for (const entry of value === true ? [undefined] : value) {
      const descriptor = entry === undefined ? { name } : { name, [SCOPE[name]]: entry };
      let state: string;
      try {
        state = Deno.permissions.querySync(descriptor as Deno.PermissionDescriptor).state;
      } catch (error) {
        throw new TypeError(
          `Cannot ${action} as 'permissions.${name}' lists ${describe(entry)}, which Deno ` +
            `does not accept: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (state === "granted") continue;
      const what = entry === undefined
        ? `all ${name} access`
        : `${name} access to ${JSON.stringify(entry)}`;
      const flag = entry === undefined ? `--allow-${name}` : `--allow-${name}=${entry}`;
      throw new Deno.errors.NotCapable(
        `Cannot ${action} as 'permissions' asks for ${what}, which this program does not ` +
          `have (${state}): a sandbox can only narrow the program's own permissions; ` +
          `run the program with ${flag} or leave it out of 'permissions'`,
      );
    }
  }
}

let cachedStatus: { readonly enabled: boolean | null; readonly source: string } | undefined;

/**
 * Tells whether this program runs with `--unstable-worker-options` (on the command line
 * or as `"unstable": ["worker-options"]` in its deno.json), which sandboxes need.
 * Reads the command line from `/proc/self/cmdline` only when the program may read it
 * (so it never prompts); `null` when that cannot be told (not Linux, or no permission).
 *
 * @returns `true`, `false`, or `null` for unknown, with how it was told.
 *
 * @example
 * ```ts
 * import { workerOptionsEnabled } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * const { enabled, source } = workerOptionsEnabled();
 * assert.ok(enabled === true || enabled === false || enabled === null);
 * assert.equal(typeof source, "string");
 * ```
 */
export function workerOptionsEnabled(): {
  readonly enabled: boolean | null;
  readonly source: string;
} {
  return cachedStatus ??= detectWorkerOptions();
}

function detectWorkerOptions(): { readonly enabled: boolean | null; readonly source: string } {
  const argv = commandLine();
  if (argv === null) return { enabled: null, source: "unknown: cannot read /proc/self/cmdline" };
  // The configuration file is looked for only where reading cannot prompt.
  if (granted({ name: "read" })) return workerOptionsStatus(argv);
  const words = denoWords() ?? [];
  if (words.some((word) => word === FLAG || word === `${FLAG}=true`)) {
    return { enabled: true, source: `${FLAG} on the command line` };
  }
  return {
    enabled: null,
    source: `unknown: no ${FLAG} on the command line, and deno.json cannot be read`,
  };
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/**
 * Everything checked before a worker with `permissions` starts, in order: the value is
 * valid; for a sandbox, `--unstable-worker-options` is on (when it can be told) and
 * nothing asked for exceeds the program's own permissions.
 *
 * @param permissions The `permissions` option.
 * @param action What was being done, for the messages.
 * @returns `null` for `"inherit"` (start the worker with no `deno` option at all), else
 *   the value for the Worker's `deno.permissions`.
 * @throws {TypeError} `permissions` is not valid.
 * @throws {Deno.errors.NotSupported} A sandbox was asked for and the program runs
 *   without `--unstable-worker-options`; the message says what to add.
 * @throws {Deno.errors.NotCapable} The sandbox asks for more than the program has.
 *
 * @example
 * ```ts
 * import { prepareSandbox } from "./permissions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(prepareSandbox("inherit"), null);
 * ```
 */
export function prepareSandbox(
  permissions: unknown,
  action: string = DEFAULT_ACTION,
): Deno.PermissionOptions | null {
  const checked = validatePermissions(permissions, action);
  if (checked === "inherit") return null;
  const status = workerOptionsEnabled();
  if (status.enabled === false) {
    throw new Deno.errors.NotSupported(
      `Cannot ${action} as 'permissions' is ${describe(checked)}: worker permissions need ` +
        `Deno's ${FLAG} flag, which this program runs without (${status.source}); ` +
        `run it as \`deno run ${FLAG} ...\` (or add "unstable": ["worker-options"] to ` +
        `deno.json), or use permissions "inherit", which needs no flag`,
    );
  }
  checkEscalation(checked, action);
  return toDenoPermissions(checked);
}

function describe(value: unknown): string {
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
