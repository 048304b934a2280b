/**
 * The `runner` command: serves the cluster backend's chunks from this host until
 * SIGTERM or SIGINT, running them on a local pool. Effect's cluster code is imported
 * only when the command runs.
 *
 * @module
 */
import { loadLater } from "../load_later.ts";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Option from "effect/Option";
import { Command, Flag } from "effect/cli";
import { backendFlag } from "./backend_flag.ts";
import { permissionsFromFlags, sandboxFlags } from "./sandbox_flags.ts";

/** Waits for SIGTERM or SIGINT; says which. */
function stopSignal(): Effect.Effect<string> {
  return Effect.callback<string>((resume) => {
    const signals = ["SIGTERM", "SIGINT"] as const;
    const handlers = signals.map((signal) => {
      const handler = () => resume(Effect.succeed(signal));
      Deno.addSignalListener(signal, handler);
      return [signal, handler] as const;
    });
    return Effect.sync(() => {
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    });
  });
}

/**
 * `cli.ts runner --database URL [--listen HOST:PORT] [--processes N] [--failover MS]`.
 *
 * @example
 * ```ts
 * import { runnerCommand } from "./runner.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(runnerCommand.name, "runner");
 * ```
 */
export const runnerCommand = Command.make(
  "runner",
  {
    database: Flag.String("database").pipe(
      Flag.withMetavar("url"),
      Flag.withDescription("Postgres URL shared by every runner and client of the cluster"),
    ),
    listen: Flag.String("listen").pipe(
      Flag.withMetavar("host:port"),
      Flag.withDefault("127.0.0.1:34431"),
      Flag.withDescription("Address this runner listens on and is reached by"),
    ),
    processes: Flag.Int("processes").pipe(
      Flag.withAlias("j"),
      Flag.optional,
      Flag.withDescription("Processes of the local pool (default: one per core)"),
    ),
    failover: Flag.Int("failover").pipe(
      Flag.withMetavar("ms"),
      Flag.withDefault(35_000),
      Flag.withDescription(
        "Milliseconds before a dead runner's shards move (shard lock expiry); use the same " +
          "value on every process of the cluster",
      ),
    ),
    sandbox: sandboxFlags.sandbox,
    allow: sandboxFlags.allow,
    backend: backendFlag,
  },
  (flags) =>
    Effect.gen(function* () {
      const { runnerLayer } = yield* Effect.promise(() =>
        loadLater<typeof import("../cluster/runner.ts")>(
          new URL("../cluster/runner.ts", import.meta.url),
        )
      );
      const processes = Option.getOrUndefined(flags.processes);
      const layer = runnerLayer({
        database: flags.database,
        listen: flags.listen,
        failoverMs: flags.failover,
        backend: flags.backend,
        permissions: permissionsFromFlags(flags),
        ...(processes === undefined ? {} : { processes }),
      });
      const signal = yield* Effect.raceFirst(
        Layer.launch(layer).pipe(Effect.as("")),
        stopSignal(),
      );
      console.error(`runner ${flags.listen} stopped (${signal}): its shards move to the others`);
    }),
).pipe(
  Command.withDescription(
    "Serve the cluster backend: run the chunks of every pool opened with " +
      '{ backend: "cluster" } on the same database, on a local pool, until SIGTERM or ' +
      "SIGINT. Every runner must be able to load the task modules (same path, or a URL).",
  ),
  Command.withShortDescription("Serve cluster pools' chunks from this host"),
  Command.withExamples([
    {
      command: "deno run -A cli.ts runner --database postgres://127.0.0.1/db --listen " +
        "127.0.0.1:34431",
      description: "A runner on this host",
    },
  ]),
);
