/**
 * What a `Process` runs in its child: the target's reference, or for a subclass with
 * its own `run()`, the worker-side runner given where the class is exported (found when
 * the process is made, while the caller's module is on the stack); and its arguments,
 * checked before any worker starts.
 *
 * @module
 */
import { encodeItems } from "./comms/wire.ts";
import { type BackendName, traitsOf } from "./backend_traits.ts";
import { SerializationError, TaskNotFound } from "./errors.ts";
import type { TaskRef } from "./shared/protocol.ts";
import { callerModule, taskName, taskRef } from "./task.ts";
import type { TaskFunction } from "./types.ts";

/** The worker-side module that runs a subclass in its child and marks daemons. */
export const SUBCLASS_RUNNER: string =
  new URL("./worker/process_subclass.ts", import.meta.url).href;

/** A process's target as it crosses: its reference (or why it cannot), name and arguments. */
export interface ProcessTarget {
  readonly ref: TaskRef | TaskNotFound;
  /** The name errors give it: the function's or the class's. */
  readonly task: string;
  readonly args: readonly unknown[];
  /** Modules a sandboxed process loads from the start, beside its target's. */
  readonly modules: readonly string[];
}

/** A plain function's target: found by reference (module and export), or inline. */
export function functionTarget(target: TaskFunction, args: readonly unknown[]): ProcessTarget {
  let ref: TaskRef | TaskNotFound;
  try {
    ref = taskRef(target, callerModule);
  } catch (error) {
    ref = error as TaskNotFound;
  }
  return { ref, task: taskName(target), args, modules: [] };
}

/**
 * A subclass's target: `runProcessSubclass` in the child, given where the class is
 * exported and its options (without what cannot cross: the `errors` classes).
 */
export function subclassTarget(type: TaskFunction, options: object): ProcessTarget {
  const task = type.name || "anonymous class";
  const { errors: _errors, ...sendable } = options as { errors?: unknown };
  let found: TaskRef;
  try {
    found = taskRef(type, callerModule);
  } catch (error) {
    return { ref: error as TaskNotFound, task, args: [], modules: [] };
  }
  if (found.kind !== "export") {
    return {
      ref: new TaskNotFound({
        message: `Cannot start process class '${task}' as it is not exported from its module: ` +
          `export it, so its child can import it`,
        task,
      }),
      task,
      args: [],
      modules: [],
    };
  }
  return {
    ref: { kind: "export", module: SUBCLASS_RUNNER, export: "runProcessSubclass", source: "" },
    task,
    args: [found.module, found.export, found.source, [sendable]],
    modules: [found.module],
  };
}

/**
 * The target's arguments as they cross: communication objects by transfer (checked when
 * posted), the rest checked here, before any worker starts; or why they cannot cross.
 */
export function encodeArgs(
  target: ProcessTarget & { readonly name: string },
  backend: BackendName,
): ReturnType<typeof encodeItems> | SerializationError {
  const encoded = encodeItems([target.args], true);
  try {
    if (encoded === null) structuredClone(target.args);
    else if (!traitsOf(backend).sharesMemory) refuseShared(encoded.items);
  } catch (error) {
    return new SerializationError({
      message: `Cannot send the arguments of '${target.task}' to process '${target.name}': ${
        error instanceof Error ? error.message : String(error)
      }; pass plain data (no functions or symbols)`,
      cause: error,
    });
  }
  return encoded;
}

/** Communication objects share memory, which a subprocess cannot: refused up front. */
function refuseShared(items: readonly unknown[]): void {
  for (const args of items) {
    for (const value of args as unknown[]) {
      const kind = (value as { __portable?: unknown } | null)?.__portable;
      if (typeof kind === "string" && kind !== "transfer") {
        throw new TypeError(
          `a '${kind}' shares memory with this program, which a process of the ` +
            `"subprocess" backend cannot: use the "worker" backend to pass communication objects`,
        );
      }
    }
  }
}
