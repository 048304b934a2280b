/**
 * Registers benchmarks with `Deno.bench` and, when the bench module unloads, prints each
 * workload's median beside its group's baseline, the ratio, and the target it is judged
 * by. Deno's own table ranks by mean, which one slow run on a shared machine can swing;
 * the median holds still. Quick workloads run `interleaved`: each iteration runs the
 * baseline and its contenders once, in turn, so a busy spell of the machine slows all of
 * them rather than whichever happened to be running.
 *
 * @module
 */

/** What a workload must reach against its group's baseline (or, for `underMs`, alone). */
export type Target =
  /** Baseline median / this median: how much of the baseline's throughput it keeps. */
  | { readonly throughputAtLeast: number }
  /** This median / baseline median: how much longer it takes. */
  | { readonly timeAtMost: number }
  /** This median, in milliseconds. */
  | { readonly underMs: number };

/** One benchmark: `Deno.bench`'s fields plus the target it is judged by. */
export interface Workload {
  readonly group: string;
  readonly name: string;
  readonly fn: () => unknown;
  /** The group's baseline: the raw floor the others are measured against. */
  readonly baseline?: boolean;
  readonly target?: Target;
  /** Measured runs and warm-up runs, when Deno's defaults would take too long. */
  readonly n?: number;
  readonly warmup?: number;
}

interface Entry {
  readonly workload: Workload;
  /** Every run's duration in ms, warm-up included. */
  readonly runs: number[];
}

const entries: Entry[] = [];

/** Keeps `list` for the report, which runs once, when the bench module unloads. */
function remember(list: Entry[]): void {
  if (entries.length === 0) globalThis.addEventListener("unload", report);
  entries.push(...list);
}

/** Registers `workload` with `Deno.bench`, timing each run for the median report. */
export function bench(workload: Workload): void {
  const runs: number[] = [];
  remember([{ workload, runs }]);
  const { group, name, fn, baseline = false, n, warmup } = workload;
  Deno.bench({
    group,
    name,
    baseline,
    ...(n === undefined ? {} : { n }),
    ...(warmup === undefined ? {} : { warmup }),
    async fn() {
      const start = performance.now();
      await fn();
      runs.push(performance.now() - start);
    },
  });
}

/** One contender of an `interleaved` group. */
export type Member = Omit<Workload, "group" | "n" | "warmup">;

/**
 * Registers one `Deno.bench` for `group` whose every iteration runs each member once,
 * starting from a different member each time; each member's runs are timed apart for
 * the report. The first `warmup` iterations are not recorded.
 */
export function interleaved(
  group: string,
  members: readonly Member[],
  { n, warmup }: { readonly n: number; readonly warmup: number },
): void {
  const list = members.map((member): Entry => ({ workload: { group, ...member }, runs: [] }));
  remember(list);
  let iteration = 0;
  Deno.bench({
    group,
    name: `${list.length} contenders interleaved, one run each per iteration`,
    n,
    warmup,
    async fn() {
      const turn = iteration++;
      for (let i = 0; i < list.length; i++) {
        const { workload, runs } = list[(turn + i) % list.length]!;
        const start = performance.now();
        await workload.fn();
        if (turn >= warmup) runs.push(performance.now() - start);
      }
    },
  });
}

/** The median of `values` (which it sorts). */
export function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

function report(): void {
  const ran = entries.filter((entry) => entry.runs.length > 0);
  if (ran.length === 0) return;
  console.log("\nMedians (every run; ratios against the group's baseline, same run):");
  for (const group of new Set(ran.map((entry) => entry.workload.group))) {
    const members = ran.filter((entry) => entry.workload.group === group);
    const base = members.find((entry) => entry.workload.baseline);
    const baseMs = base ? median(base.runs) : null;
    console.log(`  ${group}`);
    for (const { workload, runs } of members) {
      const ms = median(runs);
      const parts = [`    ${workload.name}: ${formatMs(ms)} (${runs.length} runs)`];
      if (workload.baseline) parts.push("baseline");
      else if (baseMs !== null) {
        parts.push(`${(baseMs / ms).toFixed(2)}x the baseline's throughput`);
      }
      if (workload.target) parts.push(verdict(workload.target, ms, baseMs));
      console.log(parts.join(", "));
    }
  }
}

function verdict(target: Target, ms: number, baseMs: number | null): string {
  if ("underMs" in target) {
    return `target < ${target.underMs} ms: ${ms < target.underMs ? "met" : "MISSED"}`;
  }
  if (baseMs === null) return "no baseline ran";
  if ("throughputAtLeast" in target) {
    const ratio = baseMs / ms;
    return `target >= ${target.throughputAtLeast}x: ${
      ratio >= target.throughputAtLeast ? "met" : "MISSED"
    }`;
  }
  const ratio = ms / baseMs;
  return `${ratio.toFixed(2)}x the time, target <= ${target.timeAtMost}x: ${
    ratio <= target.timeAtMost ? "met" : "MISSED"
  }`;
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`;
}
