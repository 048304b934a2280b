/**
 * The README's "Install" section, run: its `deno add` line (and the import map line it
 * writes), its main.ts with the flags its table gives for each feature, its deno.json
 * for a sandbox, and its line that runs the CLI from JSR. Everything is read from
 * README.md, so the section cannot drift from what works.
 *
 * JSR cannot be reached from here, so a stand-in registry serves this checkout as the
 * published package (tests/fixtures/testing_jsr_stand_in.ts), and every `deno` below
 * runs with `JSR_URL` pointing at it and a `DENO_DIR` of its own (whose npm cache is
 * the usual one), so that nothing of the stand-in lands in the real module cache.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const CONFIG = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
  name: string;
  version: string;
};
const NAME = CONFIG.name;
const README = await Deno.readTextFile(new URL("README.md", ROOT));

/** The text of the README's "## Install" section. */
function installSection(): string {
  const start = README.indexOf("\n## Install\n");
  assert.ok(start >= 0, "README.md has no '## Install' section");
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

const SECTION = installSection();
const BLOCKS = [...SECTION.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, lang, text]) => ({
  lang: lang!,
  text: text!,
}));

/** The section's code blocks in `lang`. */
function blocks(lang: string): string[] {
  return BLOCKS.filter((block) => block.lang === lang).map((block) => block.text);
}

/** The one shell line of the section that `matches`. */
function shellLine(matches: (line: string) => boolean): string {
  const lines = blocks("sh").flatMap((text) => text.split("\n")).filter(matches);
  assert.equal(lines.length, 1, `expected one such shell line in README Install: ${lines}`);
  return lines[0]!;
}

/** The flags the section's table gives for the row whose first cell includes `feature`. */
function flagsFor(feature: string): { flags: string[]; config: string } {
  const row = SECTION.split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()))
    .find((cells) => cells[0]!.includes(feature));
  assert.ok(row !== undefined, `the Install table has no row for ${feature}`);
  const code = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map(([, text]) => text!);
  return {
    flags: code(row[1]!).flatMap((text) => text.split(" ")),
    config: code(row[2]!)[0] ?? "",
  };
}

/** main.ts as the README shows it. */
const MAIN = blocks("ts").find((text) => text.startsWith("// main.ts\n"));

/** The stand-in registry, and the environment that points `deno` at it. */
async function startStandIn() {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./fixtures/testing_jsr_stand_in.ts", import.meta.url).pathname],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  const jsrUrl = text.match(/^JSR_URL=(\S+)$/m)?.[1];
  assert.ok(jsrUrl !== undefined, `the JSR stand-in did not start: ${text}`);
  const { npmCache } = JSON.parse(
    new TextDecoder().decode(
      (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output()).stdout,
    ),
  ) as { npmCache: string };
  const denoDir = await Deno.makeTempDir({ prefix: "install_test_deno_dir_" });
  await Deno.symlink(npmCache, `${denoDir}/npm`);
  return {
    env: { JSR_URL: jsrUrl, DENO_DIR: denoDir, NO_COLOR: "1" },
    async stop() {
      child.kill();
      await child.status;
      await Deno.remove(`${denoDir}/npm`); // the link, not the shared cache
      await Deno.remove(denoDir, { recursive: true });
    },
  };
}

const STAND_IN = await startStandIn();
Deno.test.afterAll(() => STAND_IN.stop());

/** Runs a shell line of the README in `folder`, against the stand-in. */
async function sh(
  line: string,
  folder: string,
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command("sh", {
    args: ["-c", line],
    cwd: folder,
    env: { ...STAND_IN.env, PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}` },
    stdin: "null",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  // Deno says what it downloads the first time (the workers' modules are not in the
  // static graph), as it does from jsr.io.
  const err = text(stderr).split("\n").filter((line) => !line.startsWith("Download ")).join("\n");
  return { code, out: text(stdout), err };
}

/** Runs `deno run <flags> main.ts` in `folder`. */
function runMain(flags: readonly string[], folder: string) {
  return sh(["deno run", ...flags, "main.ts"].join(" "), folder);
}

/**
 * Runs `body` in a new project folder holding `main` as main.ts and, unless null,
 * `config` as deno.json; with `add`, after the README's `deno add` line ran there.
 */
async function inProject(
  options: { main: string; config?: string; add?: boolean },
  body: (folder: string) => Promise<void>,
): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "install_test_" });
  try {
    await Deno.writeTextFile(`${folder}/main.ts`, options.main);
    if (options.config !== undefined) {
      await Deno.writeTextFile(`${folder}/deno.json`, options.config);
    }
    if (options.add) {
      const added = await sh(ADD, folder);
      assert.equal(added.code, 0, `${ADD} failed:\n${added.err}`);
    }
    await body(folder);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

const ADD = shellLine((line) => line.startsWith("deno add "));
const SQUARES = "[ 1, 4, 9 ]\n";

Deno.test("README Install: `deno add` writes the import map line the README shows", async () => {
  assert.equal(ADD, `deno add jsr:${NAME}`);
  const shown = JSON.parse(blocks("json")[0]!);
  assert.deepEqual(shown, { imports: { [NAME]: `jsr:${NAME}@^${CONFIG.version}` } });
  await inProject({ main: MAIN!, add: true }, async (folder) => {
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${folder}/deno.json`)), shown);
    // The other entries come with that one line, as the README says.
    await Deno.writeTextFile(
      `${folder}/entries.ts`,
      `import { currentProcess } from "${NAME}/worker";\n` +
        `import { assertNoLiveWorkers } from "${NAME}/testing";\n` +
        `console.log(currentProcess().name, typeof assertNoLiveWorkers);\n`,
    );
    const entries = await sh("deno run entries.ts", folder);
    assert.deepEqual(entries, { code: 0, out: "MainProcess function\n", err: "" });
  });
});

Deno.test("README Install: main.ts runs with the README's command, by the name `deno add` maps and by a direct jsr: import", async () => {
  assert.ok(MAIN?.includes(`from "${NAME}";`), "README Install shows no main.ts importing it");
  const command = shellLine((line) => line.startsWith("deno run") && line.endsWith(" main.ts"));
  assert.deepEqual(command.split(" ").slice(2, -1), flagsFor("(default)").flags);
  await inProject({ main: MAIN!, add: true }, async (folder) => {
    assert.deepEqual(await sh(command, folder), { code: 0, out: SQUARES, err: "" });
  });
  const direct = SECTION.match(/`(import \{ Pool \} from "jsr:[^"]+";)`/)?.[1];
  assert.equal(direct, `import { Pool } from "jsr:${NAME}";`);
  const directMain = MAIN!.replace(/^import \{ Pool \} from "[^"]+";$/m, direct);
  assert.notEqual(directMain, MAIN);
  await inProject({ main: directMain }, async (folder) => {
    assert.deepEqual(await sh(command, folder), { code: 0, out: SQUARES, err: "" });
  });
});

Deno.test("README Install: without the table's --allow-read, main.ts fails and names the flag", async () => {
  await inProject({ main: MAIN!, add: true }, async (folder) => {
    const { code, err } = await runMain(["--no-prompt"], folder);
    assert.notEqual(code, 0);
    assert.match(err, /--allow-read/);
  });
});

Deno.test("README Install: the subprocess backend runs with the table's flags", async () => {
  const { flags } = flagsFor('`backend: "subprocess"`');
  const main = MAIN!.replace("Pool.open()", 'Pool.open({ backend: "subprocess" })');
  assert.notEqual(main, MAIN);
  await inProject({ main, add: true }, async (folder) => {
    assert.deepEqual(await runMain(flags, folder), { code: 0, out: SQUARES, err: "" });
  });
});

Deno.test("README Install: a sandbox runs with the table's flag, or with the README's deno.json", async () => {
  const { flags, config } = flagsFor("(a sandbox)");
  assert.equal(config, '"unstable": ["worker-options"]');
  const main = MAIN!.replace("Pool.open()", 'Pool.open({ permissions: "none" })');
  assert.notEqual(main, MAIN);
  const withSetting = blocks("json").find((text) => text.includes(config));
  assert.ok(withSetting !== undefined, "README Install shows no deno.json with the setting");
  const readOnly = flags.filter((flag) => flag !== "--unstable-worker-options");
  await inProject({ main, add: true }, async (folder) => {
    assert.deepEqual(await runMain(flags, folder), { code: 0, out: SQUARES, err: "" });
    // Neither the flag nor the setting: refused before any worker starts.
    const refused = await runMain(readOnly, folder);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /--unstable-worker-options/);
  });
  await inProject({ main, config: withSetting }, async (folder) => {
    assert.deepEqual(await runMain(readOnly, folder), { code: 0, out: SQUARES, err: "" });
  });
});

Deno.test("README Install: the CLI runs straight from JSR with the table's flags", async () => {
  const line = shellLine((text) => text.includes(`jsr:${NAME}/cli`));
  assert.match(line, new RegExp(`deno run ${flagsFor("the CLI").flags.join(" ")} jsr:`));
  await inProject({ main: MAIN!, add: true }, async (folder) => {
    const { code, out, err } = await sh(line, folder);
    assert.equal(code, 0, err);
    assert.equal(out, "1\n4\n9\n");
  });
});
