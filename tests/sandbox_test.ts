/**
 * Permission sandboxes: pools and processes whose workers can do less than the
 * program. For each of read, write, net, env and run, a sandbox that denies it refuses
 * with a `TaskError` naming the permission, and one that allows it (or a listed path,
 * host, variable or command) succeeds; the worker and the program stay healthy. Opening
 * a sandbox that asks for more than the program has, or without
 * `--unstable-worker-options`, fails before any worker starts (checked in
 * subprocesses started with fewer permissions or without the flag).
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { fromModule, Pool, Process, TaskError, WorkerCrashed } from "../mod.ts";
import { toDenoPermissions, validatePermissions } from "../lib/permissions.ts";
import {
  countInit,
  envValue,
  fetchStatus,
  hostname,
  initCount,
  readText,
  runCommand,
  square,
  workerName,
  writeText,
} from "./fixtures/sandbox_tasks.ts";
import { homeLength } from "./fixtures/sandbox_toplevel.ts";
import { increment } from "./fixtures/pool_tasks.ts";

const ROOT = new URL("..", import.meta.url);

/** Asserts `error` is a task's permission refusal naming `permission`. */
function assertRefused(error: unknown, permission: string): true {
  assert.ok(error instanceof TaskError, `expected a TaskError, got ${error}`);
  assert.equal(error.remoteName, "NotCapable");
  assert.match(error.message, new RegExp(`Requires ${permission} access`));
  return true;
}

/** A temporary folder with one file, removed by `using`. */
function scratch(): { dir: string; file: string; [Symbol.dispose](): void } {
  const dir = Deno.makeTempDirSync({ prefix: "sandbox_test_" });
  const file = `${dir}/secret.txt`;
  Deno.writeTextFileSync(file, "secret");
  return { dir, file, [Symbol.dispose]: () => Deno.removeSync(dir, { recursive: true }) };
}

/**
 * Runs `code` as a script in a new Deno process with `flags` (plus read access to the
 * script), from the repository's root and with its configuration. (`deno eval` would
 * not do: it grants every permission.)
 */
async function runScript(flags: string[], code: string): Promise<{
  code: number;
  out: string;
  err: string;
}> {
  const dir = Deno.makeTempDirSync({ prefix: "sandbox_script_" });
  try {
    const script = `${dir}/script.ts`;
    Deno.writeTextFileSync(script, code.replaceAll("ROOT/", ROOT.href));
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--config=${new URL("deno.json", ROOT).pathname}`, ...flags, script],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      out: decoder.decode(output.stdout),
      err: decoder.decode(output.stderr),
    };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("a 'none' pool refuses a read, keeps serving, and the program still reads", async () => {
  using files = scratch();
  {
    await using pool = await Pool.open({ processes: 1, permissions: "none" });
    await assert.rejects(
      pool.apply(readText, [files.file]),
      (error) => assertRefused(error, "read"),
    );
    assert.deepEqual(await pool.map(square, [1, 2, 3]), [1, 4, 9]);
    assert.equal(pool.stats.replaced, 0);
  }
  assert.equal(Deno.readTextFileSync(files.file), "secret");
  assert.equal(Deno.permissions.querySync({ name: "read" }).state, "granted");
  await assertNoLiveWorkers();
});

Deno.test("read: a listed path is readable, any other is refused", async () => {
  using files = scratch();
  using others = scratch();
  await using pool = await Pool.open({ processes: 1, permissions: { read: [files.file] } });
  assert.equal(await pool.apply(readText, [files.file]), "secret");
  await assert.rejects(
    pool.apply(readText, [others.file]),
    (error) => assertRefused(error, "read"),
  );
});

Deno.test("write: refused without it, allowed in a listed folder", async () => {
  using files = scratch();
  const target = `${files.dir}/out.txt`;
  {
    await using pool = await Pool.open({ processes: 1, permissions: { read: [files.dir] } });
    await assert.rejects(pool.apply(writeText, [target, "x"]), (e) => assertRefused(e, "write"));
  }
  {
    await using pool = await Pool.open({ processes: 1, permissions: { write: [files.dir] } });
    assert.equal(await pool.apply(writeText, [target, "hello"]), 5);
  }
  assert.equal(Deno.readTextFileSync(target), "hello");
});

Deno.test("net: refused without it, allowed for a listed host and port", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok", { status: 200 }),
  );
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    {
      await using pool = await Pool.open({ processes: 1, permissions: "none" });
      // A high port: fetch refuses blocked ports (such as 9) before it checks permissions.
      await assert.rejects(
        pool.apply(fetchStatus, ["http://127.0.0.1:61999/"]),
        (error) => assertRefused(error, "net"),
      );
      await assert.rejects(
        pool.apply(fetchStatus, [`http://${host}/`]),
        (e) => assertRefused(e, "net"),
      );
    }
    {
      await using pool = await Pool.open({ processes: 1, permissions: { net: [host] } });
      assert.equal(await pool.apply(fetchStatus, [`http://${host}/`]), 200);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("env: refused without it, allowed for a listed variable", async () => {
  const path = Deno.env.get("PATH");
  {
    await using pool = await Pool.open({ processes: 1, permissions: { env: ["HOME"] } });
    await assert.rejects(pool.apply(envValue, ["PATH"]), (error) => assertRefused(error, "env"));
  }
  {
    await using pool = await Pool.open({ processes: 1, permissions: { env: ["PATH"] } });
    assert.equal(await pool.apply(envValue, ["PATH"]), path);
  }
});

Deno.test("run: refused without it, allowed for a listed command", async () => {
  const deno = Deno.execPath();
  {
    await using pool = await Pool.open({ processes: 1, permissions: "none" });
    await assert.rejects(
      pool.apply(runCommand, [deno, ["--version"]]),
      (error) => assertRefused(error, "run"),
    );
  }
  {
    await using pool = await Pool.open({ processes: 1, permissions: { run: [deno] } });
    assert.equal(await pool.apply(runCommand, [deno, ["--version"]]), 0);
  }
});

Deno.test("sys: refused without it, allowed for a listed kind", async () => {
  {
    await using pool = await Pool.open({ processes: 1, permissions: { sys: ["osRelease"] } });
    await assert.rejects(pool.apply(hostname, []), (error) => assertRefused(error, "sys"));
  }
  {
    await using pool = await Pool.open({ processes: 1, permissions: { sys: ["hostname"] } });
    assert.equal(await pool.apply(hostname, []), Deno.hostname());
  }
});

Deno.test("a sandboxed Process refuses what it is not given and runs what it is", async () => {
  using files = scratch();
  const refused = new Process({ target: readText, args: [files.file], permissions: "none" });
  await refused.start();
  await assert.rejects(refused.join(), (error) => assertRefused(error, "read"));
  assert.equal(refused.exitCode, 1);

  const allowed = new Process({
    target: readText,
    args: [files.file],
    permissions: { read: [files.file] },
  });
  await allowed.start();
  assert.equal(await allowed.join(), "secret");
  assert.equal(allowed.exitCode, 0);
  await assertNoLiveWorkers();
});

/** examples/03_pool_map.ts's `square`: its module imports mod.ts, hence npm:effect. */
const exampleSquare = fromModule<(x: number) => number>(
  new URL("../examples/03_pool_map.ts", import.meta.url),
  "square",
);

Deno.test("a sandboxed pool runs functions of several modules, npm imports included", async () => {
  await using pool = await Pool.open({
    processes: 2,
    permissions: "none",
    initializer: countInit,
  });
  assert.deepEqual(await pool.map(square, [1, 2, 3, 4]), [1, 4, 9, 16]);
  // A module first used now: each worker restarts once to import it.
  assert.deepEqual(await pool.map(increment, [1, 2, 3, 4]), [2, 3, 4, 5]);
  // A module that imports mod.ts, hence the npm package effect.
  assert.deepEqual(
    await pool.map(exampleSquare, [5, 6]),
    [25, 36],
  );
  const names = await pool.map(workerName, [1, 2, 3, 4], { chunksize: 1 });
  assert.ok(names.every((name) => /^PoolWorker-[12]$/.test(name)), names.join());
  // Each restart ran the initializer in the new worker once.
  const counts = await pool.map(initCount, [1, 2, 3, 4], { chunksize: 1 });
  assert.ok(counts.every((count) => count === 1), counts.join());
  assert.equal(pool.stats.replaced, 0);
});

Deno.test("a task module that cannot load in the sandbox fails its task, not the pool", async () => {
  await using pool = await Pool.open({ processes: 1, permissions: "none" });
  await assert.rejects(pool.apply(homeLength, []), (error) => {
    // Task modules load in the running worker (a computed import): the import fails the
    // task with `TaskNotFound`; a worker that died loading one would be `WorkerCrashed`.
    const notFound = error instanceof WorkerCrashed ? error.cause : error;
    assert.equal(
      notFound instanceof Error && (notFound as { _tag?: string })._tag,
      "TaskNotFound",
      String(error),
    );
    assert.match(String((notFound as Error).message), /sandbox_toplevel\.ts.*Requires env access/);
    return true;
  });
  assert.deepEqual(await pool.map(square, [2, 3]), [4, 9]);
});

Deno.test("invalid permissions are a TypeError naming the option", async () => {
  await assert.rejects(
    // @ts-expect-error: misspelt on purpose
    Pool.open({ processes: 1, permissions: { reed: true } }),
    (error) =>
      error instanceof TypeError && /'permissions' has no permission 'reed'/.test(error.message),
  );
  await assert.rejects(
    // @ts-expect-error: not a permission value
    Pool.open({ processes: 1, permissions: { read: "yes" } }),
    (error) =>
      error instanceof TypeError &&
      /'permissions.read' must be true, false or a list/.test(error.message),
  );
  assert.throws(() => validatePermissions({ sys: ["hostnam"] }), /not a system information kind/);
  assert.throws(() => validatePermissions("all"), /must be "inherit", "none" or an object/);
  await assertNoLiveWorkers();
});

Deno.test("a set names every permission for Deno: what it leaves out is denied", () => {
  assert.deepEqual(toDenoPermissions({ net: ["127.0.0.1:8000"], read: [] }), {
    read: false,
    write: false,
    net: ["127.0.0.1:8000"],
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  });
  assert.equal(toDenoPermissions("none"), "none");
});

Deno.test("asking for more than the program has is refused at open time", async () => {
  const run = await runScript(
    [
      `--allow-read=${ROOT.pathname},${Deno.env.get("TMPDIR") ?? "/tmp"}`,
      // A sandbox learns its task modules' files with `deno info`.
      `--allow-run=${Deno.execPath()}`,
      "--unstable-worker-options",
    ],
    `import { Pool } from "ROOT/mod.ts";
     try {
       const pool = await Pool.open({ processes: 1, permissions: { read: ["/etc"] } });
       await pool.terminate();
       console.log("opened");
     } catch (error) {
       console.log(error.name + ": " + error.message);
     }
     const pool = await Pool.open({ processes: 1, permissions: { read: ["ROOT/mod.ts"] } });
     await pool.terminate();
     console.log("narrower opened");`,
  );
  assert.equal(run.code, 0, run.err);
  assert.match(
    run.out,
    /^NotCapable: Cannot start a sandboxed worker as 'permissions' asks for read access to "\/etc"/,
  );
  assert.match(run.out, /--allow-read=\/etc/);
  assert.match(run.out, /narrower opened/);
});

Deno.test("without --unstable-worker-options a sandbox fails at once and 'inherit' works", async () => {
  const run = await runScript(
    ["-A"],
    `import { inline, Pool } from "ROOT/mod.ts";
     try {
       const pool = await Pool.open({ processes: 1, permissions: "none" });
       await pool.terminate();
       console.log("opened");
     } catch (error) {
       console.log(error.name + ": " + error.message);
     }
     await using pool = await Pool.open({ processes: 1 });
     console.log("inherit: " + (await pool.map(inline((x: number) => x * x), [3])));`,
  );
  assert.equal(run.code, 0, run.err);
  assert.match(run.out, /^NotSupported: .*--unstable-worker-options/);
  assert.match(run.out, /inherit: 9/);
});
