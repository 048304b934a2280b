/**
 * Which files a sandbox must be allowed to read so that its runtime can load a task
 * module, and nothing more.
 *
 * Inside a sandbox a module loaded by a computed `import(url)` is checked against the
 * sandbox's own permissions, every file of its graph; a worker's start-up graph (its
 * main module, static and literal dynamic imports) is not: it is loaded with the
 * parent's. So sandboxes start from the library's own modules only, the runtime loads
 * task modules by a computed `import()`, and the sandbox's read list gets exactly the
 * local JavaScript/TypeScript files of each task module's static graph, found here
 * with `deno info --json` (run with the program's configuration, so its import map
 * resolves). Anything else a task imports (JSON, text or bytes, a file that is not
 * code, a dynamic import outside that graph) is then refused by Deno itself, before a
 * byte of it is read. `deno info`'s own output never leaves this module: its errors
 * may quote file content.
 *
 * @module
 */
import { configFlags } from "../deno_cmdline.ts";
import type { Permissions } from "../permissions.ts";

/** Media types a module loader runs as code. */
const CODE = new Set([
  "JavaScript",
  "Mjs",
  "Cjs",
  "JSX",
  "Jsx",
  "TypeScript",
  "Mts",
  "Cts",
  "Dts",
  "Dmts",
  "Dcts",
  "TSX",
  "Tsx",
]);

/** What a sandbox must be allowed so that a task module's static graph loads. */
export interface CodeGraph {
  /** Local files of the graph's code modules: the sandbox's `read` list. */
  readonly files: readonly string[];
  /** Hosts (`host:port`) of its remote code modules: the sandbox's `import` list. */
  readonly hosts: readonly string[];
}

const EMPTY: CodeGraph = { files: [], hosts: [] };

/** Graphs found so far in this program, per module URL. */
const graphs = new Map<string, Promise<CodeGraph>>();

/**
 * Whether a sandbox with `permissions` needs the graph of its task modules: all but a
 * sandbox that may read every file anyway.
 *
 * @param permissions A validated sandbox (not `"inherit"`).
 * @returns `true` unless `permissions.read` is `true`.
 *
 * @example
 * ```ts
 * import { needsGraph } from "./sandbox_graph.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(needsGraph("none"), true);
 * assert.equal(needsGraph({ read: true }), false);
 * ```
 */
export function needsGraph(permissions: Exclude<Permissions, "inherit">): boolean {
  return permissions === "none" || permissions.read !== true;
}

/**
 * Checks that this program may run `deno info` (`Deno.execPath()`), which a sandbox
 * needs to learn its task modules' files. Never prompts.
 *
 * @param action What was being done, for the message ("start a sandboxed worker").
 * @throws {Deno.errors.NotCapable} The program may not run `deno`; the message names
 *   the flag to add.
 *
 * @example
 * ```ts
 * import { checkGraphAccess } from "./sandbox_graph.ts";
 *
 * checkGraphAccess("start a sandboxed worker"); // this doc test runs with -A
 * ```
 */
export function checkGraphAccess(action: string): void {
  const deno = Deno.execPath();
  const state = Deno.permissions.querySync({ name: "run", command: deno }).state;
  if (state === "granted") return;
  throw new Deno.errors.NotCapable(
    `Cannot ${action} as a sandbox needs to run \`deno info\` to learn which files its ` +
      `task modules may read, and this program may not run ${deno} (${state}): run it ` +
      `with --allow-run=${deno} (or --allow-run), or give the sandbox 'read: true'`,
  );
}

/**
 * The local code files of `module`'s static graph (itself, and what it imports
 * statically, transitively), as paths for a read list, and the hosts of its remote
 * modules, for an import list. Found once per module in this program. A module
 * `deno info` cannot resolve gives nothing: loading it in the sandbox then fails with
 * Deno's own "Requires read access", which quotes nothing.
 *
 * @param module A task module's URL.
 * @returns The paths and hosts to grant.
 *
 * @example
 * ```ts
 * import { codeFiles } from "./sandbox_graph.ts";
 * import assert from "node:assert/strict";
 *
 * const graph = await codeFiles(new URL("./sandbox_graph.ts", import.meta.url).href);
 * assert.ok(graph.files.some((file) => file.endsWith("deno_cmdline.ts")));
 * assert.deepEqual(graph.hosts, []);
 * ```
 */
export function codeFiles(module: string): Promise<CodeGraph> {
  let found = graphs.get(module);
  if (found === undefined) {
    found = staticGraph(module);
    graphs.set(module, found);
  }
  return found;
}

interface InfoModule {
  readonly specifier?: unknown;
  readonly kind?: unknown;
  readonly mediaType?: unknown;
  readonly local?: unknown;
  readonly error?: unknown;
  readonly dependencies?: readonly {
    readonly isDynamic?: unknown;
    readonly code?: { readonly specifier?: unknown };
    readonly type?: { readonly specifier?: unknown };
  }[];
}

async function staticGraph(root: string): Promise<CodeGraph> {
  let text: string;
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", ...configFlags(), root],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!output.success) return EMPTY;
    text = new TextDecoder().decode(output.stdout);
  } catch {
    return EMPTY;
  }
  let modules: Map<string, InfoModule>;
  let redirects: Record<string, unknown>;
  try {
    const info = JSON.parse(text) as {
      modules?: InfoModule[];
      redirects?: Record<string, unknown>;
    };
    modules = new Map((info.modules ?? []).map((m) => [String(m.specifier), m]));
    redirects = info.redirects ?? {};
  } catch {
    return EMPTY;
  }
  const files: string[] = [];
  const hosts = new Set<string>();
  const seen = new Set<string>();
  const todo = [root];
  while (todo.length > 0) {
    let specifier = todo.pop()!;
    const target = redirects[specifier];
    if (typeof target === "string") specifier = target;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    const found = modules.get(specifier);
    // Only code that loads, reached by static edges; everything else is left to Deno.
    if (
      found === undefined || found.error !== undefined || found.kind !== "esm" ||
      !CODE.has(String(found.mediaType))
    ) continue;
    if (specifier.startsWith("file:") && typeof found.local === "string") files.push(found.local);
    else if (/^https?:/.test(specifier)) hosts.add(new URL(specifier).host);
    for (const dependency of found.dependencies ?? []) {
      if (dependency.isDynamic === true) continue;
      for (const edge of [dependency.code, dependency.type]) {
        if (typeof edge?.specifier === "string") todo.push(edge.specifier);
      }
    }
  }
  return { files, hosts: [...hosts] };
}
