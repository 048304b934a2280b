/**
 * How `pool.submit` and `pool.applyAsync` start a task for a handle, on both faces of
 * the pool: one job of one item, whose answer settles the handle through its settle
 * object, and whose hand-over to a worker makes the handle `running()`.
 *
 * @module
 */
import type { AsyncResultSettle } from "./async_result.ts";
import type { Engine, JobListener, JobSpec } from "./engine.ts";
import type { RunningJob } from "./pool_calls.ts";
import { checkTaskArgs } from "./task.ts";

/**
 * Starts `fn(...args)` on the pool for a handle: settles it through `settle`, and tells
 * it when the task is sent to a worker (`running()`), through the listener's `sent`,
 * which the engine calls when it hands a chunk to a worker. The caller sets
 * `settle.onCancel`.
 *
 * @internal
 */
export function startFuture<T, E>(
  engine: Engine,
  spec: JobSpec,
  args: readonly unknown[],
  settle: AsyncResultSettle<T, E>,
): RunningJob {
  checkTaskArgs(args);
  const refused = engine.closedError();
  if (refused) {
    settle.reject(refused as E);
    return null;
  }
  const listener: JobListener = {
    done(_chunk, values, errors) {
      if (errors === null) settle.resolve(values[0] as T);
      else settle.reject(errors[0]![1] as E);
    },
    failed(_chunk, error) {
      settle.reject(error as E);
    },
    sent() {
      settle.sent();
    },
  };
  const job = engine.createJob({ ...spec, spread: true, settle: false }, listener);
  engine.submit({ job, seq: 0, items: [args] });
  return job;
}
