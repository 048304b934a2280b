/**
 * What a worker loads for the quickstart's shape: a task module that imports `mod.ts`
 * must bring no Effect module into the worker (Effect lives behind
 * `@multiprocessing/deno/effect`). Checked on the module graph Deno loads eagerly: the
 * static imports that carry code, not type-only imports nor dynamic `import()`s. And the
 * quickstart, run whole, never starts Deno's Node compatibility layer (20–30 ms and
 * 5–7 MiB): checked by watching the globals that start it (`fixtures/node_layer_watch.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { eagerGraph as eagerGraphOf } from "./_eager_graph.ts";
import { denoRun } from "./_deno_run.ts";
import { square } from "./fixtures/quickstart_shape.ts";

/** The modules `path` (relative to this file) loads eagerly. */
function eagerGraph(path: string): Promise<string[]> {
  return eagerGraphOf(new URL(path, import.meta.url).pathname);
}

const isEffect = (specifier: string) => /^npm:\/?(@effect\/|effect@)/.test(specifier);

Deno.test("a quickstart-shaped task module (it imports mod.ts) loads no Effect module", async () => {
  const graph = await eagerGraph("./fixtures/quickstart_shape.ts");
  assert.ok(graph.some((s) => s.endsWith("/mod.ts")), "the fixture no longer imports mod.ts");
  assert.deepEqual(graph.filter(isEffect), []);
});

Deno.test("the worker's own entry loads no Effect module", async () => {
  assert.deepEqual((await eagerGraph("../lib/worker/entry.ts")).filter(isEffect), []);
});

Deno.test("the Effect entry does load Effect (the check above can see it)", async () => {
  assert.ok((await eagerGraph("../lib/effect.ts")).some(isEffect));
});

Deno.test("the quickstart, run whole, reads no timer or other global that starts Node's layer", async () => {
  const ran = await denoRun([
    `--preload=${new URL("./fixtures/node_layer_watch.ts", import.meta.url).pathname}`,
    new URL("./fixtures/quickstart_shape.ts", import.meta.url).pathname,
  ]);
  assert.ok(ran.success, ran.stderr);
  assert.equal(ran.stdout, "[ 1, 4, 9, 16, 25 ]\n");
  assert.match(ran.stderr, /^node-layer-globals: \[\]$/m);
});

Deno.test("the quickstart shape runs: workers import the module and find the function", async () => {
  await using pool = await Pool.open({ processes: 2 });
  assert.deepEqual(await pool.map(square, [1, 2, 3, 4, 5]), [1, 4, 9, 16, 25]);
});
