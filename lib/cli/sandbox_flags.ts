/**
 * The sandbox flags of `map` and `run`, named as Deno's own: `--sandbox` (no
 * permissions at all) and `--allow-read[=paths]`, `--allow-write`, `--allow-net`,
 * `--allow-env`, `--allow-run`, `--allow-ffi`, `--allow-sys`, `--allow-import`, each
 * bare (all) or with a comma-separated list. They become the pool's `permissions`.
 *
 * @module
 */
import * as Option from "effect/Option";
import { Flag } from "effect/cli";
import type { Permissions, PermissionSet } from "../permissions.ts";

/** The permission names, as in `--allow-<name>`. */
export const PERMISSION_NAMES = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "ffi",
  "sys",
  "import",
] as const;

/** One permission name. */
export type PermissionName = typeof PERMISSION_NAMES[number];

/** What the flags parsed to: `--sandbox`, and each `--allow-*` (empty string: bare). */
export interface SandboxFlagValues {
  /** `--sandbox` was given. */
  readonly sandbox: boolean;
  /** Each `--allow-<name>` given: `""` when bare, else its comma-separated list. */
  readonly allow: { readonly [K in PermissionName]: Option.Option<string> };
}

/** Marks a bare `--allow-x`, which effect/cli parses as `--allow-x=<this>`. */
const BARE = "";

function allowFlag(name: PermissionName): Flag.Flag<Option.Option<string>> {
  return Flag.String(`allow-${name}`).pipe(
    Flag.withOptionalValue(BARE),
    Flag.optional,
    Flag.withMetavar(name === "net" || name === "import" ? "hosts" : "list"),
    Flag.withDescription(
      `Sandbox: let workers use ${name} (all, or only the comma-separated list after =), ` +
        `as deno's --allow-${name}`,
    ),
  );
}

/**
 * The flags, to spread into a command's config.
 *
 * @example
 * ```ts
 * import { Command } from "effect/cli";
 * import { Effect } from "effect";
 * import { sandboxFlags } from "./sandbox_flags.ts";
 *
 * const command = Command.make("x", { sandbox: sandboxFlags }, () => Effect.void);
 * ```
 */
export const sandboxFlags: {
  readonly sandbox: Flag.Flag<boolean>;
  readonly allow: { readonly [K in PermissionName]: Flag.Flag<Option.Option<string>> };
} = {
  sandbox: Flag.Boolean("sandbox").pipe(
    Flag.withDefault(false),
    Flag.withDescription(
      "Run the workers with no permissions at all (add back some with --allow-*); " +
        "needs deno's --unstable-worker-options",
    ),
  ),
  allow: {
    read: allowFlag("read"),
    write: allowFlag("write"),
    net: allowFlag("net"),
    env: allowFlag("env"),
    run: allowFlag("run"),
    ffi: allowFlag("ffi"),
    sys: allowFlag("sys"),
    import: allowFlag("import"),
  },
};

/**
 * The workers' permissions the flags ask for: `"inherit"` when none is given,
 * `"none"` for `--sandbox` alone, else the granular set (any `--allow-*` implies a
 * sandbox that allows only what is listed).
 *
 * @param flags What the flags parsed to.
 * @returns The pool's or process's `permissions` option.
 *
 * @example
 * ```ts
 * import { Option } from "effect";
 * import { permissionsFromFlags } from "./sandbox_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const none = Option.none<string>();
 * const allow = { read: Option.some("./data,/tmp"), write: none, net: Option.some(""),
 *   env: none, run: none, ffi: none, sys: none, import: none };
 * assert.deepEqual(permissionsFromFlags({ sandbox: false, allow }), {
 *   read: ["./data", "/tmp"],
 *   net: true,
 * });
 * ```
 */
export function permissionsFromFlags(flags: SandboxFlagValues): Permissions {
  const set: { -readonly [K in keyof PermissionSet]: PermissionSet[K] } = {};
  let any = false;
  for (const name of PERMISSION_NAMES) {
    const value = flags.allow[name];
    if (Option.isNone(value)) continue;
    any = true;
    const list = value.value.split(",").map((entry) => entry.trim()).filter((entry) =>
      entry !== ""
    );
    set[name] = value.value === BARE || list.length === 0 ? true : list;
  }
  if (any) return set;
  return flags.sandbox ? "none" : "inherit";
}

export { checkSandboxAvailable } from "./sandbox_check.ts";
