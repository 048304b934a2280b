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
const EXPORT_LIST = /(^|[\n;])\s*export\s*(type\s*)?\{([^}]*)\}(\s*from\b)?/g;
const IMPORT = /(^|[\n;])\s*import\s+(type\s+)?([^"';]*?)\s*from\s*["']([^"']+)["']/g;

/** Scans source text. */
export function scanSource(source: string): ModuleScan {
  const exports = new Map<string, string>();
  for (const match of source.matchAll(DECLARED)) {
    const local = match[3]!;
    exports.set(local, match[2] ? "default" : local);
  }
  for (const match of source.matchAll(EXPORT_LIST)) {
    if (match[2] || match[4]) continue; // type-only, or a re-export with no local binding
    for (const [local, exported] of listEntries(match[3]!)) exports.set(local, exported);
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
  return { exports, imports, namespaces };
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
