/**
 * What a sandboxed worker may do: the `permissions` option of `Pool` and `Process`.
 *
 * @module
 */

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
  /** System information: `--allow-sys`. */
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
