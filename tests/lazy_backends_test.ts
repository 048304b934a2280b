/**
 * The engine and the backends load with a program's first pool or process, not with
 * `mod.ts`: a worker whose task module imports `mod.ts` does not load them. And what a
 * pool loads then starts no Node compatibility (no `node:` module: about 30 ms and
 * 7 MiB), which only the subprocess and cluster backends use, on their first message.
 * Checked on the module graph Deno loads eagerly, and on what a fresh program's first
 * `Process` does while they load.
 *
 * @module
 */
import assert from "node:assert/strict";
import { eagerGraph as eagerGraphOf } from "./_eager_graph.ts";
import { denoRun } from "./_deno_run.ts";

/** The modules `path` (relative to this file) loads eagerly. */
function eagerGraph(path: string): Promise<string[]> {
  return eagerGraphOf(new URL(path, import.meta.url).pathname);
}

Deno.test("mod.ts loads no engine, backend or cluster endpoint until a pool opens", async () => {
  const graph = await eagerGraph("../mod.ts");
  assert.ok(graph.some((s) => s.endsWith("/lib/pool.ts")), "mod.ts no longer loads Pool");
  const heavy = graph.filter((s) =>
    /\/lib\/(engine\w*|dispatch|worker_slot)\.ts$|\/lib\/backend\/|\/lib\/cluster\/endpoint\.ts$/
      .test(s) || s.startsWith("node:")
  );
  assert.deepEqual(heavy, []);
});

Deno.test("opening a pool loads no node: module (the engine and every backend, eagerly)", async () => {
  const graph = await eagerGraph("../lib/engine.ts");
  assert.ok(
    graph.some((s) => s.endsWith("/lib/backend/subprocess.ts")),
    "the graph lost a backend",
  );
  assert.deepEqual(graph.filter((s) => s.startsWith("node:")), []);
});

Deno.test("a program's first Process loads the backends on start() and behaves as before", async () => {
  const ran = await denoRun([
    "--unstable-worker-options",
    new URL("./fixtures/first_process.ts", import.meta.url).pathname,
  ]);
  assert.ok(ran.success, ran.stderr);
  assert.deepEqual(JSON.parse(ran.stdout), {
    second: "Cannot start process 'Process-1' twice: make a new Process",
    joined: 9,
    pool: [16],
  });
});
