import assert from "node:assert/strict";

const LIB = new URL("../lib/", import.meta.url);

/**
 * Which folders each layer may import from. The worker side (the Web Worker runtime and
 * the subprocess child) and the Effect-free layers it stands on never reach the main
 * side; none of them imports Effect.
 */
const LAYERS: Record<string, readonly string[]> = {
  "shared/": ["shared/"],
  "comms/": ["comms/", "shared/"],
  "worker/": ["worker/", "comms/", "shared/"],
  "worker_effect/": ["worker_effect/", "worker/", "comms/", "shared/"],
};

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

/**
 * The worker side's one Effect module, in a folder of its own: the runner of the Effect
 * an Effect-native task returns. It may import Effect; `lib/worker/` reaches it only by
 * a literal dynamic `import()` (checked below), so a worker whose tasks return no
 * Effect never loads it.
 */
const EFFECT_RUNNER = new URL("worker_effect/effect_task.ts", LIB).href;

/** Where `specifier`, imported by `file`, breaks the layer rules of `layer`, or null. */
function breach(layer: string, file: URL, specifier: string): string | null {
  if (specifier === "effect" || specifier.startsWith("effect/")) {
    return layer === "worker_effect/" ? null : "imports Effect";
  }
  if (specifier.startsWith("node:")) return null;
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return "imports a package";
  const target = new URL(specifier, file).href;
  if (layer === "worker/" && target === EFFECT_RUNNER) return null; // dynamic only: see below
  const allowed = LAYERS[layer]!.some((folder) => target.startsWith(new URL(folder, LIB).href));
  return allowed ? null : `imports outside ${LAYERS[layer]!.map((f) => `lib/${f}`).join(", ")}`;
}

for (const layer of Object.keys(LAYERS)) {
  Deno.test(`lib/${layer} imports only ${LAYERS[layer]!.map((f) => `lib/${f}`).join(", ")}`, () => {
    const files = moduleFiles(new URL(layer, LIB));
    assert.ok(files.length > (layer === "worker_effect/" ? 0 : 2), `lib/${layer} was not scanned`);
    const offending: string[] = [];
    let imports = 0;
    for (const file of files) {
      for (const specifier of specifiers(Deno.readTextFileSync(file))) {
        imports++;
        const problem = breach(layer, file, specifier);
        if (problem) {
          offending.push(`${file.href.slice(LIB.href.length)} ${problem}: "${specifier}"`);
        }
      }
    }
    assert.deepEqual(offending, []);
    if (layer !== "shared/") {
      assert.ok(imports > 0, `no imports seen in lib/${layer}: is the scan blind?`);
    }
  });
}

Deno.test("the layer rules catch a worker module that imports the main side or Effect", () => {
  const file = new URL("worker/runtime.ts", LIB);
  assert.equal(breach("worker/", file, "../comms/queue.ts"), null);
  assert.match(breach("worker/", file, "../engine.ts")!, /imports outside lib\/worker\//);
  assert.match(
    breach("shared/", new URL("shared/protocol.ts", LIB), "../comms/wire.ts")!,
    /outside/,
  );
  assert.equal(breach("comms/", new URL("comms/queue.ts", LIB), "effect/Effect"), "imports Effect");
});

Deno.test("the worker runtime and the subprocess child are in lib/worker/", () => {
  for (const name of ["entry.ts", "runtime.ts", "subprocess_child.ts"]) {
    assert.ok(Deno.statSync(new URL(`worker/${name}`, LIB)).isFile, name);
  }
});

Deno.test("the main side names worker-side modules only as URLs to start, never imports them", () => {
  const workerSide = [new URL("worker/", LIB).href, new URL("worker_effect/", LIB).href];
  const layered = Object.keys(LAYERS).map((folder) => new URL(folder, LIB).href);
  const offending: string[] = [];
  for (const file of moduleFiles(LIB)) {
    if (layered.some((folder) => file.href.startsWith(folder))) continue;
    for (const specifier of specifiers(Deno.readTextFileSync(file))) {
      if (!specifier.startsWith(".")) continue;
      const target = new URL(specifier, file).href;
      if (workerSide.some((folder) => target.startsWith(folder))) {
        offending.push(`${file.href.slice(LIB.href.length)} imports "${specifier}"`);
      }
    }
  }
  assert.deepEqual(offending, []);
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

Deno.test("the Effect runner of the worker side is imported only dynamically", () => {
  const importers = new Set<string>();
  for (const file of moduleFiles(LIB)) {
    const source = Deno.readTextFileSync(file);
    const names = (text: string) =>
      specifiers(text).filter((specifier) => new URL(specifier, file).href === EFFECT_RUNNER);
    if (names(source).length === 0) continue;
    importers.add(file.href.slice(LIB.href.length));
    // With every literal `import("...")` taken out, no import of it may be left.
    const withoutDynamic = source.replace(/\bimport\s*\(\s*["'`][^"'`]+["'`]\s*\)/g, "");
    assert.deepEqual(names(withoutDynamic), [], `${file.href} imports the runner statically`);
  }
  assert.deepEqual([...importers], ["worker/task_outcome.ts"]);
  assert.equal(
    breach("worker/", new URL("worker/runtime.ts", LIB), "effect/Effect"),
    "imports Effect",
    "only the runner itself may import Effect",
  );
});

Deno.test("only the backend factory chooses by backend name; elsewhere traits are read", () => {
  const factory = new URL("backend/endpoint.ts", LIB).href;
  const byName =
    /[!=]==\s*"(?:subprocess|cluster)"|"(?:subprocess|cluster)"\s*[!=]==|case\s+"(?:worker|subprocess|cluster)"/;
  const offending: string[] = [];
  for (const file of moduleFiles(LIB)) {
    if (file.href === factory) continue;
    Deno.readTextFileSync(file).split("\n").forEach((line, index) => {
      if (byName.test(line)) offending.push(`${file.href.slice(LIB.href.length)}:${index + 1}`);
    });
  }
  assert.deepEqual(offending, []);
  assert.ok(byName.test(Deno.readTextFileSync(new URL(factory))), "the factory was not seen");
});
