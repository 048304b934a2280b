/**
 * Runs `deno run -A <args>` as a child and gives what it printed: for tests that need a
 * fresh program (what it loads at start, how it exits).
 *
 * @module
 */

/** What a child `deno run` did. */
export interface Ran {
  readonly success: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `deno run -A ...args` and waits for it to end, or kills it after `timeoutMs`
 * (for a program that might never end if what the test checks broke).
 *
 * @param args Flags, then the script (paths are used as given), then its arguments.
 */
export async function denoRun(args: string[], timeoutMs?: number): Promise<Ran> {
  const stop = new AbortController();
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop.abort(), timeoutMs);
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...args],
      stdout: "piped",
      stderr: "piped",
      signal: stop.signal,
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return {
      success: output.success,
      stdout: decode(output.stdout),
      stderr: decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}
