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
} from "../lib/protocol.ts";

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
