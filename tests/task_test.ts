import assert from "node:assert/strict";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { Pool, Process, type ResultOf } from "../mod.ts";
import { fromModule, inline, task, taskRef } from "../lib/task.ts";
import { TaskError, TaskNotFound } from "../lib/errors.ts";
import { square } from "./fixtures/tasks.ts";
import { cube, halve } from "./fixtures/process_tasks.ts";
// Re-exports, reached as a user would. Namespaces are searched in the order they are
// imported: the decoy module comes before the one whose `shadowed` a test sends.
import * as Direct from "./fixtures/reexport_direct.ts";
import * as Named from "./fixtures/reexport_named.ts";
import * as Star from "./fixtures/reexport_star.ts";
import * as Chain from "./fixtures/reexport_chain.ts";
import * as ImportExport from "./fixtures/reexport_import_export.ts";
import * as NsRe from "./fixtures/reexport_namespace.ts";
import { squared } from "./fixtures/reexport_renamed.ts";
import starDefault from "./fixtures/reexport_star_origin.ts";

const PROCESS_TASKS = new URL("./fixtures/process_tasks.ts", import.meta.url);

/** Exported from this test module: the call site itself is searched. */
export function tripleHere(x: number): number {
  return 3 * x;
}

/** Exported from this test module, sent with the explicit `task(import.meta.url, fn)`. */
export function negateHere(x: number): number {
  return -x;
}

/** Runs `target(...args)` in a new Process and gives its result. */
async function runInProcess<F extends (...args: never[]) => unknown>(
  target: F,
  args: Parameters<F>,
): Promise<ResultOf<F> | undefined> {
  const p = new Process({ target, args });
  await p.start();
  try {
    return await p.join();
  } finally {
    p.terminate();
  }
}

Deno.test("a function exported from the calling module is found", async () => {
  assert.equal(await runInProcess(tripleHere, [7]), 21);
  await assertNoLiveWorkers();
});

Deno.test("a function imported from a fixture module is found in that module", async () => {
  assert.equal(await runInProcess(cube, [3]), 27);
  assert.equal(await runInProcess(square, [5]), 25);
  await assertNoLiveWorkers();
});

Deno.test("task(import.meta.url, fn) names the module explicitly", async () => {
  assert.equal(task(import.meta.url, negateHere), negateHere);
  assert.equal(await runInProcess(negateHere, [4]), -4);
  await assertNoLiveWorkers();
});

Deno.test("task(url, fn, exportName) finds a function exported under another name", async () => {
  // `halve` is the export, `half` the function's own name: the search cannot see it.
  assert.equal(halve.name, "half");
  const p = new Process({ target: task(PROCESS_TASKS, halve, "halve"), args: [10] });
  await p.start();
  assert.equal(await p.join(), 5);
  await assertNoLiveWorkers();
});

Deno.test("fromModule(url, name) runs the export in the worker", async () => {
  const increment = fromModule<(x: number) => number>(PROCESS_TASKS, "increment");
  assert.throws(() => increment(1), /runs only inside a worker/);
  assert.equal(await runInProcess(increment, [41]), 42);
  await assertNoLiveWorkers();
});

Deno.test("inline(fn) runs a self-contained arrow function in the worker", async () => {
  const addOne = inline((x: number) => x + 1);
  assert.equal(addOne(1), 2);
  assert.equal(await runInProcess(addOne, [99]), 100);
  await assertNoLiveWorkers();
});

Deno.test("inline(fn) that reads an outer variable fails with TaskError saying to export it", async () => {
  const offset = 10;
  const addOffset = inline((x: number) => x + offset);
  assert.equal(addOffset(1), 11);
  const p = new Process({ target: addOffset, args: [1] });
  await p.start();
  const error = await p.join().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TaskError, `expected TaskError, got ${error}`);
  assert.equal(error._tag, "TaskError");
  assert.equal(error.remoteName, "ReferenceError");
  assert.match(error.message, /offset/);
  assert.match(error.message, /export it from its module/);
  assert.equal(p.exitCode, 1);
  await assertNoLiveWorkers();
});

function notExported(x: number): number {
  return x * 2;
}

Deno.test("Process.start() rejects a non-exported function with TaskNotFound before a worker starts", async () => {
  const p = new Process({ target: notExported, args: [1] });
  const error = await p.start().then(() => null, (e: unknown) => e);
  await assertNoLiveWorkers();
  assert.equal(p.isAlive(), false);
  assert.equal(p.pid, null);
  assert.ok(error instanceof TaskNotFound, `expected TaskNotFound, got ${error}`);
  assert.equal(error._tag, "TaskNotFound");
  assert.equal(error.task, "notExported");
  assert.match(error.message, /'notExported'/);
  assert.match(error.message, /Export it/);
  assert.ok(error.message.includes("task(import.meta.url"), error.message);
  assert.ok(error.message.includes("inline(fn)"), error.message);
});

Deno.test("Pool.apply() rejects a non-exported function with TaskNotFound and the pool still works", async () => {
  {
    await using pool = await Pool.open({ processes: 1 });
    const error = await pool.apply(notExported, [1]).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof TaskNotFound, `expected TaskNotFound, got ${error}`);
    assert.equal(error.task, "notExported");
    assert.match(error.message, /Export it/);
    assert.equal(pool.stats.completed, 0);
    assert.equal(await pool.apply(square, [6]), 36);
  }
  await assertNoLiveWorkers();
});

Deno.test("the worker refuses an export whose source differs from the function sent", async () => {
  const impostor = task(PROCESS_TASKS, (x: number) => x * x * x + 1, "cube");
  const p = new Process({ target: impostor, args: [2] });
  await p.start();
  const error = await p.join().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TaskNotFound, `expected TaskNotFound, got ${error}`);
  assert.equal(error._tag, "TaskNotFound");
  assert.match(error.message, /source differs/);
  assert.match(error.message, /'cube'/);
  await assertNoLiveWorkers();
});

const FIXTURES = new URL("./fixtures/", import.meta.url).href;

/** The module and export the search found for `fn`, called from this module. */
function foundAs(fn: (...args: never[]) => unknown): { module: string; export: string } {
  const ref = taskRef(fn, () => import.meta.url);
  assert.equal(ref.kind, "export");
  const { module, export: name } = ref as { module: string; export: string };
  return { module: module.slice(FIXTURES.length), export: name };
}

Deno.test("a function re-exported by name (export { f } from) is found through a namespace import", async () => {
  assert.deepEqual(foundAs(Named.nsDouble), { module: "reexport_named.ts", export: "nsDouble" });
  assert.equal(await runInProcess(Named.nsDouble, [4]), 8);
  // `export { default } from`: the namespace's default is the origin's default function.
  assert.deepEqual(foundAs(Named.default), { module: "reexport_named.ts", export: "default" });
  assert.equal(await runInProcess(Named.default, [10]), 5);
  await assertNoLiveWorkers();
});

Deno.test("a function re-exported with export * from is found through a namespace import", async () => {
  assert.deepEqual(foundAs(Star.starTriple), { module: "reexport_star.ts", export: "starTriple" });
  {
    await using pool = await Pool.open({ processes: 1 });
    assert.deepEqual(await pool.map(Star.starTriple, [1, 2, 3]), [3, 6, 9]);
  }
  await assertNoLiveWorkers();
});

Deno.test("a chain of re-exports that renames the function (export * of export { f as g } from) is followed", async () => {
  assert.equal(Chain.negated.name, "chainNegate");
  assert.deepEqual(foundAs(Chain.negated), { module: "reexport_chain.ts", export: "negated" });
  assert.equal(await runInProcess(Chain.negated, [5]), -5);
  await assertNoLiveWorkers();
});

Deno.test("a function in a namespace re-exported whole (export * as ns from) is found in its module", async () => {
  assert.deepEqual(foundAs(NsRe.origin.nsCube), { module: "reexport_origin.ts", export: "nsCube" });
  assert.equal(await runInProcess(NsRe.origin.nsCube, [2]), 8);
  await assertNoLiveWorkers();
});

Deno.test("a function imported and exported again under another name (no from) is still found through a namespace", async () => {
  assert.deepEqual(foundAs(ImportExport.viaImport), {
    module: "reexport_import_export.ts",
    export: "viaImport",
  });
  assert.equal(await runInProcess(ImportExport.viaImport, [1]), 2);
  await assertNoLiveWorkers();
});

Deno.test("a named import of a function re-exported under another name (export { f as g } from) is found", async () => {
  assert.equal(squared.name, "renamedSquare");
  assert.deepEqual(foundAs(squared), { module: "reexport_renamed.ts", export: "squared" });
  assert.equal(await runInProcess(squared, [6]), 36);
  await assertNoLiveWorkers();
});

Deno.test("the forms that need no re-export still work: namespace, namespace default, default import", async () => {
  assert.deepEqual(foundAs(Direct.directCube), {
    module: "reexport_direct.ts",
    export: "directCube",
  });
  assert.equal(await runInProcess(Direct.directCube, [2]), 8);
  assert.deepEqual(foundAs(Direct.default), { module: "reexport_direct.ts", export: "default" });
  assert.equal(await runInProcess(Direct.default, [3]), 30);
  assert.deepEqual(foundAs(starDefault), { module: "reexport_star_origin.ts", export: "default" });
  assert.equal(await runInProcess(starDefault, [5]), 4);
  await assertNoLiveWorkers();
});

Deno.test("the worker still checks the source: a same-named function met first through a namespace is refused", async () => {
  // `Direct` is searched before `NsRe` and declares its own `shadowed`: the search picks
  // it, and the worker, comparing sources, refuses to run it in place of this one.
  assert.deepEqual(foundAs(NsRe.origin.shadowed), {
    module: "reexport_direct.ts",
    export: "shadowed",
  });
  const p = new Process({ target: NsRe.origin.shadowed, args: [1] });
  await p.start();
  const error = await p.join().then(() => null, (e: unknown) => e);
  assert.ok(error instanceof TaskNotFound, `expected TaskNotFound, got ${error}`);
  assert.match(error.message, /source differs/);
  assert.match(error.message, /'shadowed'/);
  await assertNoLiveWorkers();
});
