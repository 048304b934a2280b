/**
 * Runs an `effect/cli` command on Deno and turns the outcome into an exit code: data
 * and requested help on stdout, everything else on stderr, a one-line reason for bad
 * usage.
 *
 * @module
 */
import * as Cause from "effect/Cause";
import * as Console from "effect/Console";
import * as Data from "effect/Data";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Layer from "effect/Layer";
import { CliConfig, CliError, CliOutput, Command, GlobalFlag } from "effect/cli";
import { denoCliLayer } from "./platform.ts";
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";

export { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE };

/**
 * A command ended with a non-zero exit code, its reason already printed on stderr.
 *
 * @example
 * ```ts
 * import { CliExit } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new CliExit({ code: 1 }).code, 1);
 * ```
 */
export class CliExit extends Data.TaggedError("CliExit")<{ readonly code: number }> {}

/**
 * Runs a Promise-returning command body as an Effect: an exit code other than 0
 * becomes a `CliExit` failure; interrupting the Effect (Ctrl-C) aborts `signal` and
 * waits for the body to wind down (write what it has, stop its workers).
 *
 * @param body The command, given a signal that aborts on interruption; gives the exit code.
 * @returns An Effect that succeeds on exit code 0.
 *
 * @example
 * ```ts
 * import { Effect, Exit } from "effect";
 * import { exitCodeEffect } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * const exit = await Effect.runPromiseExit(exitCodeEffect(() => Promise.resolve(1)));
 * assert.ok(Exit.isFailure(exit));
 * ```
 */
export function exitCodeEffect(
  body: (signal: AbortSignal) => Promise<number>,
): Effect.Effect<void, CliExit> {
  return Effect.callback<number, unknown>((resume) => {
    const controller = new AbortController();
    const running = body(controller.signal);
    running.then(
      (code) => resume(Effect.succeed(code)),
      (error) => resume(Effect.fail(error)),
    );
    return Effect.promise(() => {
      controller.abort(new Error("interrupted"));
      return running.then(() => {}, () => {});
    });
  }).pipe(
    Effect.catch((error) =>
      Effect.sync(() => {
        console.error(describe(error));
        return EXIT_FAILURE;
      })
    ),
    Effect.flatMap((code) => code === EXIT_OK ? Effect.void : Effect.fail(new CliExit({ code }))),
  );
}

/** Bad usage in one line, naming where to read the usage. */
function usageLine(
  commandPath: readonly string[],
  errors: readonly CliError.CliError[],
): string {
  const reason = errors.length === 0
    ? "a command is required"
    : errors.map((error) => error.message.split("\n").map((line) => line.trim()).join(" "))
      .join("; ");
  const path = commandPath.join(" ");
  return `${path}: ${reason} (see '${path} --help')`;
}

/**
 * Help asked for (`--help`) and the version go to stdout; a bad invocation is one line
 * on stderr; help shown because no command was given goes to stderr.
 */
const presenter = CliOutput.layerPresenter({
  present: (event) => {
    switch (event._tag) {
      case "InvalidInvocation":
        return Console.error(usageLine(event.commandPath, event.errors));
      case "Help":
        if (event.reason === "Requested") return CliOutput.defaultPresenter.present(event);
        return Effect.gen(function* () {
          const formatter = yield* CliOutput.Formatter;
          yield* Console.error(formatter.formatHelpDoc(event.helpDoc));
          yield* Console.error(usageLine(event.commandPath, []));
        });
      case "Version":
        return CliOutput.defaultPresenter.present(event);
    }
  },
});

/**
 * Only `--help` and `--version`: the wizard needs raw key input, and completion
 * scripts need an installed binary, neither of which `deno run cli.ts` has.
 */
const builtIns = CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version] });

/** Listens for SIGINT where Deno can (not on Windows before a console exists). */
function listenForSigint(handler: () => void): boolean {
  try {
    Deno.addSignalListener("SIGINT", handler);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Runs `command` on `args` and gives the exit code: 0 on success (and for `--help`
 * and `--version`), 2 for bad usage, 1 when the command failed (its reason on stderr),
 * the code of a `CliExit` failure, and 130 when Ctrl-C (SIGINT) interrupted it (the
 * command's finalizers have run by then).
 *
 * @param command The root command.
 * @param args The arguments after the script name, as `Deno.args`.
 * @param version The program's version, for `--version`.
 * @returns The exit code.
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { Command } from "effect/cli";
 * import { runCommand } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * const ok = Command.make("ok", {}, () => Effect.void);
 * assert.equal(await runCommand(ok, [], "1.0.0"), 0);
 * ```
 */
export async function runCommand<Name extends string, Input, ContextInput, E>(
  command: Command.Command<Name, Input, ContextInput, E, never>,
  args: readonly string[],
  version: string,
): Promise<number> {
  const program = Command.runWith(command, { version })(args).pipe(
    Effect.provide(Layer.mergeAll(denoCliLayer(args), presenter, builtIns)),
  );
  const interrupt = new AbortController();
  const onSigint = (): void => {
    if (interrupt.signal.aborted) Deno.exit(EXIT_INTERRUPTED); // a second Ctrl-C: now
    interrupt.abort();
  };
  const listening = listenForSigint(onSigint);
  let exit: Exit.Exit<void, unknown>;
  try {
    exit = await Effect.runPromiseExit(program, { signal: interrupt.signal });
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onSigint);
  }
  if (Exit.isSuccess(exit)) return EXIT_OK;
  if (Cause.hasInterruptsOnly(exit.cause)) return EXIT_INTERRUPTED;
  const failure = exit.cause.reasons.find(Cause.isFailReason)?.error;
  if (failure instanceof CliExit) return failure.code;
  if (CliError.isCliError(failure) && failure._tag === "ShowHelp") return EXIT_USAGE;
  if (failure !== undefined && typeof failure === "object" && failure !== null) {
    // Errors carrying a user message were already shown by effect/cli.
    if (CliError.getUserMessage(failure) === undefined) console.error(describe(failure));
    return EXIT_FAILURE;
  }
  if (failure !== undefined) {
    console.error(describe(failure));
    return EXIT_FAILURE;
  }
  console.error(Cause.pretty(exit.cause));
  return EXIT_FAILURE;
}
