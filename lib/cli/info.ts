/**
 * The `info` command: what this program runs on, as aligned `key: value` lines for
 * people or one JSON object for machines.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };
import { cpuCount } from "../process.ts";
import { workerOptionsStatus } from "../worker_options.ts";

/** What `info` reports. */
export interface Info {
  /** The library's package name, from `deno.json`. */
  readonly name: string;
  /** The library's version, from `deno.json`. */
  readonly version: string;
  /** `Deno.version.deno`. */
  readonly deno: string;
  /** `Deno.version.v8`. */
  readonly v8: string;
  /** `Deno.version.typescript`. */
  readonly typescript: string;
  /** `Deno.build.os` and `Deno.build.arch`, as `linux/x86_64`. */
  readonly platform: string;
  /** `cpuCount()`: the default size of a pool. */
  readonly cores: number;
  /** Whether worker permissions (`--unstable-worker-options`) are available; null if unknown. */
  readonly workerPermissions: boolean | null;
  /** How `workerPermissions` was told. */
  readonly workerPermissionsSource: string;
}

/**
 * Gathers what `info` reports.
 *
 * @returns The versions, the platform, the core count and worker permissions.
 *
 * @example
 * ```ts
 * import { collectInfo } from "./info.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(collectInfo().deno, Deno.version.deno);
 * ```
 */
export function collectInfo(): Info {
  const workers = workerOptionsStatus();
  return {
    name: config.name,
    version: config.version,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    platform: `${Deno.build.os}/${Deno.build.arch}`,
    cores: cpuCount(),
    workerPermissions: workers.enabled,
    workerPermissionsSource: workers.source,
  };
}

/**
 * Formats `info` for people: one aligned `key: value` line each.
 *
 * @param info What `collectInfo()` gathered.
 * @returns The lines, joined by newlines (no trailing newline).
 *
 * @example
 * ```ts
 * import { collectInfo, formatInfo } from "./info.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(formatInfo(collectInfo()), /^deno: +\d+\.\d+\.\d+$/m);
 * ```
 */
export function formatInfo(info: Info): string {
  const permissions = info.workerPermissions === null
    ? "unknown"
    : info.workerPermissions
    ? "available"
    : "unavailable";
  const rows: [string, string][] = [
    ["name", info.name],
    ["version", info.version],
    ["deno", info.deno],
    ["v8", info.v8],
    ["typescript", info.typescript],
    ["platform", info.platform],
    ["cores", String(info.cores)],
    ["worker permissions", `${permissions} (${info.workerPermissionsSource})`],
  ];
  const width = Math.max(...rows.map(([key]) => key.length)) + 1;
  return rows.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`).join("\n");
}
