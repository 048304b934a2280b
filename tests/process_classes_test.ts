/**
 * `Process` subclasses, daemons, `close()` and `connection.wait` (issue 17.3, 17.4),
 * modelled on CPython's `_test_multiprocessing.py` (`test_subclassing`, daemon tests).
 */
import assert from "node:assert/strict";
import { connection, getContext, inline, Pipe, Process } from "../mod.ts";
import { liveWorkers } from "../lib/backend/web_worker.ts";
import { ParseError } from "./fixtures/error_classes.ts";
import {
  childTask,
  Counter,
  FailingParser,
  forever,
  startChild,
} from "./fixtures/process_classes.ts";

const BACKENDS = ["worker", "subprocess"] as const;
const FIXTURE = new URL("./fixtures/process_classes.ts", import.meta.url).pathname;

for (const backend of BACKENDS) {
  Deno.test(`${backend}: a subclass is constructed in its child with its state and run() there`, async () => {
    const p = new Counter({ from: 40, steps: 2, name: "counter", backend });
    assert.equal(p.from, 40);
    await p.start();
    assert.deepEqual(await p.join(), { total: 42, where: "counter" });
    assert.equal(p.exitCode, 0);
  });

  Deno.test(`${backend}: a subclass's run() error keeps its class`, async () => {
    const p = new FailingParser({ backend });
    await p.start();
    const error = await p.join().then(() => null, (e: unknown) => e);
    assert.ok(error instanceof ParseError, `got ${error}`);
    assert.equal(error.line, 11);
    assert.equal(p.exitCode, 1);
  });

  Deno.test(`${backend}: a daemonic process may not start children`, async () => {
    const daemon = new Process({ target: startChild, daemon: true, backend });
    assert.equal(daemon.daemon, true);
    await daemon.start();
    assert.match(String(await daemon.join()), /daemonic processes may not have children/);
    const parent = new Process({ target: startChild, backend });
    await parent.start();
    assert.equal(await parent.join(), "started");
  });
}

Deno.test("run() called here runs the target in this process, as Python's", () => {
  const p = new Process({ target: childTask });
  assert.equal(p.run(), 1);
  assert.equal(new Counter({ from: 1, steps: 0 }).from, 1);
});

Deno.test("ctx.Process is not taken for a subclass with run()", async () => {
  const ctx = getContext("worker");
  const p = new ctx.Process({ target: inline((x: number) => x + 1), args: [1] });
  await p.start();
  assert.equal(await p.join(), 2);
});

Deno.test("daemon is set before start() only", async () => {
  const p = new Process({ target: childTask });
  p.daemon = true;
  assert.equal(p.daemon, true);
  p.daemon = false;
  await p.start();
  assert.throws(() => (p.daemon = true), /after start\(\)/);
  await p.join();
});

Deno.test("close() refuses a running process, then start() and join() throw", async () => {
  const p = new Process({ target: forever });
  await p.start();
  assert.throws(() => p.close(), /still running/);
  p.terminate();
  await p.join();
  p.close();
  p.close();
  await assert.rejects(() => p.join(), /is closed/);
  await assert.rejects(() => p.start(), /is closed/);
  assert.equal(liveWorkers(), 0);
});

Deno.test("connection.wait gives whichever is ready first: a message, then an ended process", async () => {
  const [reader, writer] = Pipe<string>(false);
  const p = new Process({ target: forever });
  await p.start();
  assert.deepEqual(await connection.wait([reader, p], 0), []);
  const waiting = connection.wait([reader, p]);
  await writer.send("hi");
  assert.deepEqual(await waiting, [reader]);
  assert.equal(await reader.recv(), "hi");
  const ended = connection.wait([reader, p]);
  p.terminate();
  assert.deepEqual(await ended, [p]);
  assert.deepEqual(await connection.wait([reader], 10), []);
  writer.close();
  assert.deepEqual(await connection.wait([reader]), [reader]);
  reader.close();
  await p.join();
});

Deno.test("connection.wait refuses what it cannot watch", async () => {
  await assert.rejects(() => connection.wait([{} as never]), TypeError);
  await assert.rejects(() => connection.wait([new Process({ target: childTask })]), /before start/);
  await assert.rejects(() => connection.wait([], -1), RangeError);
});

async function runProgram(backend: string, mode: string): Promise<{ code: number; out: string }> {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", FIXTURE, backend, mode],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code, out: new TextDecoder().decode(stdout) };
}

for (const backend of BACKENDS) {
  Deno.test(`${backend}: a program whose main module is done waits for its non-daemon child`, async () => {
    const { code, out } = await runProgram(backend, "natural");
    assert.equal(code, 0);
    assert.deepEqual(out.trim().split("\n"), ["main done", "non-daemon finished"]);
  });

  Deno.test(`${backend}: a daemon child is terminated when its program exits`, async () => {
    const { code, out } = await runProgram(backend, "exit");
    assert.equal(code, 3);
    const lines = out.trim().split("\n");
    assert.deepEqual(lines.slice(1), ["non-daemon finished", "main exits"]);
    const pid = Number(lines[0]!.match(/daemon pid (\d+)/)?.[1]);
    if (backend === "subprocess") {
      // The daemon's OS process is gone (SIGTERM at exit), not orphaned.
      // (A container's init may leave it a zombie: exited, not yet reaped.)
      const state = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
      const running = state !== "" && state.slice(state.lastIndexOf(")") + 2)[0] !== "Z";
      assert.equal(running, false, `daemon process ${pid} outlived its program`);
    }
  });
}
