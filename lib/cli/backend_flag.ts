/**
 * The `--backend` flag of `map` and `run`: `worker` (the default: Web Workers) or
 * `subprocess` (each process a child `deno`, killable while busy, sandboxed with
 * Deno's own flags).
 *
 * @module
 */
import { Flag } from "effect/cli";

/**
 * The flag, to add to a command's config as `backend: backendFlag`; its value goes to
 * the command's `backend` option.
 *
 * @example
 * ```ts
 * import { Command } from "effect/cli";
 * import { Effect } from "effect";
 * import { backendFlag } from "./backend_flag.ts";
 *
 * const command = Command.make("x", { backend: backendFlag }, () => Effect.void);
 * ```
 */
export const backendFlag: Flag.Flag<"worker" | "subprocess"> = Flag.Literals(
  "backend",
  ["worker", "subprocess"],
).pipe(
  Flag.withDefault<"worker" | "subprocess">("worker"),
  Flag.withDescription(
    "What each process is: worker (Web Workers, the default) or subprocess (child deno " +
      "processes: killable while busy, sandboxed with deno's own --allow-* flags)",
  ),
);
