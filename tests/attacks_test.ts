/**
 * Attacks from inside a task, on both backends, with and without a sandbox: forged
 * protocol messages on the worker's own channel, deafened handlers, patched prototypes,
 * fd 1 and stdin tampering. In each, the program survives, the attacker's own call
 * settles with its own value, every other call (on the same worker too) settles with
 * its own correct result, and nothing hangs.
 */
import assert from "node:assert/strict";
import { assertNoLiveWorkers } from "../lib/testing.ts";
import { Pool } from "../mod.ts";
import type { Permissions } from "../lib/permissions.ts";
import { liveSubprocesses, subprocessesExited } from "../lib/backend/subprocess.ts";
import {
  deafen,
  double,
  forgeOnWorkerChannel,
  patchPrototypes,
  readStdin,
  writeFd1,
} from "./fixtures/attack_tasks.ts";

const INPUT = Array.from({ length: 24 }, (_, i) => i);
const DOUBLED = INPUT.map((x) => x * 2);
/** Bounds every call: a hang fails the test instead of stalling it. */
const timeout = 10_000;

type Backend = "worker" | "subprocess";
const setups: Array<[Backend, Permissions]> = [
  ["worker", "inherit"],
  ["worker", "none"],
  ["subprocess", "inherit"],
  ["subprocess", "none"],
];

/**
 * Runs `attack` on a one-worker pool, then innocent calls on the same worker, and
 * innocent calls made in the same turn as the attack.
 */
async function survives(
  backend: Backend,
  permissions: Permissions,
  attack: () => Promise<unknown>,
  expected: unknown,
  pool: Pool,
): Promise<void> {
  const [own, together] = await Promise.all([
    attack(),
    pool.map(double, INPUT, { chunksize: 1, timeout }),
  ]);
  assert.deepEqual(own, expected, `${backend}/${String(permissions)}`);
  assert.deepEqual(together, DOUBLED);
  assert.deepEqual(await pool.map(double, INPUT, { chunksize: 3, timeout }), DOUBLED);
  assert.equal(await pool.apply(double, [21], { timeout }), 42);
}

async function noneLeft(): Promise<void> {
  await subprocessesExited();
  await assertNoLiveWorkers();
  assert.equal(liveSubprocesses(), 0);
}

for (const [backend, permissions] of setups) {
  const label = `${backend}, permissions ${String(permissions)}`;

  Deno.test(`forged messages on the worker's own channel reach no one (${label})`, async () => {
    {
      await using pool = await Pool.open({ processes: 1, backend, permissions });
      await survives(
        backend,
        permissions,
        () => pool.apply(forgeOnWorkerChannel, [], { timeout }),
        "forged",
        pool,
      );
      assert.equal(pool.stats.replaced, 0);
    }
    await noneLeft();
  });

  for (const mode of ["null", "replace", "wrap", "capture"] as const) {
    Deno.test(`a task that deafens the worker (${mode}) stops nothing (${label})`, async () => {
      {
        await using pool = await Pool.open({ processes: 1, backend, permissions });
        await survives(
          backend,
          permissions,
          () => pool.apply(deafen, [mode], { timeout }),
          `deaf:${mode}`,
          pool,
        );
      }
      await noneLeft();
    });
  }

  Deno.test(`patched prototypes redirect nothing the runtime sends (${label})`, async () => {
    {
      await using pool = await Pool.open({ processes: 1, backend, permissions });
      await survives(
        backend,
        permissions,
        () => pool.apply(patchPrototypes, [], { timeout }),
        "patched",
        pool,
      );
    }
    await noneLeft();
  });
}

for (const permissions of ["inherit", "none"] as const) {
  Deno.test(`a child writing to fd 1 forges and breaks nothing (${permissions})`, async () => {
    {
      await using pool = await Pool.open({ processes: 1, backend: "subprocess", permissions });
      await survives(
        "subprocess",
        permissions,
        () => pool.apply(writeFd1, [], { timeout }),
        "wrote",
        pool,
      );
      assert.equal(pool.stats.replaced, 0);
    }
    await noneLeft();
  });

  Deno.test(`a child reading stdin gets none of the parent's messages (${permissions})`, async () => {
    {
      await using pool = await Pool.open({ processes: 1, backend: "subprocess", permissions });
      // Work before and after, so that messages were sent while it read.
      const first = pool.map(double, INPUT, { chunksize: 1, timeout });
      const read = await pool.apply(readStdin, [], { timeout });
      assert.equal(read, "read:eof");
      assert.deepEqual(await first, DOUBLED);
      assert.deepEqual(await pool.map(double, INPUT, { chunksize: 2, timeout }), DOUBLED);
    }
    await noneLeft();
  });
}
