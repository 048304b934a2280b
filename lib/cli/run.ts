/**
 * Runs an `effect/cli` command on Deno and turns the outcome into an exit code: data
 * and requested help on stdout, everything else on stderr, a one-line reason for bad
 * usage.
 *
 * @module
 */
import { Cause, Console, Effect, Exit, Layer } from "effect";
import { CliConfig, CliError, CliOutput, Command, GlobalFlag } from "effect/cli";
import { denoCliLayer } from "./platform.ts";

/** The command ran to the end. */
export const EXIT_OK = 0;
/** The command itself failed. */
export const EXIT_FAILURE = 1;
/** Bad usage: an unknown command or flag, a missing or invalid value. */
export const EXIT_USAGE = 2;

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

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Runs `command` on `args` and gives the exit code: 0 on success (and for `--help`
 * and `--version`), 2 for bad usage, 1 when the command failed (its reason on stderr).
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
  const exit = await Effect.runPromiseExit(program);
  if (Exit.isSuccess(exit)) return EXIT_OK;
  const failure = exit.cause.reasons.find(Cause.isFailReason)?.error;
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
