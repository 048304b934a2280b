/**
 * Bad arguments to the communication objects and the task helpers: each is refused at
 * once with a `TypeError` that names the argument and what to pass, not with whatever a
 * typed array or a destructuring happens to throw later (or nothing at all).
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Barrier,
  Condition,
  Event,
  fromModule,
  Lock,
  Pipe,
  Queue,
  RLock,
  Semaphore,
  SharedArray,
  task,
  Value,
} from "../mod.ts";

/** Asserts `make` throws a TypeError whose message is exactly `message`. */
function refuses(make: () => unknown, message: string): void {
  assert.throws(make, (error: unknown) => {
    assert.ok(error instanceof TypeError, `not a TypeError: ${error}`);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("shared values and arrays take bigints for 64-bit types and numbers for the rest", () => {
  refuses(
    () => new Value("q", 1 as never),
    "Cannot make a shared value as elements of type i64 are bigints: received number 1: pass 1n",
  );
  refuses(
    () => new Value("i32", "5" as never),
    `Cannot make a shared value as elements of type i32 are numbers: received string "5"`,
  );
  refuses(
    () => new Value("d", 1n as never),
    "Cannot make a shared value as elements of type f64 are numbers: received bigint 1",
  );
  const counter = new Value<bigint>("Q", 7n);
  refuses(() => {
    counter.value = 8 as never;
  }, "Cannot set a shared value as elements of type u64 are bigints: received number 8: pass 8n");
  assert.equal(counter.value, 7n, "a refused value leaves the old one");
  refuses(
    () => new SharedArray<bigint>("q", [1n, 2 as never]),
    "Cannot make a shared array as elements of type i64 are bigints: received number 2: pass 2n",
  );
  const numbers = new SharedArray("i", [1, 2]);
  refuses(
    () => numbers.set(0, null as never),
    "Cannot set an element as elements of type i32 are numbers: received object null",
  );
  assert.deepEqual(numbers.toArray(), [1, 2]);
  // The types still take what they hold.
  assert.equal(new Value<bigint>("q", -3n).value, -3n);
  assert.deepEqual(new SharedArray("f", [0.5]).toArray(), [0.5]);
});

Deno.test("Queue, Pipe and Condition refuse arguments of the wrong kind", () => {
  refuses(
    () => new Queue("8" as never),
    "Cannot make a queue as its options must be { maxsize } or the maxsize alone: received string",
  );
  refuses(
    () => new Queue(null as never),
    "Cannot make a queue as its options must be { maxsize } or the maxsize alone: received null",
  );
  refuses(
    () => Pipe("yes" as never),
    "Cannot make a pipe as 'duplex' must be a boolean: received string",
  );
  refuses(
    () => new Condition({} as never),
    "Cannot make a condition as 'lock' must be a Lock or an RLock: received object",
  );
  // What they do take.
  assert.equal(new Queue(2).maxsize, 2);
  const [a, b] = Pipe(false);
  a.close();
  b.close();
});

Deno.test("a lock, event, semaphore or barrier given memory that is not shared refuses it", () => {
  // The last argument is the library's own, for reviving in a worker: a number there
  // would make a lock that is not shared with anyone.
  const own = "its argument 'shared' is the library's own (the shared memory of one revived " +
    "in a worker): received";
  refuses(() => new Lock(1 as never), `Cannot make a lock as ${own} number`);
  refuses(() => new RLock(true as never), `Cannot make an RLock as ${own} boolean`);
  refuses(() => new Event(null as never), `Cannot make an event as ${own} null`);
  refuses(() => new Condition(undefined, 1 as never), `Cannot make a condition as ${own} number`);
  refuses(() => new Semaphore(1, 2 as never), `Cannot make a semaphore as ${own} number`);
  refuses(
    () => new Barrier(2, {}, new ArrayBuffer(8) as never),
    `Cannot make a barrier as ${own} object`,
  );
  assert.equal(new Lock().acquire({ blocking: false }), true);
});

Deno.test("task() and fromModule() need the module's URL and an export name", () => {
  const hint = `(import.meta.url, or new URL("./work.ts", import.meta.url))`;
  refuses(
    () => task(1 as never, (x: number) => x, "f"),
    `Cannot make a task as 'moduleUrl' must be the URL of the function's module ${hint}: ` +
      "received number",
  );
  refuses(
    () => task("./work.ts", (x: number) => x, "f"),
    `Cannot make a task as 'moduleUrl' must be the URL of the function's module ${hint}: ` +
      `received "./work.ts"`,
  );
  refuses(
    () => fromModule("work.ts", "f"),
    `Cannot refer to a task as 'moduleUrl' must be the URL of the function's module ${hint}: ` +
      `received "work.ts"`,
  );
  refuses(
    () => fromModule(new URL("file:///app/work.ts"), ""),
    "Cannot refer to a task as 'exportName' must be the export's name: received an empty string",
  );
  assert.equal(fromModule("file:///app/work.ts", "square").name, "square");
});
