/**
 * Startup: what a user feels first. Whole-process wall time and peak memory (GNU
 * `time`'s maximum resident set) of
 *
 * - the README's quickstart shape (the task in the main module, which imports the
 *   library): open a pool of 2, `map` 5 items, exit;
 * - `cli.ts map` over 5 lines and `cli.ts --help`;
 * - importing `mod.ts` alone, and the Effect entry alone;
 *
 * against `deno run` of an empty program and Python's `Pool(2).map` of 5 items (when
 * `python3` is on PATH). Also, measured inside the program: a pool of 2 ready (each
 * worker answered one task) when the task module imports `mod.ts`, against the same
 * pool when it imports only the worker entry.
 *
 * Each round runs every contender once, in turn (interleaved), after one warm-up round;
 * the table shows medians. Run: `deno run -A bench/startup.ts [--runs=9] [--root=DIR]`
 * (`--root` measures another checkout of the library, e.g. an older commit unpacked
 * with `git archive`). `deno task bench` runs it after the throughput benchmarks.
 *
 * @module
 */
import { eagerGraph } from "../tests/_eager_graph.ts";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "9" }, root: { type: "string" } },
});
const RUNS = Number(values.runs);
const ROOT = values.root === undefined
  ? new URL("..", import.meta.url).pathname.replace(/\/$/, "")
  : Deno.realPathSync(values.root);
const CONFIG = `${ROOT}/deno.json`;
const DIR = Deno.makeTempDirSync({ prefix: "startup_bench_" });

function write(name: string, text: string): string {
  const path = `${DIR}/${name}`;
  Deno.writeTextFileSync(path, text);
  return path;
}

const MOD = `file://${ROOT}/mod.ts`;
const hasEffectEntry = exists(`${ROOT}/lib/effect.ts`);

const empty = write("empty.ts", "");
const quickstart = write(
  "quickstart.ts",
  `import { Pool } from "${MOD}";

export function square(x: number): number {
  return x * x;
}

if (import.meta.main) {
  await using pool = await Pool.open({ processes: 2 });
  console.log(await pool.map(square, [1, 2, 3, 4, 5]));
}
`,
);
const importMod = write(
  "import_mod.ts",
  `import { Pool } from "${MOD}";\nconsole.log(typeof Pool);\n`,
);
const importEffect = write(
  "import_effect.ts",
  `import { Pool } from "file://${ROOT}/lib/effect.ts";\nconsole.log(typeof Pool.make);\n`,
);
const cliTasks = write(
  "cli_tasks.ts",
  "export function square(x: number): number {\n  return x * x;\n}\n",
);
const python = write(
  "pool.py",
  `from multiprocessing import Pool


def square(x):
    return x * x


if __name__ == "__main__":
    with Pool(2) as pool:
        print(pool.map(square, [1, 2, 3, 4, 5]))
`,
);

// A pool of 2 is ready when each worker answered: each task waits for the other.
const MEET = `export function meet(cell: SharedArrayBuffer): number {
  const count = new Int32Array(cell);
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
  while (Atomics.load(count, 0) < 2) Atomics.wait(count, 0, Atomics.load(count, 0), 10);
  return 1;
}
`;
const readyMain = (taskImport: string) =>
  `import { Pool } from "${MOD}";
${taskImport}
${MEET.replace("export function meet", "function unused")}
if (import.meta.main) {
  const start = performance.now();
  await using pool = await Pool.open({ processes: 2 });
  const cell = new SharedArrayBuffer(4);
  await pool.map(meet, [cell, cell], { chunksize: 1 });
  console.log(performance.now() - start);
}
`;
const heavyReady = write(
  "ready_mod.ts",
  readyMain("").replace("function unused", "export function meet"),
);
write(
  "ready_light_task.ts",
  `import { currentProcess } from "file://${ROOT}/lib/worker/api.ts";\nvoid currentProcess;\n${MEET}`,
);
const lightReady = write(
  "ready_light.ts",
  readyMain('import { meet } from "./ready_light_task.ts";'),
);

interface Contender {
  readonly name: string;
  readonly cmd: string[];
  readonly stdin?: string;
  /** The program prints its own figure (ms) on its last line. */
  readonly inner?: boolean;
}

const deno = (...args: string[]) => [Deno.execPath(), "run", "-A", `--config=${CONFIG}`, ...args];
const FIVE_LINES = "1\n2\n3\n4\n5\n";

const contenders: Contender[] = [
  { name: "deno run of an empty program", cmd: deno(empty) },
  { name: "quickstart: Pool(2), map 5 items, exit", cmd: deno(quickstart) },
  { name: "import mod.ts", cmd: deno(importMod) },
  ...(hasEffectEntry
    ? [{ name: "import @multiprocessing/deno/effect", cmd: deno(importEffect) }]
    : []),
  {
    name: "cli.ts map over 5 lines",
    cmd: deno("--unstable-worker-options", `${ROOT}/cli.ts`, "map", cliTasks, "square"),
    stdin: FIVE_LINES,
  },
  { name: "cli.ts --help", cmd: deno(`${ROOT}/cli.ts`, "--help") },
  ...(commandExists("python3")
    ? [{ name: "Python 3 Pool(2).map of 5 items", cmd: ["python3", python] }]
    : []),
  {
    name: "pool of 2 ready, task module imports mod.ts (in-process)",
    cmd: deno(heavyReady),
    inner: true,
  },
  {
    name: "pool of 2 ready, task module imports only the worker entry (in-process)",
    cmd: deno(lightReady),
    inner: true,
  },
];

const TIME = exists("/usr/bin/time") ? "/usr/bin/time" : null;

async function runOnce(contender: Contender): Promise<{ ms: number; mib: number | null }> {
  const [program, ...args] = TIME ? [TIME, "-f", "%M", ...contender.cmd] : contender.cmd;
  const start = performance.now();
  const child = new Deno.Command(program!, {
    args,
    stdin: contender.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: DIR,
  }).spawn();
  if (contender.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(contender.stdin));
    await writer.close();
  }
  const output = await child.output();
  const wall = performance.now() - start;
  const out = new TextDecoder().decode(output.stdout).trim();
  const err = new TextDecoder().decode(output.stderr).trim();
  if (!output.success) throw new Error(`${contender.name} failed (${output.code}):\n${err}`);
  const kib = TIME ? Number(err.split("\n").at(-1)) : NaN;
  return {
    ms: contender.inner ? Number(out.split("\n").at(-1)) : wall,
    mib: Number.isFinite(kib) ? kib / 1024 : null,
  };
}

const samples = new Map<string, { ms: number[]; mib: number[] }>(
  contenders.map((c) => [c.name, { ms: [], mib: [] }]),
);
for (let round = 0; round <= RUNS; round++) {
  for (const contender of contenders) {
    const { ms, mib } = await runOnce(contender);
    if (round === 0) continue; // warm-up: fills Deno's caches
    samples.get(contender.name)!.ms.push(ms);
    if (mib !== null) samples.get(contender.name)!.mib.push(mib);
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

console.log(`\nStartup (${ROOT}), median of ${RUNS} interleaved runs:`);
const rows = contenders.map((c) => {
  const { ms, mib } = samples.get(c.name)!;
  return [
    c.name,
    `${median(ms).toFixed(0)} ms`,
    c.inner ? "—" : mib.length ? `${median(mib).toFixed(0)} MiB` : "n/a",
  ];
});
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) {
  console.log(`  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padStart(widths[1]!)}  ${row[2]}`);
}
const heavy = median(samples.get(contenders.at(-2)!.name)!.ms);
const light = median(samples.get(contenders.at(-1)!.name)!.ms);
console.log(`  pool ready, mod.ts / worker entry: ${(heavy / light).toFixed(2)}× (target ≤ 1.1×)`);
if (!commandExists("python3")) console.log("  (Python's row skipped: no python3 on PATH)");
if (TIME === null) console.log("  (peak memory skipped: no /usr/bin/time)");
console.log(`  ${await graphLine()}`);
Deno.removeSync(DIR, { recursive: true });

/** How many modules `mod.ts` loads eagerly (static code imports), and how many are Effect's. */
async function graphLine(): Promise<string> {
  const seen = await eagerGraph(`${ROOT}/mod.ts`, [`--config=${CONFIG}`]);
  const effect = seen.filter((s) => /^npm:\/?(@effect\/|effect@)/.test(s)).length;
  return `mod.ts loads ${seen.length} modules eagerly, ${effect} of them Effect entry points`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function commandExists(name: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => exists(`${dir}/${name}`));
}
