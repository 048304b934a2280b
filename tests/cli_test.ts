/**
 * The command line and the runnable examples, run as a user runs them: as
 * subprocesses of this Deno, reading their exit code, stdout and stderr.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const CLI = new URL("cli.ts", ROOT).pathname;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function deno(args: string[]): Promise<Run> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT.pathname,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function cli(...args: string[]): Promise<Run> {
  return deno(["run", "-A", "--unstable-worker-options", CLI, ...args]);
}

const PROCESS_LINES = [1, 2, 3, 4].map((n) => `Process Process-${n}: ${n}`);

Deno.test("cli demo runs every classic example under its question and exits 0", async () => {
  const run = await cli("demo");
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split("\n");
  const headings = [
    "How do I run a function in its own process?",
    "How do four processes each print their name?",
    "How do I map a function over a list on every core?",
    "How does the Effect face cancel work?",
  ];
  const positions = headings.map((heading) => lines.indexOf(`## ${heading}`));
  assert.ok(positions.every((at) => at >= 0), `a heading is missing:\n${run.stdout}`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, "headings out of order");
  assert.ok(lines.includes("hello bob from Process-1"), run.stdout);
  for (const line of PROCESS_LINES) assert.ok(lines.includes(line), `no '${line}'`);
  assert.ok(lines.includes("[ 1, 4, 9, 16, 25 ]"), run.stdout);
  assert.ok(lines.some((line) => line.includes("[ 36, 49, 64 ] (the pool still serves)")));
});

Deno.test("cli demo prints each example's output under its own heading", async () => {
  const { stdout } = await cli("demo");
  const sections = stdout.split(/^## /m).slice(1);
  assert.equal(sections.length, 4);
  assert.match(sections[0]!, /hello bob from Process-1/);
  for (const line of PROCESS_LINES) assert.ok(sections[1]!.includes(line));
  assert.match(sections[2]!, /^\[ 1, 4, 9, 16, 25 \]$/m);
  assert.match(sections[3]!, /interrupted after 100 ms/);
});

Deno.test("cli info --json gives the versions, the cores and worker permissions", async () => {
  const run = await cli("info", "--json");
  assert.equal(run.code, 0, run.stderr);
  const info = JSON.parse(run.stdout);
  assert.equal(info.deno, Deno.version.deno);
  assert.equal(info.v8, Deno.version.v8);
  assert.equal(info.cores, navigator.hardwareConcurrency);
  assert.equal(info.name, "@multiprocessing/deno");
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(typeof info.workerPermissionsSource, "string");
  if (Deno.build.os === "linux") {
    assert.equal(info.workerPermissions, true);
    assert.match(info.workerPermissionsSource, /--unstable-worker-options on the command line/);
  }
});

Deno.test("cli info reports worker permissions unavailable without the flag", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const run = await deno(["run", "-A", CLI, "info", "--json"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).workerPermissions, false);
});

Deno.test("cli info prints aligned key: value lines", async () => {
  const run = await cli("info");
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  const valueColumns = new Set(lines.map((line) => line.search(/(?<=:\s+)\S/)));
  assert.equal(valueColumns.size, 1, `values not aligned:\n${run.stdout}`);
  assert.ok(lines.includes(`deno:               ${Deno.version.deno}`), run.stdout);
  assert.ok(lines.some((line) => /^cores: +\d+$/.test(line)));
  assert.ok(
    lines.some((line) => /^worker permissions: +(available|unavailable|unknown)/.test(line)),
  );
});

Deno.test("cli --help prints usage and examples on stdout and exits 0", async () => {
  const run = await cli("--help");
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
  assert.match(run.stdout, /USAGE/);
  assert.match(run.stdout, /demo/);
  assert.match(run.stdout, /info/);
  assert.match(run.stdout, /EXAMPLES/);
});

Deno.test("cli <command> --help documents that command with an example", async () => {
  for (const command of ["demo", "info"]) {
    const run = await cli(command, "--help");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`multiprocessing ${command}`));
    assert.match(run.stdout, new RegExp(`EXAMPLES[\\s\\S]*cli\\.ts ${command}`));
  }
  assert.match((await cli("info", "--help")).stdout, /--json/);
});

Deno.test("cli rejects an unknown command with one line on stderr and exit code 2", async () => {
  const run = await cli("no-such-command");
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /Unknown subcommand "no-such-command"/);
  assert.match(lines[0]!, /--help/);
});

Deno.test("cli rejects an unknown flag with one line on stderr and exit code 2", async () => {
  const run = await cli("info", "--no-such-flag");
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /--no-such-flag/);
});

Deno.test("cli without a command shows usage on stderr and exits 2", async () => {
  const run = await cli();
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, /a command is required/);
});

Deno.test("examples/02_four_processes.ts run alone prints one line per process", async () => {
  const run = await deno(["run", "-A", new URL("examples/02_four_processes.ts", ROOT).pathname]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split("\n").sort();
  assert.deepEqual(lines, PROCESS_LINES);
});
