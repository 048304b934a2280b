/**
 * An elastic pool (`minProcesses`, `maxProcesses`, `idleTimeout`) as a user sees it through
 * `pool.stats`: it opens with `minProcesses` workers, grows while work waits up to
 * `maxProcesses`, and ends workers that stayed idle, down to `minProcesses`, never one
 * that holds work. Tasks hold their workers at a gate the test opens (shared memory for
 * workers, a file for subprocesses); the test waits for each state by reading `stats`,
 * and asserts the bounds on every reading. Nothing is timed.
 */
import assert from "node:assert/strict";
import { denoRun } from "./_deno_run.ts";
import { inline, Pool, type PoolStats } from "../mod.ts";
import { assertNoLiveWorkers } from "../lib/testing.ts";

Deno.test.afterEach(assertNoLiveWorkers);

/** Blocks its worker until cell 0 of `gate` is set; returns `x`. */
const heldInMemory = inline((gate: Int32Array, x: number) => {
  while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0);
  return x;
});

/** Waits until the file at `path` exists (subprocesses share no memory); returns `x`. */
const heldByFile = inline(async (path: string, x: number) => {
  for (;;) {
    try {
      await Deno.stat(path);
      return x;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
});

/**
 * A gate the test opens, and the calls it holds: in shared memory for workers, a file for
 * subprocesses. Disposing of it opens it and waits for its calls, so a failed test leaves
 * no worker blocked (declare it after the pool: it is disposed of first).
 */
class Gate implements AsyncDisposable {
  readonly #cell = new Int32Array(new SharedArrayBuffer(4));
  readonly #dir: string;
  readonly #backend: "worker" | "subprocess";
  readonly #calls: Promise<unknown>[] = [];

  private constructor(dir: string, backend: "worker" | "subprocess") {
    this.#dir = dir;
    this.#backend = backend;
  }

  static async make(backend: "worker" | "subprocess" = "worker"): Promise<Gate> {
    return new Gate(await Deno.makeTempDir(), backend);
  }

  /** `pool.apply` of a task held at this gate, which then returns `x`. */
  call(pool: Pool, x: number, options: { timeout?: number } = {}): Promise<number> {
    const call = this.#backend === "worker"
      ? pool.apply(heldInMemory, [this.#cell, x], options)
      : pool.apply(heldByFile, [`${this.#dir}/open`, x], options);
    this.#calls.push(call.catch(() => {}));
    return call;
  }

  async open(): Promise<void> {
    Atomics.store(this.#cell, 0, 1);
    Atomics.notify(this.#cell, 0);
    await Deno.writeTextFile(`${this.#dir}/open`, "");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.open();
    await Promise.all(this.#calls);
    await Deno.remove(this.#dir, { recursive: true });
  }
}

/**
 * Reads `pool.stats` until `done` holds, checking `always` on every reading; fails, naming
 * what it waited for, if it never comes (a guard against a hang, not a timing bound).
 */
async function until(
  pool: Pool,
  what: string,
  done: (stats: PoolStats) => boolean,
  always: (stats: PoolStats) => void,
): Promise<PoolStats> {
  for (let reads = 0; reads < 2000; reads++) {
    const stats = pool.stats;
    always(stats);
    if (done(stats)) return stats;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`Gave up waiting until ${what}: ${JSON.stringify(pool.stats)}`);
}

for (const backend of ["worker", "subprocess"] as const) {
  Deno.test(`an elastic pool (${backend}) grows to maxProcesses under load and shrinks back to minProcesses`, async () => {
    await using pool = await Pool.open({
      minProcesses: 1,
      maxProcesses: 3,
      idleTimeout: 50,
      backend,
    });
    await using gate = await Gate.make(backend);
    assert.equal(pool.processes, 3);
    assert.equal(pool.stats.workers, 1, "it opens with minProcesses");
    const within = (stats: PoolStats): void => {
      assert.ok(stats.workers >= 1 && stats.workers <= 3, JSON.stringify(stats));
      assert.equal(stats.busy + stats.idle, stats.workers);
    };
    const calls = [0, 1, 2, 3, 4, 5].map((i) => gate.call(pool, i));
    const grown = await until(pool, "3 workers hold work", (s) => s.busy === 3, within);
    assert.equal(grown.workers, 3, "it grows to maxProcesses, no further");
    await gate.open();
    assert.deepEqual(await Promise.all(calls), [0, 1, 2, 3, 4, 5]);
    const shrunk = await until(
      pool,
      "the pool is back to 1 worker",
      (s) => s.workers === 1,
      within,
    );
    assert.equal(shrunk.idle, 1);
    // It still serves, and grows again when work waits.
    assert.equal(await pool.apply(inline((x: number) => x + 1), [41]), 42);
  });
}

Deno.test("an elastic pool never ends a worker holding work, while it ends the idle ones", async () => {
  await using pool = await Pool.open({ minProcesses: 0, maxProcesses: 3, idleTimeout: 20 });
  await using long = await Gate.make();
  await using short = await Gate.make();
  assert.equal(pool.stats.workers, 0, "minProcesses: 0 opens with no worker");
  // A call with a timeout goes only to an idle worker: each lands on its own worker.
  const timed = { timeout: 60_000 };
  let longDone = false;
  const longCall = long.call(pool, 1, timed).then((x) => {
    longDone = true;
    return x;
  });
  const shortCalls = [short.call(pool, 2, timed), short.call(pool, 3, timed)];
  const atMost3 = (stats: PoolStats): void => assert.ok(stats.workers <= 3, JSON.stringify(stats));
  await until(pool, "3 workers hold work", (s) => s.busy === 3, atMost3);
  await short.open();
  assert.deepEqual(await Promise.all(shortCalls), [2, 3]);
  const holding = (stats: PoolStats): void => {
    assert.ok(
      stats.workers >= 1,
      `the worker holding the long task stays: ${JSON.stringify(stats)}`,
    );
  };
  const left = await until(pool, "the idle workers ended", (s) => s.workers === 1, holding);
  assert.equal(left.busy, 1);
  assert.equal(longDone, false);
  await long.open();
  assert.equal(await longCall, 1);
  await until(pool, "the last worker ended (minProcesses: 0)", (s) => s.workers === 0, () => {});
  // A pool of none grows again for new work.
  assert.equal(await pool.apply(inline((x: number) => 2 * x), [21]), 42);
});

Deno.test("an elastic pool's map spreads over the workers it adds, and ends with its results in order", async () => {
  await using pool = await Pool.open({ maxProcesses: 2, idleTimeout: 10_000 });
  const square = inline((x: number) => x * x);
  const out = await pool.map(square, [1, 2, 3, 4, 5, 6, 7, 8], { chunksize: 1 });
  assert.deepEqual(out, [1, 4, 9, 16, 25, 36, 49, 64]);
  assert.ok(pool.stats.workers >= 1 && pool.stats.workers <= 2);
});

Deno.test("terminate stops the idle clocks of an elastic pool", async () => {
  // Idle clocks are unref'd (they never keep the program alive), so Deno's sanitizer
  // cannot see them: count the pool's clocks started and stopped instead.
  const idleMs = 987_654;
  type TimerId = ReturnType<typeof setTimeout>;
  const started = new Set<TimerId>();
  const stopped = new Set<TimerId>();
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    const id = set(fn, ms);
    if (ms === idleMs) started.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id?: TimerId) => {
    if (id !== undefined && started.has(id)) stopped.add(id);
    clear(id);
  }) as typeof clearTimeout;
  let pool: Pool | undefined;
  try {
    const opened = pool = await Pool.open({
      minProcesses: 1,
      maxProcesses: 3,
      idleTimeout: idleMs,
    });
    {
      await using gate = await Gate.make();
      const calls = [1, 2, 3, 4, 5, 6].map((i) => gate.call(opened, i));
      await until(opened, "3 workers hold work", (s) => s.busy === 3, () => {});
      await gate.open();
      await Promise.all(calls);
    }
    assert.ok(started.size >= 2, "the spare workers' clocks run");
    await opened.terminate();
    assert.deepEqual([...started].filter((id) => !stopped.has(id)), []);
  } finally {
    await pool?.terminate();
    globalThis.setTimeout = set;
    globalThis.clearTimeout = clear;
  }
});

Deno.test("the default pool stays fixed at processes = cpuCount()", async () => {
  await using pool = await Pool.open();
  assert.equal(pool.processes, navigator.hardwareConcurrency);
  assert.equal(pool.stats.workers, navigator.hardwareConcurrency);
});

Deno.test("Pool.open() refuses elastic options that cannot work, naming the option and the fix", async () => {
  const cases: Array<[Record<string, unknown>, ErrorConstructor, RegExp]> = [
    [
      { processes: 2, maxProcesses: 4 },
      TypeError,
      /'processes' .* and 'maxProcesses' .* exclude each other: pass one of them; current values are 2 and 4/,
    ],
    [
      { minProcesses: 1 },
      TypeError,
      /'minProcesses' needs 'maxProcesses'.*pass 'maxProcesses' too, or 'processes' for a fixed pool/,
    ],
    [{ idleTimeout: 100 }, TypeError, /'idleTimeout' needs 'maxProcesses'/],
    [{ processes: 2, idleTimeout: 100 }, TypeError, /'idleTimeout' needs 'maxProcesses'/],
    [
      { maxProcesses: 2, minProcesses: 3 },
      RangeError,
      /'minProcesses' must be at most 'maxProcesses' \(2\): current value is 3/,
    ],
    [
      { maxProcesses: 0 },
      RangeError,
      /'maxProcesses' must be a positive integer: current value is 0/,
    ],
    [
      { maxProcesses: 2.5 },
      RangeError,
      /'maxProcesses' must be a positive integer: current value is 2.5/,
    ],
    [
      { maxProcesses: 257 },
      RangeError,
      /'maxProcesses' must be an integer from 1 to 256: current value is 257/,
    ],
    [
      { maxProcesses: "4" },
      RangeError,
      /'maxProcesses' must be a positive integer: current value is "4"/,
    ],
    [
      { maxProcesses: 2, minProcesses: -1 },
      RangeError,
      /'minProcesses' must be a whole number, 0 or more: current value is -1/,
    ],
    [{ maxProcesses: 2, minProcesses: 0.5 }, RangeError, /'minProcesses' must be a whole number/],
    [
      { maxProcesses: 2, idleTimeout: 0 },
      RangeError,
      /'idleTimeout' must be a positive number of milliseconds: current value is 0/,
    ],
    [{ maxProcesses: 2, idleTimeout: -5 }, RangeError, /'idleTimeout' must be a positive number/],
    [
      { maxProcesses: 2, idleTimeout: Infinity },
      RangeError,
      /'idleTimeout' must be a positive number/,
    ],
    [
      { backend: "cluster", maxProcesses: 2 },
      TypeError,
      /not supported by the "cluster" backend.*pass 'processes' instead/,
    ],
  ];
  for (const [options, type, message] of cases) {
    await assert.rejects(Pool.open(options), (error: Error) => {
      assert.ok(error instanceof type, `${JSON.stringify(options)}: ${error}`);
      assert.match(error.message, /^Cannot open pool as /);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("examples/16_sizing.ts runs alone and shows the pool grow, shrink and hold calls back", async () => {
  const run = await denoRun([new URL("../examples/16_sizing.ts", import.meta.url).pathname]);
  assert.ok(run.success, run.stderr);
  assert.deepEqual(run.stdout.trimEnd().split("\n"), [
    "opened with 1 worker (minProcesses)",
    "under load: 4 workers (maxProcesses)",
    "idle again: 1 worker (minProcesses)",
    "1000 calls, never more than 8 queued (maxQueue)",
  ]);
});
