/**
 * A runner: a process that serves the library's entity and runs every chunk it receives
 * on a local pool of its own (the library's engine: its runtime resolves the task
 * reference and checks its source as it does for a local pool). Start one with
 * `deno run -A cli.ts runner --database URL` or from code with `runnerLayer`.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { Engine } from "../engine.ts";
import type { Chunk, Job } from "../engine_types.ts";
import { engineOptions } from "../pool_options.ts";
import type { Permissions } from "../permissions.ts";
import type { TaskRef } from "../shared/protocol.ts";
import { toWireError, type WireError } from "../shared/wire_error.ts";
import { MultiprocessingError, SerializationError, TaskError, TaskNotFound } from "../errors.ts";
import { ChunkRunner } from "./entity.ts";
import { type ClusterOptions, clusterSettings } from "./options.ts";
import { runnerClusterLayer } from "./layers.ts";
import { watchLayer } from "./watch.ts";
import { type ChunkAnswer, decode, encode } from "./wire.ts";

/** How a runner is started. */
export interface RunnerOptions extends ClusterOptions {
  /** Host and port this runner listens on and is reached by. @default {"127.0.0.1:34431"} */
  readonly listen?: string;
  /** Processes of its local pool. @default {navigator.hardwareConcurrency} */
  readonly processes?: number;
  /** Backend of its local pool. @default {"worker"} */
  readonly backend?: "worker" | "subprocess";
  /** What its local pool's processes may do. @default {"inherit"} */
  readonly permissions?: Permissions;
  /** Where its one-line reports go. @default {console.error} */
  readonly log?: (line: string) => void;
}

/**
 * A runner as a Layer: while the layer is alive this process serves chunks of every
 * cluster pool on the same database; closing it hands its shards to the others at once.
 *
 * @example
 * ```ts ignore
 * import { Effect, Layer } from "effect";
 * import { runnerLayer } from "./runner.ts";
 *
 * await Effect.runPromise(
 *   Layer.launch(runnerLayer({ database: "postgres://127.0.0.1/db", listen: "127.0.0.1:34431" })),
 * );
 * ```
 */
export function runnerLayer(options: RunnerOptions): Layer.Layer<never, unknown> {
  const settings = clusterSettings("start runner", options);
  const [host, port] = parseListen(options.listen ?? "127.0.0.1:34431");
  const me = `${host}:${port}`;
  const log = options.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  // One local pool per runner, opened once: the entity's handlers are built anew for
  // every entity instance (one per bucket), so they only close over it.
  const entities = Layer.unwrap(Effect.gen(function* () {
    const engine = yield* Effect.acquireRelease(
      Effect.orDie(openEngine(options, me)),
      (engine) =>
        Effect.promise(() => {
          engine.terminate();
          return new Promise<void>((resolve) => engine.whenDrained(resolve));
        }),
    );
    const refs = new Map<string, TaskRef>();
    const handlers = ChunkRunner.of({
      Ping: () => Effect.succeed({ runner: me, processes: engine.stats.workers }),
      RunChunk: ({ payload }) =>
        Effect.callback<{ runner: string; answer: string }>((resume) => {
          let ref = refs.get(payload.ref);
          if (ref === undefined) {
            ref = JSON.parse(payload.ref) as TaskRef;
            refs.set(payload.ref, ref); // the engine knows a function by its ref object
          }
          const reply = (answer: ChunkAnswer) =>
            resume(Effect.succeed({ runner: me, answer: encode(answer) }));
          const name = ref.kind === "export" ? ref.export : ref.name;
          const job: Job = engine.createJob({
            ref,
            task: name,
            spread: payload.spread,
            settle: payload.settle,
            faults: { timeout: null, retries: 0, retryTaskErrors: false },
          }, {
            done: (_chunk, results, errors) =>
              reply({
                kind: "done",
                results,
                errors: errors === null
                  ? null
                  : errors.map(([index, error]) => [index, toWire(error, me)] as const),
              }),
            failed: (_chunk, error) => reply(answerOfFailure(error, me)),
          });
          const chunk: Chunk = { job, seq: 0, items: decode(payload.items) as unknown[] };
          engine.submit(chunk);
          // Interrupted: the client cancelled the call, timed it out or closed its pool.
          return Effect.sync(() => engine.cancel(job));
        }),
    });
    return ChunkRunner.toLayer(handlers, { concurrency: "unbounded" });
  }));
  const ready = Layer.effectDiscard(Effect.sync(() =>
    log(
      `runner ${me} ready after ${
        Math.round(performance.now() - started)
      } ms (pid ${Deno.pid}, failover ${settings.failoverMs} ms)`,
    )
  ));
  return Layer.merge(ready, watchLayer(settings, me, log)).pipe(
    Layer.provideMerge(entities),
    Layer.provide(runnerClusterLayer(settings, host, port)),
  ) as Layer.Layer<never, unknown>;
}

function openEngine(options: RunnerOptions, me: string): Effect.Effect<Engine, unknown> {
  return Effect.callback<Engine, unknown>((resume) => {
    const engine = new Engine(engineOptions({
      ...(options.processes === undefined ? {} : { processes: options.processes }),
      backend: options.backend ?? "worker",
      permissions: options.permissions ?? "inherit",
      name: `Runner(${me})`,
    }));
    engine.open((error) => resume(error ? Effect.fail(error) : Effect.succeed(engine)));
  });
}

/** A failure of the whole chunk on the runner, as the client's engine should see it. */
function answerOfFailure(error: unknown, me: string): ChunkAnswer {
  if (
    error instanceof TaskError || error instanceof TaskNotFound ||
    error instanceof SerializationError
  ) {
    return { kind: "failed", error: toWire(error, me) };
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { kind: "crashed", reason: `failed on runner ${me}: ${text}` };
}

/** A library error back to the data it was made from; `TaskNotFound` names the runner. */
function toWire(error: unknown, me: string): WireError {
  if (error instanceof TaskError) {
    const fields = error as TaskError & {
      remoteName?: string;
      remoteStack?: string;
      isError?: boolean;
      value?: unknown;
      code?: string;
    };
    const cause = fields.cause === undefined ? undefined : toWireError(fields.cause);
    return {
      tag: "TaskError",
      name: fields.remoteName ?? "Error",
      message: error.message,
      stack: fields.remoteStack,
      cause,
      isError: fields.isError ?? true,
      ...(fields.isError === false ? { value: fields.value } : {}),
      code: fields.code,
    };
  }
  if (error instanceof TaskNotFound) {
    return {
      tag: "TaskNotFound",
      name: "TaskNotFound",
      message: `on runner ${me}: ${error.message}`,
      isError: true,
    };
  }
  if (error instanceof SerializationError) {
    return { tag: "SerializationError", name: error.name, message: error.message, isError: true };
  }
  const message = error instanceof MultiprocessingError || error instanceof Error
    ? error.message
    : String(error);
  return { tag: "TaskError", name: "Error", message, isError: true };
}

/** `host:port` to its parts. */
export function parseListen(listen: string): [string, number] {
  const match = /^(.+):(\d+)$/.exec(listen);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new TypeError(
      `Cannot start runner as 'listen' must be HOST:PORT (e.g. 127.0.0.1:34431): ` +
        `current value is ${JSON.stringify(listen)}`,
    );
  }
  return [match[1]!, port];
}
