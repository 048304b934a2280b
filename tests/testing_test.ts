/**
 * The testing entry (`@multiprocessing/deno/testing`) and the unclosed-pool warning:
 * the assertion names each survivor's owner and the line that opened it; the warning
 * is read from the stderr of a child program (tests/fixtures/testing_unclosed.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { Pool, PoolClosed, Process, ProcessEffect } from "../lib/effect.ts";
import {
  assertNoLiveWorkers,
  type LiveOwner,
  liveOwners,
  sanitizeWorkers,
  setUnclosedWarnings,
} from "../lib/testing.ts";
import { slowSquare, square } from "./fixtures/tasks.ts";
import { waitForever } from "./fixtures/process_tasks.ts";

/** `file:///.../testing_test.ts:N:`, N being the line after the caller's. */
function nextLine(): string {
  const line = new Error().stack?.split("\n")[2]?.match(/:(\d+):\d+\)?$/)?.[1];
  return `${import.meta.url}:${Number(line) + 1}:`;
}

/** The message `assertNoLiveWorkers()` fails with now (fails when it passes). */
async function failure(): Promise<string> {
  const error = await assertNoLiveWorkers().then(() => null, (e: unknown) => e as Error);
  assert.ok(error !== null, "assertNoLiveWorkers() passed while something was alive");
  return error.message;
}

Deno.test("assertNoLiveWorkers() names a pool left open and the Pool.open line, and stops it", async () => {
  const at = nextLine();
  const pool = await Pool.open({ processes: 2, name: "leaky" });
  const message = await failure();
  assert.ok(
    message.includes(`Pool 'leaky' (2 workers, made by Pool.open at ${at}`),
    `the message does not name the pool and ${at}:\n${message}`,
  );
  assert.match(message, /terminate\(\), or open it with 'await using'/);
  assert.equal(pool.stats.workers, 0);
  await assertNoLiveWorkers();
});

Deno.test("assertNoLiveWorkers() passes after an `await using` block and after terminate()", async () => {
  {
    await using pool = await Pool.open({ processes: 2, name: "scoped" });
    assert.equal(await pool.apply(square, [5]), 25);
    assert.deepEqual(liveOwners().map((owner) => [owner.name, owner.workers]), [["scoped", 2]]);
  }
  await assertNoLiveWorkers();
  const pool = await Pool.open({ processes: 1, backend: "subprocess" });
  assert.equal(await pool.apply(square, [6]), 36);
  await pool.terminate();
  await assertNoLiveWorkers();
});

Deno.test("assertNoLiveWorkers() names a running Process and a subprocess pool where they were made", async () => {
  const processAt = nextLine();
  const p = new Process({ target: waitForever, name: "sleeper" });
  await p.start();
  const poolAt = nextLine();
  await Pool.open({ processes: 1, name: "kids", backend: "subprocess" });
  const message = await failure();
  assert.ok(
    message.includes(`Process 'sleeper' (1 worker, made by new Process at ${processAt}`),
    message,
  );
  assert.ok(message.includes(`Pool 'kids' (1 child process, made by Pool.open at ${poolAt}`));
  assert.equal(p.isAlive(), false);
  await assertNoLiveWorkers();
});

Deno.test("assertNoLiveWorkers() names a Pool.make pool while its scope is open, and passes once it closed", async () => {
  let at = "";
  let alive: LiveOwner[] = [];
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    at = nextLine();
    const pool = yield* Pool.make({ processes: 1, name: "effectful" });
    assert.equal(yield* pool.apply(square, [4]), 16);
    alive = liveOwners();
  })));
  assert.deepEqual(
    alive.map(({ madeBy, name, openedAt, open, workers }) => ({
      madeBy,
      name,
      site: openedAt.slice(0, at.length),
      open,
      workers,
    })),
    [{ madeBy: "Pool.make", name: "effectful", site: at, open: true, workers: 1 }],
  );
  await assertNoLiveWorkers();
});

Deno.test("assertNoLiveWorkers() tells to close the Scope of a Pool.make pool", async () => {
  const message = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    yield* Pool.make({ processes: 1, name: "effectful" });
    return yield* Effect.promise(failure);
  })));
  assert.match(message, /Pool 'effectful' .*made by Pool.make.*: close the Scope \(or Layer\)/);
});

Deno.test("assertNoLiveWorkers() tells to close the Scope of a process ProcessEffect.spawn started", async () => {
  const message = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    yield* ProcessEffect.spawn({ target: waitForever, name: "scoped-child" });
    return yield* Effect.promise(failure);
  })));
  assert.match(
    message,
    /Process 'scoped-child' .*made by ProcessEffect\.start.*: close the Scope it was started in/,
  );
  await assertNoLiveWorkers();
});

Deno.test("assertNoLiveWorkers() tells to join() a closed pool whose work still runs", async () => {
  const pool = await Pool.open({ processes: 1, name: "draining" });
  const work = pool.apply(slowSquare, [3, 50]);
  pool.close();
  assert.match(await failure(), /Pool 'draining' \(1 worker, .*\): await its join\(\)/);
  await assert.rejects(work, PoolClosed);
  await assertNoLiveWorkers();
});

Deno.test("sanitizeWorkers() fails a test that leaves a pool open, naming it, and stops it", async () => {
  let at = "";
  const leaky = sanitizeWorkers(async () => {
    at = nextLine();
    const pool = await Pool.open({ processes: 2, name: "forgotten" });
    assert.equal(await pool.apply(square, [2]), 4);
  });
  const error = await leaky(undefined).then(() => null, (e: unknown) => e as Error);
  assert.ok(error !== null, "the leaky test passed");
  assert.ok(error.message.includes(`Pool 'forgotten' (2 workers, made by Pool.open at ${at}`));
  assert.deepEqual(liveOwners(), []);
  await assertNoLiveWorkers();
});

Deno.test("sanitizeWorkers() keeps a failing test's own error and still stops what it left", async () => {
  const failing = sanitizeWorkers(async () => {
    await Pool.open({ processes: 1, name: "abandoned", backend: "subprocess" });
    throw new RangeError("the test's own failure");
  });
  await assert.rejects(failing(undefined), RangeError);
  assert.deepEqual(liveOwners(), []);
  await assertNoLiveWorkers();
});

Deno.test(
  "sanitizeWorkers() passes a test that closes its pool, also as a step",
  sanitizeWorkers(async (t: Deno.TestContext) => {
    await t.step(
      "inner",
      sanitizeWorkers(async () => {
        await using pool = await Pool.open({ processes: 1 });
        assert.deepEqual(await pool.map(square, [1, 2, 3]), [1, 4, 9]);
      }),
    );
  }),
);

Deno.test("setUnclosedWarnings() takes only a boolean", () => {
  assert.throws(
    () => setUnclosedWarnings("no" as unknown as boolean),
    /'enabled' must be a boolean: received string/,
  );
});

/** Runs the fixture program in `mode`; its exit code, stdout lines and stderr lines. */
async function runFixture(
  mode: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string[]; warnings: string[] }> {
  const fixture = new URL("./fixtures/testing_unclosed.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", fixture, mode],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const lines = (bytes: Uint8Array) =>
    new TextDecoder().decode(bytes).split("\n").filter((line) => line !== "");
  const errors = lines(stderr);
  const warnings = errors.filter((line) => line.startsWith("ResourceWarning:"));
  assert.deepEqual(errors, warnings, `unexpected stderr:\n${errors.join("\n")}`);
  return { code, out: lines(stdout), warnings };
}

/** Where the fixture says it opened `name`: `file:///.../testing_unclosed.ts:N:`. */
function siteIn(out: string[], name: string): string {
  const line = out.find((entry) => entry.startsWith(`site ${name} `))?.split(" ")[2];
  assert.ok(line !== undefined, `the fixture printed no site for '${name}'`);
  return `${new URL("./fixtures/testing_unclosed.ts", import.meta.url).href}:${line}:`;
}

Deno.test("a pool garbage-collected while open gets one warning naming it and its Pool.open line", async () => {
  const { code, out, warnings } = await runFixture("gc-open");
  assert.equal(code, 0);
  assert.ok(out.includes("collected"));
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.ok(
    warnings[0]!.startsWith(
      `ResourceWarning: unclosed Pool 'dropped' (1 worker, made by Pool.open at ${
        siteIn(out, "dropped")
      }`,
    ),
    warnings[0] ?? "",
  );
  assert.match(warnings[0]!, /was garbage-collected while open/);
});

Deno.test("a pool closed before it is garbage-collected gets no warning", async () => {
  const { code, out, warnings } = await runFixture("gc-closed");
  assert.equal(code, 0);
  assert.ok(out.includes("collected"));
  assert.deepEqual(warnings, []);
});

Deno.test("each pool and process still open at program end gets one warning line", async () => {
  const { code, out, warnings } = await runFixture("exit-open");
  assert.equal(code, 0);
  const expected = [
    `unclosed Pool 'forgotten' (2 workers, made by Pool.open at ${siteIn(out, "forgotten")}`,
    `unclosed Pool 'children' (1 child process, made by Pool.open at ${siteIn(out, "children")}`,
    `Process 'runner' (1 worker, made by new Process at ${siteIn(out, "runner")}`,
    `unclosed Pool 'scoped' (1 worker, made by Pool.make at ${siteIn(out, "scoped")}`,
  ];
  assert.equal(warnings.length, expected.length, warnings.join("\n"));
  for (const [i, start] of expected.entries()) {
    assert.ok(warnings[i]!.startsWith(`ResourceWarning: ${start}`), warnings[i] ?? "");
    assert.match(warnings[i]!, /when the program ended: /);
  }
});

Deno.test("setUnclosedWarnings(false) and MULTIPROCESSING_UNCLOSED_WARNING=0 silence the warnings", async () => {
  assert.deepEqual((await runFixture("exit-off")).warnings, []);
  const byEnv = await runFixture("exit-open", { MULTIPROCESSING_UNCLOSED_WARNING: "0" });
  assert.deepEqual(byEnv.warnings, []);
});

Deno.test("closed, terminated and disposed pools and ended processes get no warning, and the program ends", async () => {
  const { code, out, warnings } = await runFixture("exit-closed");
  assert.equal(code, 0);
  assert.deepEqual(out, ["done"]);
  assert.deepEqual(warnings, []);
});

Deno.test("the README's testing example is examples/09_testing_test.ts, by the package's names", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("\n## Testing code that uses a pool\n"));
  const shown = section.match(/```ts ignore\n([\s\S]*?)```/)?.[1];
  assert.ok(shown !== undefined, "README has no example under 'Testing code that uses a pool'");
  const example = await Deno.readTextFile(
    new URL("../examples/09_testing_test.ts", import.meta.url),
  );
  const asPublished = example
    .slice(example.indexOf("import assert"))
    .replace('"../mod.ts"', '"@multiprocessing/deno"')
    .replace('"../lib/testing.ts"', '"@multiprocessing/deno/testing"')
    .replace('"./03_pool_map.ts"', '"./square.ts"');
  assert.equal(shown, asPublished);
});
