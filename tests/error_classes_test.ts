/**
 * Errors keep their class across the worker boundary (issue 17.1), modelled on CPython's
 * `_test_multiprocessing.py` (`test_exception` and friends): the task's exception class
 * and attributes arrive in the caller through `apply`, `map`, `imap` and `Process.join`,
 * on both backends.
 */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { Pool, Process } from "../mod.ts";
import { Pool as EffectPool } from "../lib/effect.ts";
import { TaskError } from "../lib/errors.ts";
import { registerError } from "../lib/error_registry.ts";
import { liveWorkers } from "../lib/backend/web_worker.ts";
import {
  overQuota,
  ParseError,
  parseItem,
  parseLater,
  parseLine,
  QuotaError,
  throwAggregate,
  throwBuiltIn,
  throwCircular,
  throwTrap,
  throwUnknown,
  trapCalls,
  UnknownError,
} from "./fixtures/error_classes.ts";

const BACKENDS = ["worker", "subprocess"] as const;

function assertParseError(
  error: unknown,
  line: number,
  token: string,
): asserts error is ParseError {
  assert.ok(error instanceof ParseError, `expected ParseError, got ${error}`);
  assert.ok(error instanceof Error);
  assert.ok((error as unknown) instanceof TaskError, "a rebuilt error still counts as a TaskError");
  assert.equal(error._tag, "ParseError");
  assert.equal(error.line, line);
  assert.deepEqual(error.detail, { token, expected: ["number", "string"] });
  assert.equal(error.message, `cannot parse line ${line} at '${token}'`);
  assert.ok(error.cause instanceof RangeError, `expected a RangeError cause, got ${error.cause}`);
  assert.equal(error.cause.message, `'${token}' is not a number`);
  // The remote stack: where the worker threw it.
  assert.match(error.stack ?? "", /parseLine/);
  assert.match(error.stack ?? "", /error_classes\.ts/);
  assert.equal((error as unknown as TaskError).remoteName, "Error");
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then((value) => assert.fail(`resolved with ${value}`), (e: unknown) => e);
}

for (const backend of BACKENDS) {
  Deno.test(`${backend}: apply rejects with the task's own registered class, fields and cause`, async () => {
    {
      await using pool = await Pool.open({ processes: 1, backend });
      assertParseError(await rejection(pool.apply(parseLine, [3, "x"])), 3, "x");
      assert.equal(await pool.apply(parseLine, [4, "12"]), 12);
    }
    assert.equal(liveWorkers(), 0);
  });

  Deno.test(`${backend}: map and imap reject with the task's class`, async () => {
    {
      await using pool = await Pool.open({ processes: 2, backend });
      assertParseError(await rejection(pool.map(parseItem, ["1", "2", "y", "4"])), 1, "y");
      const seen: number[] = [];
      const error = await rejection((async () => {
        for await (const value of pool.imap(parseItem, ["5", "z", "7"])) seen.push(value);
      })());
      assertParseError(error, 1, "z");
      assert.deepEqual(seen, [5]);
    }
    assert.equal(liveWorkers(), 0);
  });

  Deno.test(`${backend}: Process.join rejects with the task's class`, async () => {
    const p = new Process({ target: parseLine, args: [8, "q"], backend });
    await p.start();
    assertParseError(await rejection(p.join()), 8, "q");
    assert.equal(p.exitCode, 1);
  });

  Deno.test(`${backend}: built-in classes come back as themselves`, async () => {
    await using pool = await Pool.open({ processes: 1, backend });
    const cases = [
      ["RangeError", RangeError, "out of range"],
      ["TypeError", TypeError, "wrong type"],
      ["SyntaxError", SyntaxError, "bad syntax"],
      ["URIError", URIError, "bad uri"],
      ["EvalError", EvalError, "bad eval"],
      ["ReferenceError", ReferenceError, "no such name"],
      ["NotFound", Deno.errors.NotFound, "no such file"],
    ] as const;
    for (const [kind, type, message] of cases) {
      const error = await rejection(pool.apply(throwBuiltIn, [kind]));
      assert.ok(error instanceof type, `${kind}: got ${error}`);
      assert.ok(error instanceof TaskError);
      assert.equal((error as Error).message, message);
      assert.equal((error as Error).name, kind);
      assert.equal((error as TaskError)._tag, "TaskError");
      assert.equal((error as TaskError).remoteName, kind);
    }
    const dom = await rejection(pool.apply(throwBuiltIn, ["DOMException"]));
    assert.ok(dom instanceof DOMException, `got ${dom}`);
    assert.equal(dom.name, "AbortError");
    assert.equal(dom.message, "stopped");
  });
}

Deno.test("AggregateError keeps its errors, each rebuilt", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const error = await rejection(pool.apply(throwAggregate, []));
  assert.ok(error instanceof AggregateError, `got ${error}`);
  assert.equal(error.message, "several failed");
  assert.equal(error.errors.length, 3);
  assert.ok(error.errors[0] instanceof ParseError);
  assert.equal(error.errors[0].line, 2);
  assert.ok(error.errors[1] instanceof TypeError);
  assert.equal(error.errors[2], "a string");
});

Deno.test("a class registered by the pool's errors option comes back as itself", async () => {
  await using pool = await Pool.open({ processes: 1, errors: [QuotaError] });
  const error = await rejection(pool.apply(overQuota, [12]));
  assert.ok(error instanceof QuotaError, `got ${error}`);
  assert.equal(error.name, "QuotaError");
  assert.equal(error.used, 12);
  assert.equal(error.limit, 10);
  assert.equal((error as unknown as TaskError)._tag, "TaskError");
});

Deno.test("an unregistered class comes back as a TaskError naming it", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const error = await rejection(pool.apply(throwUnknown, []));
  assert.ok(!(error instanceof UnknownError));
  assert.ok(error instanceof TaskError, `got ${error}`);
  assert.equal(error.name, "TaskError");
  assert.equal(error.message, "not registered");
});

Deno.test("an async task's error keeps its class", async () => {
  await using pool = await Pool.open({ processes: 1 });
  assertParseError(await rejection(pool.apply(parseLater, ["w"])), 9, "w");
});

Deno.test("rebuilding runs neither the class's constructor nor its setters", async () => {
  const { TrapError } = await import("./fixtures/error_classes.ts");
  registerError(TrapError);
  await using pool = await Pool.open({ processes: 1 });
  const before = trapCalls.length;
  const error = await rejection(pool.apply(throwTrap, []));
  assert.ok(error instanceof TrapError);
  assert.equal(Object.getOwnPropertyDescriptor(error, "line")?.value, 5);
  assert.equal(trapCalls.length, before, `ran on the main side: ${trapCalls.slice(before)}`);
});

Deno.test("a cause that loops back is cut, not followed forever", async () => {
  await using pool = await Pool.open({ processes: 1 });
  const error = await rejection(pool.apply(throwCircular, []));
  assert.ok(error instanceof Error);
  let depth = 0;
  for (let e: unknown = error; e instanceof Error; e = e.cause) depth++;
  assert.ok(depth > 1 && depth <= 16, `cause depth ${depth}`);
});

Deno.test("Effect face: catchTag takes a registered class's own tag", async () => {
  const program = Effect.gen(function* () {
    const pool = yield* EffectPool.make({ processes: 1 });
    return yield* pool.apply(parseLine, [6, "k"]).pipe(
      Effect.mapError((error) => error as typeof error | ParseError),
      Effect.catchTag("ParseError", (error) => Effect.succeed(`line ${error.line}`)),
    );
  });
  assert.equal(await Effect.runPromise(Effect.scoped(program)), "line 6");
});

Deno.test("Effect face: a built-in class fails as a TaskError for catchTag", async () => {
  const program = Effect.gen(function* () {
    const pool = yield* EffectPool.make({ processes: 1 });
    return yield* pool.apply(throwBuiltIn, ["RangeError"]).pipe(
      Effect.catchTag(
        "TaskError",
        (error) => Effect.succeed(error instanceof RangeError ? "range" : "other"),
      ),
    );
  });
  assert.equal(await Effect.runPromise(Effect.scoped(program)), "range");
});

Deno.test("registerError refuses what it cannot rebuild", async () => {
  assert.throws(() => registerError(class NotAnError {} as never), TypeError);
  class Impostor extends Error {}
  Object.defineProperty(Impostor, "name", { value: "RangeError" });
  assert.throws(() => registerError(Impostor), /built-in/);
  class ParseErrorTwin extends Error {}
  Object.defineProperty(ParseErrorTwin, "name", { value: "ParseError" });
  assert.throws(() => registerError(ParseErrorTwin), /another class of that name/);
  await assert.rejects(
    () => Pool.open({ errors: ParseError as never }),
    /'errors' must be an array/,
  );
});
