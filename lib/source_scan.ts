/**
 * Reads a module's source text to learn what it exports and imports, without importing
 * it (a module still running its top-level `await` cannot be imported again: that would
 * wait forever). Regular expressions are enough here because every answer is checked
 * again by the worker against the function's source text.
 *
 * @module
 */

/** What one module's text says about its bindings. */
export interface ModuleScan {
  /** Local binding name -> exported name. */
  readonly exports: ReadonlyMap<string, string>;
  /** Local binding name -> where it was imported from. */
  readonly imports: ReadonlyMap<string, { readonly specifier: string; readonly name: string }>;
  /** Namespace imports (`import * as ns from "x"`): their specifiers. */
  readonly namespaces: readonly string[];
  /**
   * Exported name -> where it is re-exported from: `export { a as b } from "x"` gives
   * `b -> { x, a }`; `export * as ns from "x"` gives `ns -> { x, "*" }`.
   */
  readonly reexports: ReadonlyMap<string, { readonly specifier: string; readonly name: string }>;
  /** `export * from "x"`: their specifiers, in order. */
  readonly stars: readonly string[];
}

const cache = new Map<string, ModuleScan | null>();

/** Scans the module at `url`; `null` when its source cannot be read (remote, no permission). */
export function scanModule(url: string): ModuleScan | null {
  if (cache.has(url)) return cache.get(url)!;
  let scan: ModuleScan | null = null;
  if (url.startsWith("file:")) {
    try {
      scan = scanSource(Deno.readTextFileSync(new URL(url)));
    } catch {
      scan = null;
    }
  }
  cache.set(url, scan);
  return scan;
}

const IDENT = String.raw`[A-Za-z_$][\w$]*`;
const DECLARED = new RegExp(
  String
    .raw`(^|[\n;])\s*export\s+(default\s+)?(?:async\s+)?(?:function\s*\*?|const|let|var|class)\s*(${IDENT})`,
  "g",
);
const EXPORT_LIST = /(^|[\n;])\s*export\s*(type\s*)?\{([^}]*)\}(\s*from\s*(?:["']([^"']+)["'])?)?/g;
const EXPORT_STAR = new RegExp(
  String.raw`(^|[\n;])\s*export\s*(type\s*)?\*\s*(?:as\s+(${IDENT}|"[^"]*"|'[^']*')\s*)?` +
    String.raw`from\s*["']([^"']+)["']`,
  "g",
);
const IMPORT = /(^|[\n;])\s*import\s+(type\s+)?([^"';]*?)\s*from\s*["']([^"']+)["']/g;

/** Scans source text. */
export function scanSource(source: string): ModuleScan {
  const exports = new Map<string, string>();
  for (const match of source.matchAll(DECLARED)) {
    const local = match[3]!;
    exports.set(local, match[2] ? "default" : local);
  }
  const reexports = new Map<string, { specifier: string; name: string }>();
  for (const match of source.matchAll(EXPORT_LIST)) {
    if (match[2]) continue; // type-only
    if (match[4]) {
      // A re-export binds nothing here: remember where each name comes from.
      const specifier = match[5];
      if (specifier === undefined) continue;
      for (const [imported, exported] of listEntries(match[3]!)) {
        if (!reexports.has(exported)) reexports.set(exported, { specifier, name: imported });
      }
      continue;
    }
    for (const [local, exported] of listEntries(match[3]!)) exports.set(local, exported);
  }
  const stars: string[] = [];
  for (const match of source.matchAll(EXPORT_STAR)) {
    if (match[2]) continue;
    const specifier = match[4]!;
    const alias = match[3]?.replace(/^["']|["']$/g, "");
    if (alias === undefined) stars.push(specifier);
    else if (!reexports.has(alias)) reexports.set(alias, { specifier, name: "*" });
  }
  const imports = new Map<string, { specifier: string; name: string }>();
  const namespaces: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    if (match[2]) continue;
    const clause = match[3]!.trim();
    const specifier = match[4]!;
    const braces = clause.match(/\{([^}]*)\}/);
    if (braces) {
      for (const [imported, local] of listEntries(braces[1]!)) {
        // The first import of a name is the real one; a later match may sit in a string.
        if (!imports.has(local)) imports.set(local, { specifier, name: imported });
      }
    }
    const namespace = clause.match(new RegExp(String.raw`\*\s*as\s+(${IDENT})`));
    if (namespace) namespaces.push(specifier);
    const defaultName = clause.match(new RegExp(String.raw`^(${IDENT})\s*(,|$)`));
    if (defaultName && defaultName[1] !== "type") {
      if (!imports.has(defaultName[1]!)) {
        imports.set(defaultName[1]!, { specifier, name: "default" });
      }
    }
  }
  return { exports, imports, namespaces, reexports, stars };
}

/** `a, b as c, type d` -> [["a", "a"], ["b", "c"]]: [name before `as`, name after]. */
function listEntries(list: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const raw of list.split(",")) {
    const entry = raw.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "").trim();
    if (entry === "" || entry.startsWith("type ")) continue;
    const [before, after] = entry.split(/\s+as\s+/);
    entries.push([before!.trim(), (after ?? before!).trim()]);
  }
  return entries;
}

/** An export to import a function by: the module and the name it exports it under. */
export interface FoundExport {
  /** The module's URL. */
  readonly module: string;
  /** The name the module exports the function under. */
  readonly export: string;
}

/** Modules read at most while following one module's re-exports: a bound on odd graphs. */
const MAX_MODULES = 200;

/**
 * Under which export of the module at `url` a function declared as `name` can be
 * imported, following re-exports (`export { f } from`, `export { f as g } from`,
 * `export * from`, chains of them, and imports exported again), or `null`. A function
 * in a namespace re-exported whole (`export * as ns from "x"`) is found in `x`.
 */
export function findExport(url: string, name: string): FoundExport | null {
  return findIn(url, name, new Set());
}

function findIn(url: string, name: string, seen: Set<string>): FoundExport | null {
  if (seen.has(url) || seen.size >= MAX_MODULES) return null;
  seen.add(url);
  const scan = scanModule(url);
  if (scan === null) return null;
  // The module's own declaration first: the common case, and no other file is read.
  const own = scan.exports.get(name);
  if (own !== undefined) return { module: url, export: own };
  for (const exported of exportedNames(url, new Set())) {
    if (originOf(url, exported, new Set())?.local === name) {
      return { module: url, export: exported };
    }
  }
  for (const from of scan.reexports.values()) {
    if (from.name !== "*") continue;
    const target = resolveSpecifier(from.specifier, url);
    const found = target === null ? null : findIn(target, name, seen);
    if (found !== null) return found;
  }
  return null;
}

/** Every name the module at `url` exports, re-exports included (`*` skips `default`). */
function exportedNames(url: string, seen: Set<string>): Set<string> {
  const names = new Set<string>();
  const scan = seen.has(url) || seen.size >= MAX_MODULES ? null : scanModule(url);
  if (scan === null) return names;
  seen.add(url);
  for (const exported of scan.exports.values()) names.add(exported);
  for (const exported of scan.reexports.keys()) names.add(exported);
  for (const specifier of scan.stars) {
    const target = resolveSpecifier(specifier, url);
    if (target === null) continue;
    for (const exported of exportedNames(target, seen)) {
      if (exported !== "default") names.add(exported);
    }
  }
  return names;
}

/**
 * Where the export `exported` of the module at `url` is declared, following
 * re-exports: that module and the binding's name there (a function declaration's name
 * is the function's `name`); `null` when the search cannot see it.
 */
export function declarationOf(
  url: string,
  exported: string,
): { module: string; local: string } | null {
  return originOf(url, exported, new Set());
}

function originOf(
  url: string,
  exported: string,
  seen: Set<string>,
): { module: string; local: string } | null {
  const key = `${exported} ${url}`;
  if (seen.has(key) || seen.size >= MAX_MODULES) return null;
  seen.add(key);
  const scan = scanModule(url);
  if (scan === null) return null;
  for (const [local, name] of scan.exports) {
    if (name !== exported) continue;
    const imported = scan.imports.get(local);
    if (imported === undefined) return { module: url, local };
    // An import exported again: declared where it was imported from, if that is
    // readable; else this is as far as the search sees.
    const target = resolveSpecifier(imported.specifier, url);
    return (target === null ? null : originOf(target, imported.name, seen)) ??
      { module: url, local };
  }
  const from = scan.reexports.get(exported);
  if (from !== undefined) {
    const target = from.name === "*" ? null : resolveSpecifier(from.specifier, url);
    return target === null ? null : originOf(target, from.name, seen);
  }
  if (exported === "default") return null;
  for (const specifier of scan.stars) {
    const target = resolveSpecifier(specifier, url);
    const found = target === null ? null : originOf(target, exported, seen);
    if (found !== null) return found;
  }
  return null;
}

/** Resolves an import specifier written in the module at `from`. */
export function resolveSpecifier(specifier: string, from: string): string | null {
  try {
    if (/^\.{0,2}\//.test(specifier)) return new URL(specifier, from).href;
    if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return specifier;
    return import.meta.resolve(specifier);
  } catch {
    return null;
  }
}
