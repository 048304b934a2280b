/**
 * Sandboxes that hold, tried as an attacker would, on both backends:
 * - no file content reaches a sandboxed task through any form of import (literal or
 *   computed `import()`; JSON, text, bytes; a file that is not code imported as
 *   JavaScript, `/proc/self/environ` included; static imports of all of these; a code
 *   module outside the task module's static graph), neither as a value nor in an error;
 * - a sandboxed Web Worker cannot change state that belongs to the whole program
 *   (signals, its pid, stdin and terminal, working directory, umask, environment,
 *   nested workers, Deno's internals); a subprocess child can change its own, which
 *   stays in the child;
 * - a sandboxed task module may use the program's import map, on both backends;
 * - a sandbox needs `deno info`: without `--allow-run` it is refused at open time.
 *
 * The attacking modules that import the secret by a literal specifier are written at
 * test time beside a temporary secret, as JavaScript (so that type checking never sees
 * them); the others are in tests/fixtures/sandbox_attack_*.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fromModule, Pool, type PoolOptions } from "../mod.ts";
import { liveWorkers } from "../lib/backend/web_worker.ts";
import { computedImport } from "./fixtures/sandbox_attack_computed.ts";
import { changeOwnState, operationNames, tryOperation } from "./fixtures/sandbox_attack_process.ts";
import { nameAndDouble } from "./fixtures/sandbox_attack_import_map.ts";

const BACKENDS = ["worker", "subprocess"] as const;
const SECRET = `MPSECRET${crypto.randomUUID().replaceAll("-", "")}`;
const MARKER = `MPMARKER${crypto.randomUUID().replaceAll("-", "")}`;

/** The modules that import the secret by literal specifiers, by file name. */
const ATTACKS: Record<string, string> = {
  "literal.js": `
    async function attempt(load) {
      try {
        const loaded = await load();
        const text = (v) => v instanceof Uint8Array ? new TextDecoder().decode(v) : v;
        return "loaded: " + JSON.stringify({ ...loaded, default: text(loaded.default) });
      } catch (error) {
        return "refused: " + error.name + ": " + error.message;
      }
    }
    export const literalJson = () =>
      attempt(() => import("./secret.json", { with: { type: "json" } }));
    export const literalText = () =>
      attempt(() => import("./secret.txt", { with: { type: "text" } }));
    export const literalBytes = () =>
      attempt(() => import("./secret.txt", { with: { type: "bytes" } }));
    export const literalAsCode = () => attempt(() => import("./secret.txt"));
    export const literalModule = () => attempt(() => import("./secret_module.ts"));
    export const literalEnviron = () => attempt(() => import("/proc/self/environ"));
  `,
  "static_json.js":
    `import secret from "./secret.json" with { type: "json" }; export const leak = () => secret;`,
  "static_text.js":
    `import secret from "./secret.txt" with { type: "text" }; export const leak = () => secret;`,
  "static_bytes.js": `import secret from "./secret.txt" with { type: "bytes" };
    export const leak = () => new TextDecoder().decode(secret);`,
  "static_code.js": `import "./secret.txt"; export const leak = () => "loaded";`,
  "static_module.js":
    `import { secret } from "./secret_module.ts"; export const leak = () => secret;`,
  "static_environ.js": `import "/proc/self/environ"; export const leak = () => "loaded";`,
};

/** A folder with the secret in several forms and the attacking modules; removed by `using`. */
function secretFolder(): { dir: string; url: (name: string) => URL; [Symbol.dispose](): void } {
  const dir = Deno.makeTempDirSync({ prefix: "sandbox_attacks_" });
  Deno.writeTextFileSync(`${dir}/secret.json`, JSON.stringify({ secret: SECRET }));
  Deno.writeTextFileSync(`${dir}/secret.txt`, `${SECRET} is not code\n`);
  Deno.writeTextFileSync(`${dir}/secret_module.ts`, `export const secret = "${SECRET}";\n`);
  for (const [name, source] of Object.entries(ATTACKS)) {
    Deno.writeTextFileSync(`${dir}/${name}`, source);
  }
  return {
    dir,
    url: (name) => new URL(`file://${dir}/${name}`),
    [Symbol.dispose]: () => Deno.removeSync(dir, { recursive: true }),
  };
}

/** Everything a call's outcome shows: its value, or its error's messages, causes, stacks. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    return `value: ${JSON.stringify(await call)}`;
  } catch (error) {
    const parts: string[] = [];
    for (let at: unknown = error; at !== undefined && at !== null; at = (at as Error).cause) {
      parts.push(at instanceof Error ? `${at.name}: ${at.message}\n${at.stack}` : String(at));
      if (!(at instanceof Error)) break;
    }
    return `error: ${parts.join("\ncaused by ")}`;
  }
}

function assertNothingLeaks(what: string, seen: string): void {
  assert.ok(!seen.includes(SECRET), `${what} read the secret file: ${seen}`);
  assert.ok(!seen.includes(MARKER), `${what} read the environment: ${seen}`);
}

/** Runs `body` with the marker in this program's environment (children inherit it). */
async function withMarker(body: () => Promise<void>): Promise<void> {
  Deno.env.set("MP_SANDBOX_MARKER", MARKER);
  try {
    await body();
  } finally {
    Deno.env.delete("MP_SANDBOX_MARKER");
  }
}

for (const backend of BACKENDS) {
  Deno.test(`${backend}: no file content reaches a sandboxed task through a literal import()`, () =>
    withMarker(async () => {
      using files = secretFolder();
      await using pool = await Pool.open({ processes: 1, permissions: "none", backend });
      const names = [
        "literalJson",
        "literalText",
        "literalBytes",
        "literalAsCode",
        "literalModule",
        "literalEnviron",
      ];
      for (const name of names) {
        const task = fromModule<() => string>(files.url("literal.js"), name);
        const seen = await outcome(pool.apply(task, []));
        assertNothingLeaks(name, seen);
        assert.match(seen, /refused: /, `${name}: ${seen}`);
      }
    }));

  Deno.test(`${backend}: no file content reaches a sandboxed task through a computed import()`, () =>
    withMarker(async () => {
      using files = secretFolder();
      await using pool = await Pool.open({ processes: 1, permissions: "none", backend });
      const forms: [string, string | null][] = [
        [files.url("secret.json").href, "json"],
        [files.url("secret.txt").href, "text"],
        [files.url("secret.txt").href, "bytes"],
        [files.url("secret.txt").href, null],
        [files.url("secret_module.ts").href, null],
        ["file:///proc/self/environ", null],
      ];
      for (const [url, type] of forms) {
        const seen = await outcome(pool.apply(computedImport, [url, type]));
        assertNothingLeaks(`import(${url}, ${type})`, seen);
        assert.match(seen, /refused: /, `${url} (${type}): ${seen}`);
      }
    }));

  Deno.test(`${backend}: a task module that statically imports what is not its code never loads`, () =>
    withMarker(async () => {
      using files = secretFolder();
      await using pool = await Pool.open({ processes: 1, permissions: "none", backend });
      const modules = [
        "static_json.js",
        "static_text.js",
        "static_bytes.js",
        "static_code.js",
        "static_environ.js",
      ];
      for (const name of modules) {
        const task = fromModule<() => unknown>(files.url(name), "leak");
        const seen = await outcome(pool.apply(task, []));
        assertNothingLeaks(name, seen);
        assert.match(seen, /^error: /, `${name} loaded: ${seen}`);
      }
      // Its own code files it may read: a module importing another code module works.
      const task = fromModule<() => string>(files.url("static_module.js"), "leak");
      assert.equal(await pool.apply(task, []), SECRET);
    }));
}

const ALL_OPERATIONS = operationNames();

Deno.test("a sandboxed Web Worker cannot change the program's process-wide state", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sandbox_attacks_cwd_" });
  const cwd = Deno.cwd();
  Deno.env.set("MP_SANDBOX_KEEP", "kept");
  try {
    const sandboxes: NonNullable<PoolOptions["permissions"]>[] = [
      "none",
      // What Deno itself would allow: the lock must refuse anyway.
      { read: [dir], env: true, sys: ["umask"] },
    ];
    for (const permissions of sandboxes) {
      await using pool = await Pool.open({ processes: 1, permissions });
      for (const name of ALL_OPERATIONS) {
        const result = await pool.apply(tryOperation, [name, dir]);
        assert.match(
          result,
          /^NotCapable: .*sandboxed worker/,
          `${name} with ${JSON.stringify(permissions)}: ${result}`,
        );
      }
    }
    assert.equal(Deno.cwd(), cwd);
    assert.equal(Deno.env.get("MP_SANDBOX_PROBE"), undefined);
    assert.equal(Deno.env.get("MP_SANDBOX_KEEP"), "kept");
  } finally {
    Deno.env.delete("MP_SANDBOX_KEEP");
    Deno.removeSync(dir, { recursive: true });
  }
  assert.equal(liveWorkers(), 0);
});

Deno.test("a sandboxed subprocess changes only its own working directory and environment", async () => {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "sandbox_attacks_cwd_" }));
  const cwd = Deno.cwd();
  try {
    await using pool = await Pool.open({
      processes: 1,
      backend: "subprocess",
      permissions: { read: [dir], env: true },
    });
    assert.deepEqual(await pool.apply(changeOwnState, [dir]), [dir, "set by a task"]);
    assert.equal(Deno.cwd(), cwd);
    assert.equal(Deno.env.get("MP_SANDBOX_PROBE"), undefined);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

for (const backend of BACKENDS) {
  Deno.test(`${backend}: a sandboxed task module may use the program's import map`, async () => {
    await using pool = await Pool.open({ processes: 1, permissions: "none", backend });
    const results = await pool.map(nameAndDouble, [1, 2]);
    assert.deepEqual(results.map(([, doubled]) => doubled), [2, 4]);
    assert.ok(results.every(([name]) => name.length > 0), JSON.stringify(results));
  });
}

Deno.test("a sandbox without --allow-run for deno info is refused at open time", async () => {
  const root = new URL("..", import.meta.url);
  const dir = Deno.makeTempDirSync({ prefix: "sandbox_attacks_script_" });
  try {
    const script = `${dir}/script.ts`;
    Deno.writeTextFileSync(
      script,
      `import { Pool } from "${new URL("mod.ts", root).href}";
       try {
         const pool = await Pool.open({ processes: 1, permissions: "none" });
         await pool.terminate();
         console.log("opened");
       } catch (error) {
         console.log(error.name + ": " + error.message);
       }`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--config=${new URL("deno.json", root).pathname}`,
        `--allow-read=${root.pathname},${dir}`,
        "--unstable-worker-options",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.match(out, /^NotCapable: Cannot start a sandboxed worker as .*deno info.*--allow-run=/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
