/**
 * The lazy maps in all their forms, described once in the pool: `imap`, `imapUnordered`,
 * `istarmap`, `istarmapUnordered`, each also settled (every outcome, with its position).
 */
import assert from "node:assert/strict";
import { Pool, type SettledAt, TaskError, WorkerCrashed } from "../mod.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { add, failOnNegative, square } from "./fixtures/tasks.ts";
import { exitWorker } from "./fixtures/fault_tasks.ts";

async function* pairs(): AsyncGenerator<[number, number]> {
  for (let i = 0; i < 20; i++) yield [i, 100];
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterator) out.push(value);
  return out;
}

/** Outcomes sorted by position, reduced to what a test compares. */
function byIndex<T>(outcomes: SettledAt<T>[]): Array<[number, string, unknown]> {
  return outcomes
    .map((o): [number, string, unknown] =>
      o.status === "fulfilled" ? [o.index, "ok", o.value] : [o.index, "error", o.reason.message]
    )
    .sort((a, b) => a[0] - b[0]);
}

Deno.test("Pool.istarmap() spreads each item lazily, in input order", async () => {
  {
    await using pool = await Pool.open({ processes: 2 });
    const sums = await collect(pool.istarmap(add, pairs(), { chunksize: 3 }));
    assert.deepEqual(sums, Array.from({ length: 20 }, (_, i) => i + 100));
    const unordered = await collect(pool.istarmapUnordered(add, [[1, 2], [3, 4], [5, 6]]));
    assert.deepEqual(unordered.sort((a, b) => a - b), [3, 7, 11]);
  }
  await assertNoLiveWorkers();
});

Deno.test("Pool.imap({ settled: true }) goes on past failures, each outcome in place", async () => {
  {
    await using pool = await Pool.open({ processes: 2 });
    const input = [1, -2, 3, -4, 5, 6, -7];
    const outcomes = await collect(
      pool.imap(failOnNegative, input, { settled: true, chunksize: 2 }),
    );
    assert.deepEqual(outcomes.map((o) => o.index), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(
      outcomes.map((o) => o.status === "fulfilled" ? o.value : o.reason.message),
      [1, "negative input: -2", 3, "negative input: -4", 5, 6, "negative input: -7"],
    );
    const failure = outcomes[1]!;
    assert.ok(failure.status === "rejected" && failure.reason instanceof TaskError);
  }
  await assertNoLiveWorkers();
});

Deno.test("unordered settled maps give every outcome once, with its position", async () => {
  {
    await using pool = await Pool.open({ processes: 2 });
    const input = Array.from({ length: 30 }, (_, i) => (i % 4 === 0 ? -i : i));
    const outcomes = await collect(
      pool.imapUnordered(failOnNegative, input, { settled: true, chunksize: 4 }),
    );
    assert.deepEqual(
      byIndex(outcomes),
      input.map((x, i) => x < 0 ? [i, "error", `negative input: ${x}`] : [i, "ok", x]),
    );
    const spread = await collect(
      pool.istarmapUnordered(add, [[1, 1], [2, 2], [3, 3]], { settled: true }),
    );
    assert.deepEqual(byIndex(spread), [[0, "ok", 2], [1, "ok", 4], [2, "ok", 6]]);
  }
  await assertNoLiveWorkers();
});

Deno.test("a chunk that fails as a whole settles each of its items with that error", async () => {
  {
    await using pool = await Pool.open({ processes: 1 });
    const outcomes = await collect(pool.imap(exitWorker, [3, 3], { settled: true, chunksize: 2 }));
    assert.equal(outcomes.length, 2);
    for (const [i, outcome] of outcomes.entries()) {
      assert.equal(outcome.index, i);
      assert.ok(outcome.status === "rejected" && outcome.reason instanceof WorkerCrashed);
    }
    // The pool healed: the next lazy map runs.
    assert.deepEqual(await collect(pool.imap(square, [1, 2, 3])), [1, 4, 9]);
  }
  await assertNoLiveWorkers();
});

Deno.test("without settled, a lazy map still ends at the first failure", async () => {
  {
    await using pool = await Pool.open({ processes: 1 });
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const value of pool.imap(failOnNegative, [1, 2, -3, 4])) seen.push(value);
    }, (error) => error instanceof TaskError);
    assert.deepEqual(seen, [1, 2]);
  }
  await assertNoLiveWorkers();
});
