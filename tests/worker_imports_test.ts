import assert from "node:assert/strict";

const WORKER_DIR = new URL("../lib/worker/", import.meta.url);
const PROTOCOL = new URL("../lib/protocol.ts", import.meta.url).href;

/** Static imports, re-exports and literal dynamic imports in `source`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /(?:^|[\n;])\s*(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']/g,
    /(?:^|[\n;])\s*import\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

/** Every `.ts` file under `dir`, recursively. */
function moduleFiles(dir: URL): URL[] {
  const files: URL[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory) files.push(...moduleFiles(new URL(`${entry.name}/`, dir)));
    else if (/\.[cm]?[jt]sx?$/.test(entry.name)) files.push(new URL(entry.name, dir));
  }
  return files;
}

Deno.test("the import scanner sees static, re-export and dynamic imports", () => {
  const source = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    'export { c } from "effect";',
    'import "npm:side-effect";',
    'const d = await import("./d.ts");',
  ].join("\n");
  assert.deepEqual(
    specifiers(source).sort(),
    ["../b.ts", "./a.ts", "./d.ts", "effect", "npm:side-effect"].sort(),
  );
});

Deno.test("lib/worker/ imports nothing but itself and lib/protocol.ts", () => {
  const files = moduleFiles(WORKER_DIR);
  assert.ok(files.some((file) => file.href.endsWith("/entry.ts")), "entry.ts was not scanned");
  const offending: string[] = [];
  let protocolImports = 0;
  for (const file of files) {
    const name = file.href.slice(WORKER_DIR.href.length);
    for (const specifier of specifiers(Deno.readTextFileSync(file))) {
      if (specifier === "effect" || specifier.startsWith("effect/")) {
        offending.push(`${name} imports Effect ("${specifier}")`);
        continue;
      }
      if (!specifier.startsWith("./") && !specifier.startsWith("../")) {
        offending.push(`${name} imports "${specifier}" from outside lib/worker/`);
        continue;
      }
      const target = new URL(specifier, file).href;
      if (target === PROTOCOL) protocolImports++;
      else if (!target.startsWith(WORKER_DIR.href)) {
        offending.push(`${name} imports "${specifier}" from outside lib/worker/`);
      }
    }
  }
  assert.deepEqual(offending, []);
  assert.ok(protocolImports > 0, "no worker module imports ../protocol.ts: is the scan blind?");
});

Deno.test("lib/protocol.ts, shared with the worker side, imports nothing", () => {
  assert.deepEqual(specifiers(Deno.readTextFileSync(new URL(PROTOCOL))), []);
});

Deno.test("the subprocess child imports only the worker side, the protocol and frames", () => {
  const child = new URL("../lib/backend/subprocess_child.ts", import.meta.url);
  const frames = new URL("../lib/backend/_frames.ts", import.meta.url).href;
  const offending = specifiers(Deno.readTextFileSync(child)).filter((specifier) => {
    if (specifier.startsWith("node:")) return false;
    const target = new URL(specifier, child).href;
    return target !== PROTOCOL && target !== frames && !target.startsWith(WORKER_DIR.href);
  });
  assert.deepEqual(offending, []);
  assert.deepEqual(specifiers(Deno.readTextFileSync(new URL(frames))), []);
});

Deno.test("nothing under lib/ outside lib/cli/ imports lib/cli/", () => {
  const lib = new URL("../lib/", import.meta.url);
  const cli = new URL("../lib/cli/", import.meta.url).href;
  const offending: string[] = [];
  for (const file of moduleFiles(lib)) {
    if (file.href.startsWith(cli)) continue;
    for (const specifier of specifiers(Deno.readTextFileSync(file))) {
      if (new URL(specifier, file).href.startsWith(cli)) {
        offending.push(`${file.href.slice(lib.href.length)} imports "${specifier}"`);
      }
    }
  }
  assert.deepEqual(offending, []);
});
