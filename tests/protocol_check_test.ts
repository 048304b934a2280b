/**
 * The main side's reading of worker messages: every shape the protocol does not define
 * is a violation with a reason, never a thrown error.
 */
import assert from "node:assert/strict";
import { isViolation, readFromWorker } from "../lib/protocol_check.ts";
import {
  CANCELLED,
  CRASHED,
  DONE,
  DONE_MANY,
  EXITING,
  FAILED,
  INIT_FAILED,
  READY,
} from "../lib/shared/protocol.ts";
import type { WireError } from "../lib/shared/wire_error.ts";
import { fromWire, isDefect } from "../lib/errors_wire.ts";

const wire = { tag: "TaskError", name: "Error", message: "boom", isError: true };

Deno.test("readFromWorker() accepts every message the runtime sends", () => {
  const valid: unknown[] = [
    [READY],
    [INIT_FAILED, wire],
    [DONE, 1, [1, 2], null],
    [DONE, 2, [undefined], [[0, wire]]],
    [DONE_MANY, [[DONE, 3, [1], null], [DONE, 4, [], null]]],
    [FAILED, 5, { ...wire, tag: "TaskNotFound", cause: { ...wire, stack: "at x" } }],
    [CANCELLED, 6],
    [EXITING, 3],
    [CRASHED, { ...wire, isError: false, value: 42, code: "E" }],
  ];
  for (const message of valid) {
    assert.ok(!isViolation(readFromWorker(message)), JSON.stringify(message));
  }
});

Deno.test("readFromWorker() names what is wrong with a malformed message", () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /not a list/],
    [undefined, /not a list/],
    ["DONE", /not a list/],
    [[], /not a list/],
    [[99], /unknown kind 99/],
    [["2"], /unknown kind string/],
    [[READY, 1], /malformed READY/],
    [[DONE, 1, [1]], /malformed DONE/],
    [[DONE, 0, [1], null], /malformed DONE/],
    [[DONE, 1.5, [1], null], /malformed DONE/],
    [[DONE, 1, "values", null], /malformed DONE/],
    [[DONE, 1, [1], []], /malformed DONE/],
    [[DONE, 1, [1, 2], [[1, wire], [0, wire]]], /malformed DONE/],
    [[DONE, 1, [1], [[0, { ...wire, tag: "Other" }]]], /malformed DONE/],
    [[DONE, 1, [1], [[0, { ...wire, message: 3 }]]], /malformed DONE/],
    [[DONE_MANY, []], /malformed DONE_MANY/],
    [[DONE_MANY, [[DONE, 1, [1], null], [FAILED, 2, wire]]], /answer in DONE_MANY/],
    [[FAILED, 1, "boom"], /malformed FAILED/],
    [[CANCELLED, -1], /malformed CANCELLED/],
    [[EXITING, "0"], /malformed EXITING/],
    [[INIT_FAILED, { ...wire, cause: "x" }], /malformed INIT_FAILED/],
    [[CRASHED, null], /malformed CRASHED/],
  ];
  for (const [message, reason] of cases) {
    const read = readFromWorker(message);
    assert.ok(isViolation(read), `accepted ${JSON.stringify(message)}`);
    assert.match(read.violation, reason);
  }
});

Deno.test("readFromWorker() refuses a cause chain no runtime builds", () => {
  let deep: Record<string, unknown> = { ...wire };
  for (let i = 0; i < 100; i++) deep = { ...wire, cause: deep };
  const read = readFromWorker([CRASHED, deep]);
  assert.ok(isViolation(read));
});

Deno.test("readFromWorker() accepts an error's class name, fields and aggregated errors", () => {
  const rich = {
    ...wire,
    className: "ParseError",
    fields: [["line", 3], ["detail", { token: "x" }]],
    errors: [{ ...wire, className: "TypeError" }, { ...wire, isError: false, value: "s" }],
    cause: { ...wire, className: "RangeError" },
  };
  assert.ok(!isViolation(readFromWorker([FAILED, 1, rich])));
  assert.ok(!isViolation(readFromWorker([DONE, 1, [undefined], [[0, rich]]])));
});

Deno.test("readFromWorker() refuses error fields, classes and sizes no runtime sends", () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => [`k${i}`, i]);
  const bad: Array<readonly [string, unknown]> = [
    ["a reserved key", { ...wire, fields: [["__proto__", {}]] }],
    ["a constructor key", { ...wire, fields: [["constructor", 1]] }],
    ["a stack key", { ...wire, fields: [["stack", "x"]] }],
    ["a key twice", { ...wire, fields: [["a", 1], ["a", 2]] }],
    ["a non-string key", { ...wire, fields: [[1, 1]] }],
    ["fields not pairs", { ...wire, fields: [["a"]] }],
    ["fields not a list", { ...wire, fields: { a: 1 } }],
    ["too many fields", { ...wire, fields: many(33) }],
    ["a non-string class", { ...wire, className: 7 }],
    ["a huge class name", { ...wire, className: "E".repeat(257) }],
    ["a huge message", { ...wire, message: "m".repeat(65537) }],
    ["a huge stack", { ...wire, stack: "s".repeat(65537) }],
    ["errors not a list", { ...wire, errors: wire }],
    ["too many errors", { ...wire, errors: Array.from({ length: 65 }, () => wire) }],
    ["a malformed aggregated error", { ...wire, errors: [{ ...wire, name: 1 }] }],
  ];
  for (const [label, error] of bad) {
    assert.ok(isViolation(readFromWorker([FAILED, 1, error])), `accepted ${label}`);
  }
  // Wide trees are bounded as a whole, not only per level.
  const level = (depth: number): unknown =>
    depth === 0 ? wire : { ...wire, errors: Array.from({ length: 8 }, () => level(depth - 1)) };
  assert.ok(isViolation(readFromWorker([CRASHED, level(3)])), "accepted 585 errors in one tree");
});

Deno.test("an Effect task's ending flag is 'failure' or 'defect'; a forged one crashes nothing", () => {
  for (const effect of ["failure", "defect"]) {
    const flagged = { ...wire, effect };
    for (
      const message of [
        [DONE, 1, [undefined], [[0, flagged]]],
        [FAILED, 1, flagged],
        [INIT_FAILED, flagged],
        [CRASHED, { ...wire, cause: flagged }],
      ]
    ) {
      assert.ok(!isViolation(readFromWorker(message)), `refused ${JSON.stringify(message)}`);
    }
  }
  for (const effect of ["panic", "", 1, null, {}, ["failure"]]) {
    const forged = [DONE, 1, [undefined], [[0, { ...wire, effect }]]];
    assert.ok(isViolation(readFromWorker(forged)), `accepted effect ${JSON.stringify(effect)}`);
  }
  // Well-formed flags on data no Effect task sends: each still rebuilds as an error.
  const odd: unknown[] = [
    { ...wire, effect: "failure", fields: [["_tag", { not: "a string" }]] },
    { ...wire, effect: "failure", isError: false, value: ["_tag", "x"] },
    { ...wire, effect: "failure", isError: false, value: { _tag: 5 } },
    {
      ...wire,
      effect: "failure",
      isError: false,
      value: JSON.parse('{"_tag": "T", "__proto__": {"polluted": 1}, "constructor": 2}'),
    },
    { ...wire, effect: "failure", isError: false, value: "plain" },
    { ...wire, effect: "defect", isError: false, value: null },
    { ...wire, tag: "SerializationError", effect: "defect" },
    { ...wire, tag: "TaskNotFound", effect: "failure" },
  ];
  for (const data of odd) {
    const read = readFromWorker([FAILED, 1, data]);
    assert.ok(!isViolation(read), JSON.stringify(data));
    const error = fromWire((read as readonly [number, number, WireError])[2], "task");
    assert.ok(error instanceof Error, JSON.stringify(data));
    assert.equal((error as { polluted?: number }).polluted, undefined);
    assert.ok(!Object.hasOwn(error, "constructor"));
  }
  const tagged = fromWire(
    { ...wire, effect: "failure", isError: false, value: { _tag: "T", message: 7 } } as WireError,
    "task",
  );
  assert.equal((tagged as unknown as { _tag: string })._tag, "T");
  assert.equal(tagged.message, wire.message, "a non-string message is not taken");
  assert.ok(isDefect(fromWire({ ...wire, effect: "defect" } as WireError, "task")));
  assert.equal(
    isDefect(fromWire({ ...wire, tag: "SerializationError", effect: "defect" } as WireError, "t")),
    false,
  );
});
