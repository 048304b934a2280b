/**
 * Whether a sandbox can start in this process, checked before any worker does: apart
 * from the flags' definitions so that `map`'s fast path loads no effect/cli.
 *
 * @module
 */
import type { Permissions } from "../permissions.ts";
import { workerOptionsStatus } from "../worker_options.ts";
import { UsageError } from "./task_module.ts";
import { type BackendName, traitsOf } from "../backend_traits.ts";

/**
 * Checks that a sandbox can be started in this process: worker permissions need
 * `--unstable-worker-options`, and without it Deno ends the whole process (exit code
 * 70) when a worker is given any, so this is told before a worker starts.
 *
 * @param command The command's name, for the message.
 * @param permissions What the flags asked for.
 * @param backend What each process is: a subprocess takes deno's own flags, never needs it.
 * @throws {UsageError} A sandbox was asked for and worker permissions are off.
 *
 * @example
 * ```ts
 * import { checkSandboxAvailable } from "./sandbox_check.ts";
 *
 * checkSandboxAvailable("map", "inherit"); // nothing asked, nothing to check
 * ```
 */
export function checkSandboxAvailable(
  command: string,
  permissions: Permissions,
  backend: BackendName = "worker",
): void {
  // A subprocess takes Deno's own --allow-* flags: no unstable option needed.
  if (permissions === "inherit" || !traitsOf(backend).workerPermissions) return;
  const status = workerOptionsStatus();
  if (status.enabled === false) {
    throw new UsageError(
      `${command}: --sandbox and --allow-* need worker permissions, which are off (${status.source}): ` +
        "run deno with --unstable-worker-options",
    );
  }
}
