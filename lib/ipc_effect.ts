/**
 * Queues, pipes and synchronization primitives on the Effect face: every operation
 * that waits is an Effect that can be interrupted (interrupting a blocked `get` stops
 * the wait and takes nothing; an interrupted `acquire` holds nothing), and the errors
 * Python raises (`Empty`, `Full`, `EOFError`, `BrokenPipeError`, `BrokenBarrierError`)
 * are typed failures.
 *
 * The objects are the same as on the Promise face: make them with `new Queue()`,
 * `Pipe()`, `new Lock()`, ... and pass them to processes as usual. Each function takes
 * the object first, as Effect's own `Queue.take(queue)` does; what does not wait
 * (`qsize()`, `release()`, `set()`, `notify()`, a `Value`'s `value`) is called on the
 * object directly, inside `Effect.sync` or a generator.
 *
 * @example A blocked get, interrupted by a timeout
 * ```ts
 * import { Effect, Option } from "effect";
 * import { IpcEffect } from "./ipc_effect.ts";
 * import { Queue } from "./comms/queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<number>();
 * const got = await Effect.runPromise(Effect.timeoutOption(IpcEffect.get(q), 20));
 * assert.ok(Option.isNone(got));
 * await q.put(7);
 * assert.equal(await Effect.runPromise(IpcEffect.get(q)), 7);
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { Barrier } from "./comms/barrier.ts";
import { Condition } from "./comms/condition.ts";
import {
  BrokenBarrierError,
  BrokenPipeError,
  Empty,
  EOFError,
  Full,
  HandleClosed,
} from "./comms/errors.ts";
import { Event } from "./comms/event.ts";
import type { Lock, RLock } from "./comms/lock.ts";
import type { Connection } from "./comms/pipe.ts";
import type { JoinableQueue, Queue } from "./comms/queue.ts";
import type { Semaphore } from "./comms/semaphore.ts";
import { SimpleQueue } from "./comms/simple_queue.ts";
import { wait as connectionWait, type Waitable } from "./connection_wait.ts";

/** Options of the Effect face's waits: cancellation is interruption. */
export interface EffectWaitOptions {
  /** Milliseconds to wait at most. @default Infinity */
  readonly timeout?: number;
}

/** Options of `IpcEffect.get` and `IpcEffect.put`. */
export interface EffectQueueOptions extends EffectWaitOptions {
  /** False: do not wait; fail at once with `Empty` / `Full`. @default true */
  readonly block?: boolean;
}

/**
 * Options of `IpcEffect.acquire`.
 *
 * @example Trying a lock without waiting
 * ```ts
 * import { Effect } from "effect";
 * import { IpcEffect } from "./ipc_effect.ts";
 * import { Lock } from "./comms/lock.ts";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * assert.equal(await Effect.runPromise(IpcEffect.acquire(lock, { blocking: false })), true);
 * assert.equal(await Effect.runPromise(IpcEffect.acquire(lock, { blocking: false })), false);
 * lock.release();
 * ```
 */
export interface EffectAcquireOptions extends EffectWaitOptions {
  /** False: do not wait; succeed with false at once when it is taken. @default true */
  readonly blocking?: boolean;
}

/** Anything `IpcEffect.acquire` takes. */
export type Acquirable = Lock | RLock | Semaphore | Condition;

type Guard<E> = (error: unknown) => error is E;

const never: Guard<never> = (_): _ is never => false;

function isOneOf<E>(...classes: Array<abstract new (...args: never[]) => E>): Guard<E> {
  return (error): error is E => classes.some((c) => error instanceof c);
}

/**
 * A Promise-returning call as an Effect. Interruption aborts the signal; `undo` runs if
 * the call succeeded after all (so an interrupted acquisition holds nothing). Errors
 * `expected` accepts are failures; anything else is a defect.
 */
function fromAsync<A, E>(
  run: (signal: AbortSignal) => Promise<A>,
  expected: Guard<E>,
  undo?: (value: A) => void,
): Effect.Effect<A, E> {
  return Effect.callback<A, E>((resume, signal) => {
    let promise: Promise<A>;
    try {
      promise = run(signal);
    } catch (error) {
      resume(expected(error) ? Effect.fail(error) : Effect.die(error));
      return;
    }
    promise.then(
      (value) => {
        if (signal.aborted) undo?.(value);
        else resume(Effect.succeed(value));
      },
      (error: unknown) => {
        if (!signal.aborted) resume(expected(error) ? Effect.fail(error) : Effect.die(error));
      },
    );
  });
}

function waitOptions(options: EffectQueueOptions, signal: AbortSignal) {
  return {
    signal,
    ...(options.timeout !== undefined && { timeout: options.timeout }),
    ...(options.block !== undefined && { block: options.block }),
  };
}

/** Takes the front item of a `SimpleQueue`, waiting for one; interruptible. */
function get<T>(
  queue: SimpleQueue<T>,
  options?: EffectWaitOptions,
): Effect.Effect<T, Empty | HandleClosed>;
/** Takes the front item of `queue`, waiting for one unless `block: false`; interruptible. */
function get<T>(
  queue: Queue<T>,
  options?: EffectQueueOptions,
): Effect.Effect<T, Empty | HandleClosed>;
/** Takes the front item of either kind of queue, waiting for one; interruptible. */
function get<T>(
  queue: Queue<T> | SimpleQueue<T>,
  options?: EffectWaitOptions,
): Effect.Effect<T, Empty | HandleClosed>;
/**
 * Takes the front item of a `Queue` or `SimpleQueue`, waiting for one; interruptible
 * (an interrupted get takes nothing).
 *
 * @example
 * ```ts
 * import { Effect } from "effect";
 * import { IpcEffect } from "./ipc_effect.ts";
 * import { Queue } from "./comms/queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<string>();
 * const program = Effect.gen(function* () {
 *   yield* IpcEffect.put(q, "hello");
 *   return yield* IpcEffect.get(q, { timeout: 100 });
 * });
 * assert.equal(await Effect.runPromise(program), "hello");
 * ```
 */
function get<T>(
  queue: Queue<T> | SimpleQueue<T>,
  options: EffectQueueOptions = {},
): Effect.Effect<T, Empty | HandleClosed> {
  return fromAsync(
    (signal) =>
      queue instanceof SimpleQueue
        ? queue.get({ ...options.timeout !== undefined && { timeout: options.timeout }, signal })
        : queue.get(waitOptions(options, signal)),
    isOneOf<Empty | HandleClosed>(Empty, HandleClosed),
  );
}

/** Puts an item on `queue`, waiting for room when it has a `maxsize`; interruptible. */
function put<T>(
  queue: Queue<T>,
  item: T,
  options: EffectQueueOptions = {},
): Effect.Effect<void, Full | HandleClosed> {
  return fromAsync(
    (signal) => queue.put(item, waitOptions(options, signal)),
    isOneOf<Full | HandleClosed>(Full, HandleClosed),
  );
}

/** Waits until every item put on `queue` was marked done; false after the timeout. */
function join(queue: JoinableQueue, options: EffectWaitOptions = {}): Effect.Effect<boolean> {
  return fromAsync((signal) => queue.join({ ...options, signal }), never);
}

/** Sends a message on `connection`. */
function send<T>(
  connection: Connection<T>,
  message: T,
): Effect.Effect<void, BrokenPipeError | HandleClosed> {
  return fromAsync(
    () => connection.send(message),
    isOneOf<BrokenPipeError | HandleClosed>(BrokenPipeError, HandleClosed),
  );
}

/** Receives the next message on `connection`, waiting for one; interruptible. */
function recv<T>(connection: Connection<T>): Effect.Effect<T, EOFError | HandleClosed> {
  return fromAsync(
    (signal) => connection.recv({ signal }),
    isOneOf<EOFError | HandleClosed>(EOFError, HandleClosed),
  );
}

/** Whether `recv` would answer at once, waiting up to `timeout` ms; interruptible. */
function poll<T>(connection: Connection<T>, timeout = 0): Effect.Effect<boolean, HandleClosed> {
  return fromAsync(
    (signal) => connection.poll(timeout, { signal }),
    isOneOf<HandleClosed>(HandleClosed),
  );
}

/**
 * Takes a lock, a semaphore or a condition's lock; interruptible (an interrupted call
 * holds nothing).
 *
 * @returns True when taken; false after the timeout.
 */
function acquire(target: Acquirable, options: EffectAcquireOptions = {}): Effect.Effect<boolean> {
  return fromAsync(
    (signal) => target.acquireAsync({ ...options, signal }),
    never,
    (taken) => {
      if (taken) target.release();
    },
  );
}

/**
 * Runs `effect` holding `target` (waiting for it, interruptibly), and releases it
 * however `effect` ends.
 *
 * @example A shared counter under its lock
 * ```ts
 * import { Effect } from "effect";
 * import { IpcEffect } from "./ipc_effect.ts";
 * import { Value } from "./comms/value.ts";
 * import assert from "node:assert/strict";
 *
 * const counter = new Value("i32", 0);
 * const bump = IpcEffect.withLock(counter.getLock(), Effect.sync(() => counter.value += 1));
 * await Effect.runPromise(Effect.all([bump, bump, bump], { concurrency: "unbounded" }));
 * assert.equal(counter.value, 3);
 * ```
 */
function withLock<A, E, R>(
  target: Acquirable,
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R> {
  return Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      restore(acquire(target)),
      () => Effect.ensuring(restore(effect), Effect.sync(() => target.release())),
    )
  );
}

/** Waits for an event to be set; false after the timeout. */
function wait(target: Event, options?: EffectWaitOptions): Effect.Effect<boolean>;
/** Waits on a condition (its lock held); false after the timeout. */
function wait(target: Condition, options?: EffectWaitOptions): Effect.Effect<boolean>;
/** Waits at a barrier; the party's index, or `BrokenBarrierError`. */
function wait(
  target: Barrier,
  options?: EffectWaitOptions,
): Effect.Effect<number, BrokenBarrierError>;
/**
 * Waits until one of several pipe ends has something to read (or its other end
 * closed) or one of several started processes has ended, as Python's
 * `multiprocessing.connection.wait`; the ready ones, in the order given (`[]` after the
 * timeout).
 */
function wait<T extends Waitable>(
  objects: readonly T[],
  options?: EffectWaitOptions,
): Effect.Effect<T[]>;
/**
 * Waits on an `Event` (until set), a `Condition` (until notified), a `Barrier` (until
 * every party arrived), or a list of pipe ends and processes (until one is ready: see
 * `connection.wait`); interruptible.
 *
 * @example Waiting for an event with a timeout
 * ```ts
 * import { Effect } from "effect";
 * import { IpcEffect } from "./ipc_effect.ts";
 * import { Event } from "./comms/event.ts";
 * import assert from "node:assert/strict";
 *
 * const ready = new Event();
 * assert.equal(await Effect.runPromise(IpcEffect.wait(ready, { timeout: 5 })), false);
 * ready.set();
 * assert.equal(await Effect.runPromise(IpcEffect.wait(ready)), true);
 * ```
 */
function wait(
  target: Event | Condition | Barrier | readonly Waitable[],
  options: EffectWaitOptions = {},
): Effect.Effect<boolean | number | Waitable[], BrokenBarrierError> {
  if (Array.isArray(target)) {
    return fromAsync((signal) => connectionWait(target, options.timeout, { signal }), never);
  }
  if (target instanceof Barrier) {
    return fromAsync(
      (signal) => target.waitAsync({ ...options, signal }),
      isOneOf<BrokenBarrierError>(BrokenBarrierError),
    );
  }
  if (target instanceof Condition || target instanceof Event) {
    return fromAsync((signal) => target.waitAsync({ ...options, signal }), never);
  }
  return Effect.die(
    new TypeError(
      `Cannot wait on ${
        String(target)
      }: pass an Event, a Condition, a Barrier, or a list of Pipe ends and processes`,
    ),
  );
}

/** Waits on a condition until `predicate()` holds; its last value. */
function waitFor(
  condition: Condition,
  predicate: () => boolean,
  options: EffectWaitOptions = {},
): Effect.Effect<boolean> {
  return fromAsync((signal) => condition.waitForAsync(predicate, { ...options, signal }), never);
}

/**
 * The Effect face of `Queue`, `JoinableQueue`, `SimpleQueue`, `Pipe`, `Lock`, `RLock`,
 * `Semaphore`, `BoundedSemaphore`, `Event`, `Condition`, `Barrier` and
 * `connection.wait`: each waiting operation as an interruptible Effect (`Value` and
 * `Array` wait only for their lock: `withLock(value.getLock(), ...)`).
 *
 * @example Interrupting a blocked get
 * ```ts
 * import { Effect, Fiber } from "effect";
 * import { IpcEffect } from "./ipc_effect.ts";
 * import { Queue } from "./comms/queue.ts";
 * import assert from "node:assert/strict";
 *
 * const q = new Queue<number>();
 * await Effect.runPromise(Effect.gen(function* () {
 *   const fiber = yield* Effect.forkChild(IpcEffect.get(q));
 *   yield* Fiber.interrupt(fiber);
 * }));
 * await q.put(1);
 * assert.equal(q.qsize(), 1); // the interrupted get took nothing
 * ```
 */
export const IpcEffect = {
  get,
  put,
  join,
  send,
  recv,
  poll,
  acquire,
  withLock,
  wait,
  waitFor,
} as const;
