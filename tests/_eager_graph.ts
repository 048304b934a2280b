/**
 * What a module loads eagerly when imported: its static code imports, transitively, as
 * `deno info --json` reports them (dynamic imports left out). And what Deno reads when
 * it loads a module: the same plus every `import()` written with a string literal, whose
 * graph Deno reads up front even if it never runs (`lib/load_later.ts`). Shared by the
 * tests and the startup benchmark that check what a worker or the CLI loads.
 *
 * @module
 */

interface Info {
  readonly roots: string[];
  readonly redirects: Record<string, string>;
  readonly modules: {
    readonly specifier: string;
    readonly dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
  }[];
}

/**
 * The specifiers `module` (a path or URL) loads eagerly, itself included.
 *
 * @param module The module to follow.
 * @param flags Extra `deno info` flags (`--config=...`).
 * @throws {Error} `deno info` failed; its stderr is the message.
 */
export function eagerGraph(module: string, flags: string[] = []): Promise<string[]> {
  return graphOf(module, flags, false);
}

/**
 * The specifiers Deno reads when it loads `module` (a path or URL): its eager graph and
 * the graphs of literal `import()`s, transitively; type-only imports left out.
 *
 * @param module The module to follow.
 * @param flags Extra `deno info` flags (`--config=...`).
 * @throws {Error} `deno info` failed; its stderr is the message.
 */
export function readGraph(module: string, flags: string[] = []): Promise<string[]> {
  return graphOf(module, flags, true);
}

async function graphOf(module: string, flags: string[], dynamic: boolean): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...flags, module],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as Info;
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const pending = [...info.roots];
  while (pending.length > 0) {
    const raw = pending.pop()!;
    const specifier = info.redirects[raw] ?? raw;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dependency.code && (dynamic || dependency.isDynamic !== true)) {
        pending.push(dependency.code.specifier);
      }
    }
  }
  return [...seen];
}
