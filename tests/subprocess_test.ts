/**
 * The subprocess backend: real OS processes, stopped by signals while busy, with their
 * own exit codes, heap limits and permission flags, and none left behind.
 */
import assert from "node:assert/strict";
import {
  Pool,
  Process,
  Queue,
  SerializationError,
  TaskError,
  TaskTimeout,
  WorkerCrashed,
} from "../mod.ts";
import { liveSubprocesses, subprocessesExited } from "../lib/backend/subprocess.ts";
import {
  add,
  echo,
  exitWith,
  hogMemory,
  markThenSpin,
  readFile,
  spinForever,
  waitOrCancel,
  whoAmI,
} from "./fixtures/subprocess_tasks.ts";

const backend = "subprocess" as const;

/** Every test ends with no child process alive. */
async function noChildLeft(): Promise<void> {
  await subprocessesExited();
  assert.equal(liveSubprocesses(), 0);
}

/** Waits (polling) until `path` exists: the task started. */
async function started(path: string): Promise<void> {
  while (true) {
    try {
      Deno.statSync(path);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

Deno.test("Process.terminate() stops a busy subprocess with exit code -15", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const p = new Process({ target: markThenSpin, args: [marker], backend });
  await p.start();
  await started(marker);
  p.terminate();
  assert.equal(await p.join(), undefined);
  assert.equal(p.exitCode, -15);
  assert.equal(p.isAlive(), false);
  const next = new Process({ target: add, args: [2, 3], backend });
  await next.start();
  assert.equal(await next.join(), 5);
  assert.equal(next.exitCode, 0);
  await Deno.remove(marker);
  await noChildLeft();
});

Deno.test("Process.kill() stops a busy subprocess with exit code -9", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const p = new Process({ target: markThenSpin, args: [marker], backend });
  await p.start();
  await started(marker);
  p.kill();
  await p.join();
  assert.equal(p.exitCode, -9);
  await Deno.remove(marker);
  await noChildLeft();
});

Deno.test("a pool worker killed by SIGTERM or SIGKILL fails its task and is replaced", async () => {
  const marker = await Deno.makeTempFile();
  {
    await using pool = await Pool.open({ processes: 1, backend });
    for (const [signal, code] of [["SIGTERM", -15], ["SIGKILL", -9]] as const) {
      await Deno.remove(marker);
      const call = pool.apply(markThenSpin, [marker]);
      await started(marker);
      Deno.kill(Number(Deno.readTextFileSync(marker)), signal);
      const error = await call.then(() => null, (error) => error);
      assert.ok(error instanceof WorkerCrashed, String(error));
      assert.equal(error.exitCode, code);
      assert.match(error.message, new RegExp(`killed by ${signal}`));
      assert.equal(await pool.apply(add, [1, 1]), 2);
    }
    assert.equal(pool.stats.replaced, 2);
  }
  await Deno.remove(marker);
  await noChildLeft();
});

Deno.test("a task timeout kills a busy subprocess and the pool goes on", async () => {
  {
    await using pool = await Pool.open({ processes: 1, backend });
    const error = await pool.apply(spinForever, [], { timeout: 300 }).catch((e) => e);
    assert.ok(error instanceof TaskTimeout, String(error));
    assert.equal(await pool.apply(add, [20, 22]), 42);
    assert.equal(pool.stats.replaced, 1);
    assert.equal(pool.stats.stuck, 0);
  }
  await noChildLeft();
});

Deno.test("cancelling a busy task kills its subprocess and the pool goes on", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  let pid = 0;
  {
    await using pool = await Pool.open({ processes: 1, backend });
    const controller = new AbortController();
    const call = pool.apply(markThenSpin, [marker], { signal: controller.signal });
    await started(marker);
    pid = Number(Deno.readTextFileSync(marker));
    controller.abort(new Error("stop"));
    await assert.rejects(call, /stop/);
    assert.equal(await pool.apply(add, [1, 2]), 3);
    assert.equal(pool.stats.replaced, 1);
  }
  // The pool's children have all exited by now, the cancelled one included.
  assert.equal(alive(pid), false);
  await Deno.remove(marker);
  await noChildLeft();
});

Deno.test("cancelling an async task aborts its signal in the subprocess", async () => {
  {
    await using pool = await Pool.open({ processes: 1, backend });
    const controller = new AbortController();
    const call = pool.apply(waitOrCancel, [60_000], { signal: controller.signal });
    while (pool.stats.running === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("cancelled"));
    await assert.rejects(call, /cancelled/);
    assert.equal(await pool.apply(add, [2, 2]), 4);
  }
  await noChildLeft();
});

Deno.test("a subprocess over its maxHeapMB fails with WorkerCrashed and the pool lives on", async () => {
  {
    await using pool = await Pool.open({ processes: 1, backend, maxHeapMB: 32 });
    const error = await pool.apply(hogMemory, []).catch((e) => e);
    assert.ok(error instanceof WorkerCrashed, String(error));
    assert.match(error.message, /ran out of memory \(maxHeapMB: 32\)/);
    assert.equal(await pool.apply(add, [3, 4]), 7);
  }
  await noChildLeft();
});

Deno.test("maxHeapMB needs the subprocess backend", async () => {
  assert.throws(() => new Process({ target: add, maxHeapMB: 32 }), TypeError);
  await assert.rejects(() => Pool.open({ maxHeapMB: 0, backend }), RangeError);
  assert.throws(
    () => new Process({ target: add, backend: "thread" as "worker" }),
    /'backend' must be "worker" or "subprocess"/,
  );
});

Deno.test("a subprocess calling Deno.exit(3) reports exit code 3", async () => {
  const p = new Process({ target: exitWith, args: [3], backend });
  await p.start();
  const error = await p.join().catch((e) => e);
  assert.ok(error instanceof WorkerCrashed);
  assert.equal(p.exitCode, 3);
  {
    await using pool = await Pool.open({ processes: 1, backend });
    const crash = await pool.apply(exitWith, [3]).catch((e) => e);
    assert.ok(crash instanceof WorkerCrashed);
    assert.equal(crash.exitCode, 3);
    assert.equal(await pool.apply(add, [1, 0]), 1);
  }
  await noChildLeft();
});

Deno.test("values of every structured-clone kind round-trip through a subprocess", async () => {
  const inner = new TypeError("inner");
  const value = {
    map: new Map<unknown, unknown>([["a", 1], [2, new Set([3n])]]),
    set: new Set(["x", { y: [1, 2] }]),
    date: new Date(1_700_000_000_000),
    big: 2n ** 80n,
    bytes: new Uint8Array([1, 2, 3]),
    floats: new Float64Array([1.5, -0, NaN]),
    view: new DataView(new Uint8Array([9, 8]).buffer),
    buffer: new Uint16Array([7, 7]).buffer,
    regexp: /a+b/gi,
    error: new RangeError("outer", { cause: inner }),
    nested: [[{ deep: [undefined, null, "s", true, -Infinity] }]],
    boxed: [new String("s"), new Number(1), new Boolean(false)],
  };
  {
    await using pool = await Pool.open({ processes: 1, backend });
    const back = await pool.apply(echo, [value]) as typeof value;
    assert.deepEqual(back, value);
    assert.ok(back.error instanceof RangeError);
    assert.ok(back.error.cause instanceof TypeError);
    assert.equal((back.error.cause as Error).message, "inner");
    assert.ok(back.map.get(2) instanceof Set);
    assert.equal(back.big, 2n ** 80n);
  }
  await noChildLeft();
});

Deno.test("a subprocess knows its own name and OS pid", async () => {
  {
    await using pool = await Pool.open({ processes: 1, backend, name: "Sub" });
    const me = await pool.apply(whoAmI, []);
    assert.equal(me.name, "Sub-1");
    assert.equal(me.pid, me.osPid);
    assert.equal(me.ppid, Deno.pid);
  }
  const p = new Process({ target: whoAmI, backend });
  await p.start();
  const me = await p.join();
  assert.equal(me?.osPid, p.pid);
  await noChildLeft();
});

Deno.test("a sandboxed subprocess is denied a read it was not granted", async () => {
  const secret = await Deno.makeTempFile();
  await Deno.writeTextFile(secret, "secret");
  {
    await using pool = await Pool.open({ processes: 1, backend, permissions: "none" });
    const error = await pool.apply(readFile, [secret]).catch((e) => e);
    assert.ok(error instanceof TaskError, String(error));
    assert.equal(error.remoteName, "NotCapable");
  }
  {
    await using pool = await Pool.open({ processes: 1, backend, permissions: { read: [secret] } });
    assert.equal(await pool.apply(readFile, [secret]), "secret");
    // A second task module, first seen now, restarts the child once: it still works.
    assert.equal(await pool.apply(add, [1, 1]), 2);
  }
  const p = new Process({ target: readFile, args: [secret], backend, permissions: "none" });
  await p.start();
  await assert.rejects(p.join(), (error) => error instanceof TaskError);
  await Deno.remove(secret);
  await noChildLeft();
});

Deno.test("communication objects are refused by the subprocess backend, naming it", async () => {
  const queue = new Queue<number>();
  {
    await using pool = await Pool.open({ processes: 1, backend });
    const error = await pool.apply(echo, [queue]).catch((e) => e);
    assert.ok(error instanceof SerializationError, String(error));
    assert.match(error.message, /"subprocess" backend/);
  }
  const p = new Process({ target: echo, args: [queue], backend });
  await assert.rejects(p.start(), /"subprocess" backend/);
  await noChildLeft();
});

Deno.test("no subprocess outlives a parent killed with SIGKILL", async () => {
  const parent = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./fixtures/subprocess_parent.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const pids = JSON.parse(text) as number[];
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive));
  parent.kill("SIGKILL");
  assert.equal((await parent.status).signal, "SIGKILL");
  await reader.cancel();
  // The children notice at once (their stdin closes); give them a bounded while.
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(pids.filter(alive), []);
});
