/**
 * The command line's fast path (`lib/cli/fast.ts`): `--help`, `info` and plain `map`
 * answer without loading effect/cli, and say exactly what effect/cli says.
 *
 * @module
 */
import assert from "node:assert/strict";
import { eagerGraph } from "./_eager_graph.ts";
import { HELP_TEXTS } from "../lib/cli/help_texts.ts";
import { helpOf, parseMap } from "../lib/cli/fast.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const EFFECT_CLI = new URL("./fixtures/effect_cli.ts", import.meta.url).pathname;
const COMMANDS = ["", "map", "run", "demo", "bench", "info", "runner"];

async function run(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-worker-options", script, ...args],
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "", FORCE_COLOR: "", ...env },
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
  }
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("every command's --help on the fast path is effect/cli's, byte for byte", async () => {
  const effect = await Promise.all(
    COMMANDS.map((command) => run(EFFECT_CLI, command ? [command, "--help"] : ["--help"])),
  );
  COMMANDS.forEach((command, i) => {
    const expected = effect[i]!;
    assert.equal(expected.code, 0, expected.stderr);
    const shown = command ? `'${command} --help'` : "'--help'";
    assert.equal(
      helpOf(command ? [command, "--help"] : ["--help"]),
      expected.stdout,
      `${shown} changed in effect/cli: paste into lib/cli/help_texts.ts under ` +
        `${JSON.stringify(command)}: ${JSON.stringify(expected.stdout)}`,
    );
  });
  assert.deepEqual(Object.keys(HELP_TEXTS).sort(), [...COMMANDS].sort());
});

Deno.test("cli.ts --help and <command> -h print the fast path's text and exit 0", async () => {
  const root = await run(CLI, ["--help"]);
  assert.equal(root.code, 0);
  assert.equal(root.stdout, HELP_TEXTS[""]);
  const info = await run(CLI, ["info", "-h"]);
  assert.equal(info.code, 0);
  assert.equal(info.stdout, HELP_TEXTS["info"]);
});

Deno.test("help that effect/cli would color (FORCE_COLOR) still comes from effect/cli", async () => {
  const [fast, effect] = await Promise.all([
    run(CLI, ["map", "--help"], { FORCE_COLOR: "1", TERM: "xterm" }),
    run(EFFECT_CLI, ["map", "--help"], { FORCE_COLOR: "1", TERM: "xterm" }),
  ]);
  assert.equal(fast.code, 0);
  assert.equal(fast.stdout, effect.stdout);
  assert.notEqual(fast.stdout, HELP_TEXTS["map"]);
});

Deno.test("cli.ts loads no Effect module before it knows it needs effect/cli", async () => {
  const graph = await eagerGraph(CLI);
  assert.deepEqual(graph.filter((s) => /^npm:\/?(@effect\/|effect@)/.test(s)), []);
});

Deno.test("map's plain forms do on the fast path what they do through effect/cli", async () => {
  const tasks = new URL("./fixtures/cli_tasks.ts", import.meta.url).pathname;
  const forms: [string[], string][] = [
    [["map", tasks, "square", "-j", "2", "--chunksize=2", "-q"], "1\n2\n3\n"],
    [["map", "-k", tasks, "squareNonNegative", "--processes", "1", "--quiet"], "4\n-1\n5\n"],
    [["map", tasks, "length", "--raw", "-q", "--retries=0"], "ab\nabc\n"],
    [["map", tasks, "add", "--star", "-q", "--backend", "worker"], "[2, 3]\n[4, 5]\n"],
    [["map", tasks, "squareNonNegative", "-q"], "-2\n"],
  ];
  for (const [args, input] of forms) {
    const [fast, effect] = await Promise.all([
      run(CLI, args, {}, input),
      run(EFFECT_CLI, args, {}, input),
    ]);
    assert.deepEqual(fast, effect, args.join(" "));
  }
});

Deno.test("cli.ts map reads no timer or other global that starts Deno's Node layer", async () => {
  const tasks = new URL("./fixtures/cli_tasks.ts", import.meta.url).pathname;
  const watch = new URL("./fixtures/node_layer_watch.ts", import.meta.url).pathname;
  const ran = await run(
    `--preload=${watch}`,
    [CLI, "map", tasks, "square", "-j", "2"],
    {},
    "1\n2\n3\n",
  );
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, "1\n4\n9\n");
  assert.match(ran.stderr, /^node-layer-globals: \[\]$/m);
});

Deno.test("map's plain forms parse as effect/cli reads them", () => {
  assert.deepEqual(
    parseMap(["work.ts", "square", "-j", "2", "--chunksize=3", "-k", "--raw", "-o", "out"]),
    {
      module: "work.ts",
      exportName: "square",
      input: null,
      output: "out",
      raw: true,
      unordered: false,
      star: false,
      keepGoing: true,
      processes: 2,
      chunksize: 3,
      timeout: null,
      retries: null,
      progress: "auto",
      permissions: "inherit",
      backend: "worker",
    },
  );
  assert.equal(parseMap(["-q", "work.ts", "square"])?.progress, "never");
  assert.equal(parseMap(["work.ts", "square", "--backend", "subprocess"])?.backend, "subprocess");
});

Deno.test("map arguments the fast path is not sure of go to effect/cli", () => {
  for (
    const args of [
      ["work.ts"], // a missing export: effect/cli names it
      ["work.ts", "square", "extra"],
      ["work.ts", "square", "-j", "x"], // effect/cli's own message for a bad number
      ["work.ts", "square", "-j", "-1"],
      ["work.ts", "square", "-j", "1.5"],
      ["work.ts", "square", "-j"],
      ["work.ts", "square", "-j", "1", "-j", "2"],
      ["work.ts", "square", "--raw", "--raw"],
      ["work.ts", "square", "--raw=yes"],
      ["work.ts", "square", "--sandbox"],
      ["work.ts", "square", "--allow-read=."],
      ["work.ts", "square", "--backend", "cluster"],
      ["work.ts", "square", "--nope"],
      ["work.ts", "square", "--"],
      ["work.ts", "square", "-i", "-"],
      ["work.ts", "square", "--help"],
    ]
  ) {
    assert.equal(parseMap(args), null, args.join(" "));
  }
});

Deno.test("bad map usage on the fast path's doorstep keeps effect/cli's message and code 2", async () => {
  const tasks = new URL("./fixtures/cli_tasks.ts", import.meta.url).pathname;
  const [fast, effect] = await Promise.all([
    run(CLI, ["map", tasks, "square", "-j", "x"]),
    run(EFFECT_CLI, ["map", tasks, "square", "-j", "x"]),
  ]);
  assert.equal(fast.code, 2);
  assert.equal(fast.stderr, effect.stderr);
});
