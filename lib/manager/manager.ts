/**
 * `Manager`, as Python's `multiprocessing.Manager()`: a server that holds dicts, lists,
 * namespaces and values, and hands out proxies to them that any process may use, every
 * change visible to all. The server is a dedicated worker (Python's manager process);
 * proxies reach it through shared memory, so they cross into workers as a `Queue`
 * does, and a call is a round trip of a few microseconds, not a socket's.
 *
 * Python's managers also hand out proxies to queues and locks; here `manager.Queue()`,
 * `manager.Lock()` and the like give the library's own shared-memory objects, which
 * already work from any process and need no server.
 *
 * @module
 */
import { Barrier, type BarrierOptions } from "../comms/barrier.ts";
import { Condition } from "../comms/condition.ts";
import { Event } from "../comms/event.ts";
import { Lock, RLock } from "../comms/lock.ts";
import {
  CLOSED,
  DOORBELL,
  FREE_SEQ,
  ManagerChannel,
  SLOTS,
  stateCell,
} from "../comms/manager_channel.ts";
import {
  type DictKey,
  type DictProxy,
  type ListProxy,
  makeProxy,
  type ValueProxy,
} from "../comms/manager_proxies.ts";
import { JoinableQueue, Queue, type QueueOptions } from "../comms/queue.ts";
import { BoundedSemaphore, Semaphore } from "../comms/semaphore.ts";

const SERVER = new URL("../comms/manager_server.ts", import.meta.url).href;
/** The server's own object id (see `manager_server.ts`). */
const ROOT = 0;

/**
 * A manager: shared dicts, lists, namespaces and values behind proxies, as Python's
 * `multiprocessing.Manager()`. Start it with `await using manager = await
 * Manager.start()` (Python's `with Manager() as manager:`); the block's end shuts it
 * down. Pass its proxies to a `Process` or a pool task as arguments.
 *
 * @example Four processes fill one list
 * ```ts
 * import { inline, Manager, Pool } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const record = inline((list: { append(x: number): void }, x: number) => list.append(x * x));
 *
 * await using manager = await Manager.start();
 * const squares = manager.list<number>();
 * await using pool = await Pool.open({ processes: 2 });
 * await pool.starmap(record, [[squares, 1], [squares, 2], [squares, 3], [squares, 4]]);
 * assert.deepEqual(squares.toArray().sort(), [1, 16, 4, 9].sort());
 * ```
 */
export class Manager implements AsyncDisposable {
  readonly #channel: ManagerChannel;
  readonly #worker: Worker;
  #shutDown = false;

  /** Made by `Manager.start` (or the Effect face's subclass): not called directly. */
  protected constructor(channel: ManagerChannel, worker: Worker) {
    this.#channel = channel;
    this.#worker = worker;
  }

  /**
   * Starts a manager: its server worker, ready when the Promise resolves.
   *
   * @returns The running manager.
   * @throws {Error} The server worker could not start.
   *
   * @example
   * ```ts
   * import { Manager } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * assert.equal(manager.running, true);
   * ```
   */
  static start(): Promise<Manager> {
    const channel = ManagerChannel.create();
    const worker = new Worker(SERVER, { type: "module", name: "SyncManager" });
    return new Promise((resolve, reject) => {
      let started = false;
      worker.onmessage = () => {
        started = true;
        worker.onmessage = null;
        resolve(new Manager(channel, worker));
      };
      // The server catches every error of a call; one here means the worker itself died.
      worker.onerror = (event) => {
        event.preventDefault();
        close(channel);
        worker.terminate();
        if (!started) {
          reject(new Error(`Cannot start the manager's server: ${event.message}`));
        }
      };
      worker.postMessage(channel.data);
    });
  }

  /** Whether the manager still serves (false after `shutdown()`). */
  get running(): boolean {
    return !this.#shutDown && !this.#channel.closed;
  }

  /**
   * A shared dict (Python's `manager.dict()`), from pairs, a `Map` or a plain object.
   *
   * @typeParam K The keys: primitives (they are compared by value).
   * @typeParam V The values: structured-clone data.
   */
  dict<K extends DictKey = string, V = unknown>(
    initial: Iterable<readonly [K, V]> | Record<string, V> = [],
  ): DictProxy<K, V> {
    const entries = Symbol.iterator in initial
      ? [...(initial as Iterable<readonly [K, V]>)]
      : Object.entries(initial);
    return makeProxy("dict", this.#channel, this.#create("dict", entries)) as DictProxy<K, V>;
  }

  /**
   * A shared list (Python's `manager.list()`).
   *
   * @typeParam T The items: structured-clone data.
   */
  list<T = unknown>(initial: Iterable<T> = []): ListProxy<T> {
    return makeProxy("list", this.#channel, this.#create("list", [...initial])) as ListProxy<T>;
  }

  /**
   * A shared namespace (Python's `manager.Namespace()`): an object whose attributes
   * live in the manager (`ns.x = 1` in one process, `ns.x` in another).
   *
   * @typeParam T The attributes' types.
   */
  Namespace<T extends object = Record<string, unknown>>(initial: Partial<T> = {}): T {
    return makeProxy(
      "namespace",
      this.#channel,
      this.#create("namespace", Object.entries(initial)),
    ) as T;
  }

  /**
   * A shared value (Python's `manager.Value(typecode, value)`): any structured-clone
   * value; the type code is accepted for Python's sake and not checked.
   *
   * @typeParam T The value.
   */
  Value<T>(typecode: string, value: T): ValueProxy<T> {
    if (typeof typecode !== "string") {
      throw new TypeError(
        `Cannot make a manager Value as 'typecode' must be a string (Python's 'i', 'd', ...): ` +
          `received ${typeof typecode}`,
      );
    }
    return makeProxy("value", this.#channel, this.#create("value", value)) as ValueProxy<T>;
  }

  /** A queue any process may use (the library's shared-memory `Queue`). */
  Queue<T = unknown>(options: QueueOptions | number = {}): Queue<T> {
    return new Queue<T>(options);
  }

  /** A joinable queue (the library's `JoinableQueue`). */
  JoinableQueue<T = unknown>(options: QueueOptions | number = {}): JoinableQueue<T> {
    return new JoinableQueue<T>(options);
  }

  /** A lock (the library's shared-memory `Lock`). */
  Lock(): Lock {
    return new Lock();
  }

  /** A reentrant lock (the library's `RLock`). */
  RLock(): RLock {
    return new RLock();
  }

  /** A semaphore (the library's `Semaphore`). */
  Semaphore(value = 1): Semaphore {
    return new Semaphore(value);
  }

  /** A bounded semaphore (the library's `BoundedSemaphore`). */
  BoundedSemaphore(value = 1): BoundedSemaphore {
    return new BoundedSemaphore(value);
  }

  /** A condition variable (the library's `Condition`). */
  Condition(lock?: Lock | RLock): Condition {
    return new Condition(lock);
  }

  /** An event (the library's `Event`). */
  Event(): Event {
    return new Event();
  }

  /** A barrier (the library's `Barrier`). */
  Barrier(parties: number, options: BarrierOptions = {}): Barrier {
    return new Barrier(parties, options);
  }

  /**
   * Stops the server: its objects are gone, and every later call through a proxy, in
   * any process, fails with `ManagerClosed` (calls waiting now fail too). Calling it
   * again does nothing.
   */
  shutdown(): void {
    if (this.#shutDown) return;
    this.#shutDown = true;
    close(this.#channel);
    this.#worker.terminate();
  }

  /** `await using` shuts the manager down, as Python's `with Manager()` does. */
  [Symbol.asyncDispose](): Promise<void> {
    this.shutdown();
    return Promise.resolve();
  }

  #create(kind: "dict" | "list" | "namespace" | "value", initial: unknown): number {
    return this.#channel.call(ROOT, "create", [kind, initial], kind) as number;
  }
}

/** Marks the channel closed and wakes the server and every waiting caller. */
function close(channel: ManagerChannel): void {
  const ctl = channel.ctl;
  Atomics.store(ctl, CLOSED, 1);
  Atomics.add(ctl, DOORBELL, 1);
  Atomics.notify(ctl, DOORBELL);
  Atomics.add(ctl, FREE_SEQ, 1);
  Atomics.notify(ctl, FREE_SEQ);
  for (let slot = 0; slot < SLOTS; slot++) Atomics.notify(ctl, stateCell(slot));
  channel.forget();
}
