/**
 * Startup: what a user feels first. Whole-process wall time, CPU time (user + system)
 * and peak memory (GNU `time`'s maximum resident set) of
 *
 * - the README's quickstart shape (the task in the main module, which imports the
 *   library): open a pool of 2, `map` 5 items, exit;
 * - `cli.ts map` over 5 lines and `cli.ts --help`;
 * - importing `mod.ts` alone, and the Effect entry alone;
 *
 * against two floors, `deno run` of an empty program and of a program that starts two
 * empty Web Workers and waits for one answer from each (what any pool of 2 costs), and
 * against Python's `Pool(2).map` of 5 items (when `python3` is on PATH). Also, measured
 * inside the program: a pool of 2 ready (each worker answered one task) when the task
 * module imports `mod.ts`, against the same pool when it imports only the worker entry.
 *
 * Each round runs every contender once, in turn (interleaved), after one warm-up round;
 * the table shows medians. Run: `deno run -A bench/startup.ts [--runs=9] [--root=DIR]...`.
 * `--root` measures another checkout of the library (e.g. an older commit unpacked with
 * `git archive`); given twice or more, the checkouts run in the same rounds and the
 * table has a column for each: before and after, measured alike. `deno task bench` runs
 * it after the throughput benchmarks.
 *
 * @module
 */
import { eagerGraph, readGraph } from "../tests/_eager_graph.ts";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "9" },
    root: { type: "string", multiple: true },
  },
});
const RUNS = Number(values.runs);
const HERE = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const ROOTS = (values.root ?? [HERE]).map((root) => Deno.realPathSync(root));
const DIR = Deno.makeTempDirSync({ prefix: "startup_bench_" });
const FIVE_LINES = "1\n2\n3\n4\n5\n";

function write(name: string, text: string): string {
  const path = `${DIR}/${name}`;
  Deno.writeTextFileSync(path, text);
  return path;
}

interface Contender {
  readonly name: string;
  readonly cmd: string[];
  readonly stdin?: string;
  /** The program prints its own figure (ms) on its last line. */
  readonly inner?: boolean;
}

const deno = (config: string, ...args: string[]) => [
  Deno.execPath(),
  "run",
  "-A",
  `--config=${config}`,
  ...args,
];

/** Programs that need no checkout of the library: the floors, and Python. */
function floors(): Contender[] {
  const config = `${ROOTS[0]}/deno.json`;
  const empty = write("empty.ts", "");
  write("empty_worker.js", "self.onmessage = (event) => self.postMessage(event.data);\n");
  const workers = write(
    "two_workers.ts",
    `const url = new URL("./empty_worker.js", import.meta.url).href;
const workers = [0, 1].map(() => new Worker(url, { type: "module" }));
await Promise.all(workers.map((worker, i) =>
  new Promise((answered) => {
    worker.onmessage = answered;
    worker.postMessage(i);
  })
));
for (const worker of workers) worker.terminate();
`,
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
  return [
    { name: "deno run of an empty program", cmd: deno(config, empty) },
    { name: "two empty Workers, one answer each, exit", cmd: deno(config, workers) },
    ...(commandExists("python3")
      ? [{ name: "Python 3 Pool(2).map of 5 items", cmd: ["python3", python] }]
      : []),
  ];
}

// A pool of 2 is ready when each worker answered: each task waits for the other.
const MEET = `export function meet(cell: SharedArrayBuffer): number {
  const count = new Int32Array(cell);
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
  while (Atomics.load(count, 0) < 2) Atomics.wait(count, 0, Atomics.load(count, 0), 10);
  return 1;
}
`;

/** The programs that measure one checkout, written to their own folder. */
function programs(root: string, index: number): Contender[] {
  const config = `${root}/deno.json`;
  const mod = `file://${root}/mod.ts`;
  const folder = `root${index}`;
  Deno.mkdirSync(`${DIR}/${folder}`);
  const file = (name: string, text: string) => write(`${folder}/${name}`, text);
  const quickstart = file(
    "quickstart.ts",
    `import { Pool } from "${mod}";

export function square(x: number): number {
  return x * x;
}

if (import.meta.main) {
  await using pool = await Pool.open({ processes: 2 });
  console.log(await pool.map(square, [1, 2, 3, 4, 5]));
}
`,
  );
  const importMod = file(
    "import_mod.ts",
    `import { Pool } from "${mod}";\nconsole.log(typeof Pool);\n`,
  );
  const importEffect = file(
    "import_effect.ts",
    `import { Pool } from "file://${root}/lib/effect.ts";\nconsole.log(typeof Pool.make);\n`,
  );
  const cliTasks = file(
    "cli_tasks.ts",
    "export function square(x: number): number {\n  return x * x;\n}\n",
  );
  const readyMain = (taskImport: string) =>
    `import { Pool } from "${mod}";
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
  const heavyReady = file(
    "ready_mod.ts",
    readyMain("").replace("function unused", "export function meet"),
  );
  file(
    "ready_light_task.ts",
    `import { currentProcess } from "file://${root}/lib/worker/api.ts";\nvoid currentProcess;\n${MEET}`,
  );
  const lightReady = file(
    "ready_light.ts",
    readyMain('import { meet } from "./ready_light_task.ts";'),
  );
  return [
    { name: "quickstart: Pool(2), map 5 items, exit", cmd: deno(config, quickstart) },
    { name: "import mod.ts", cmd: deno(config, importMod) },
    ...(exists(`${root}/lib/effect.ts`)
      ? [{ name: "import @multiprocessing/deno/effect", cmd: deno(config, importEffect) }]
      : []),
    {
      name: "cli.ts map over 5 lines",
      cmd: deno(config, "--unstable-worker-options", `${root}/cli.ts`, "map", cliTasks, "square"),
      stdin: FIVE_LINES,
    },
    { name: "cli.ts --help", cmd: deno(config, `${root}/cli.ts`, "--help") },
    { name: READY_HEAVY, cmd: deno(config, heavyReady), inner: true },
    { name: READY_LIGHT, cmd: deno(config, lightReady), inner: true },
  ];
}
const READY_HEAVY = "pool of 2 ready, task module imports mod.ts (in-process)";
const READY_LIGHT = "pool of 2 ready, task module imports only the worker entry (in-process)";

const TIME = exists("/usr/bin/time") ? "/usr/bin/time" : null;

interface Sample {
  readonly ms: number;
  readonly cpu: number | null;
  readonly mib: number | null;
}

async function runOnce(contender: Contender): Promise<Sample> {
  const [program, ...args] = TIME ? [TIME, "-f", "%U %S %M", ...contender.cmd] : contender.cmd;
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
  const [user, system, kib] = TIME ? err.split("\n").at(-1)!.split(" ").map(Number) : [];
  return {
    ms: contender.inner ? Number(out.split("\n").at(-1)) : wall,
    cpu: user === undefined || system === undefined ? null : (user + system) * 1000,
    mib: kib === undefined ? null : kib / 1024,
  };
}

const columns: { label: string; contenders: Contender[] }[] = [
  { label: "floors", contenders: floors() },
  ...ROOTS.map((root, i) => ({
    label: ROOTS.length === 1 ? root : `#${i + 1}`,
    contenders: programs(root, i),
  })),
];
const samples = new Map<Contender, Sample[]>();
const loads: number[] = [];
for (let round = 0; round <= RUNS; round++) {
  for (const { contenders } of columns) {
    for (const contender of contenders) {
      const sample = await runOnce(contender);
      if (round === 0) continue; // warm-up: fills Deno's caches
      samples.set(contender, [...samples.get(contender) ?? [], sample]);
    }
  }
  loads.push(loadAverage());
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** "312 ms, 180 ms CPU, 71 MiB" (the in-process figures have only the time). */
function cell(contender: Contender): string {
  const all = samples.get(contender)!;
  const ms = `${median(all.map((s) => s.ms)).toFixed(0)} ms`;
  if (contender.inner) return ms;
  const cpu = all.flatMap((s) => (s.cpu === null ? [] : [s.cpu]));
  const mib = all.flatMap((s) => (s.mib === null ? [] : [s.mib]));
  return [
    ms,
    ...(cpu.length ? [`${median(cpu).toFixed(0)} ms CPU`] : []),
    ...(mib.length ? [`${median(mib).toFixed(0)} MiB`] : []),
  ].join(", ");
}

const loadText = `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`;
console.log(`\nStartup: median of ${RUNS} interleaved runs (${loadText}):`);
for (const [i, root] of ROOTS.entries()) if (ROOTS.length > 1) console.log(`  #${i + 1} = ${root}`);
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) {
    console.log(`  ${row.map((text, i) => text.padEnd(widths[i]!)).join("  ")}`);
  }
};
table(columns[0]!.contenders.map((floor) => [floor.name, cell(floor)]));
const measured = columns.slice(1);
console.log();
table([
  ["", ...measured.map((c) => c.label)],
  ...measured[0]!.contenders.map(({ name }) => [
    name,
    ...measured.map(({ contenders }) => {
      const contender = contenders.find((c) => c.name === name);
      return contender === undefined ? "—" : cell(contender);
    }),
  ]),
]);
for (const { label, contenders } of measured) {
  const inner = (name: string) =>
    median(samples.get(contenders.find((c) => c.name === name)!)!.map((s) => s.ms));
  const ratio = inner(READY_HEAVY) / inner(READY_LIGHT);
  console.log(
    `  ${label}: pool ready, mod.ts / worker entry: ${ratio.toFixed(2)}× (target ≤ 1.1×)`,
  );
}
if (!commandExists("python3")) console.log("  (Python's row skipped: no python3 on PATH)");
if (TIME === null) console.log("  (CPU time and peak memory skipped: no /usr/bin/time)");
for (const [i, root] of ROOTS.entries()) {
  console.log(`  ${ROOTS.length > 1 ? `#${i + 1}: ` : ""}${await graphLine(root)}`);
}
Deno.removeSync(DIR, { recursive: true });

/**
 * How many modules `mod.ts` loads eagerly and reads at start, what `cli.ts` reads, how
 * many more a pool loads, which are `node:`.
 */
async function graphLine(root: string): Promise<string> {
  const flags = [`--config=${root}/deno.json`];
  const mod = await eagerGraph(`${root}/mod.ts`, flags);
  const read = await readGraph(`${root}/mod.ts`, flags);
  const cli = await readGraph(`${root}/cli.ts`, flags);
  const effect = mod.filter((s) => /^npm:\/?(@effect\/|effect@)/.test(s)).length;
  const engine = await eagerGraph(`${root}/lib/engine.ts`, flags);
  const more = engine.filter((s) => !mod.includes(s));
  const node = more.filter((s) => s.startsWith("node:"));
  return `mod.ts loads ${mod.length} modules eagerly (${effect} of Effect) and reads ` +
    `${read.length} (its literal import()s' graphs too); cli.ts reads ${cli.length}; the first pool ` +
    `${more.length} more (the engine and backends), ${node.length} of them node: (${
      node.join(", ") || "none"
    })`;
}

function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
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
