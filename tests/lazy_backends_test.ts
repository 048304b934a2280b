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
import { eagerGraph as eagerGraphOf, readGraph } from "./_eager_graph.ts";
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

Deno.test("mod.ts and cli.ts read nothing at start that they do not run (no literal import())", async () => {
  // Deno reads the graph of a literal `import()` with its importer; lazy parts load
  // through `loadLater` (lib/load_later.ts) instead. Checked: a literal import of the
  // pool's implementation in lib/pool.ts makes mod.ts read 38 more modules (54 → 92).
  for (const entry of ["../mod.ts", "../cli.ts"]) {
    const eager = new Set(await eagerGraph(entry));
    const read = await readGraph(new URL(entry, import.meta.url).pathname);
    const extra = read.filter((s) => !eager.has(s));
    assert.deepEqual(extra, [], `${entry} reads modules it does not run`);
  }
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

Deno.test("a program's first Pool.open finds its initializer in the module that called it", async () => {
  // The first open waits for the pool's implementation to load; the caller's module must
  // be read before that wait, while its frames are on the stack.
  const ran = await denoRun([
    "--unstable-worker-options",
    new URL("./fixtures/first_pool.ts", import.meta.url).pathname,
  ]);
  assert.ok(ran.success, ran.stderr);
  assert.equal(ran.stdout.trim(), "hello");
});
