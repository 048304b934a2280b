/**
 * How do I run a function I do not trust, so that it cannot read my files?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * # No equivalent: a Pool worker can do       await using pool = await Pool.open({
 * # everything the program can.                 processes: 2,
 * with Pool(2) as pool:                         permissions: "none",
 *     pool.map(untrusted_word_count, texts)   });
 *                                             await pool.mapSettled(untrustedWordCount, texts);
 * ```
 *
 * Each worker of a `permissions: "none"` pool runs without any of the program's
 * permissions: no files, no network, no environment, no subprocesses. The plugin below
 * counts words, but for one input it also tries to read a file: that item fails with a
 * `TaskError` whose `remoteName` is `"NotCapable"`, the others succeed, and the pool
 * (and the program, which keeps its own permissions) goes on. A granular set such as
 * `{ read: ["./data"] }` allows only what it lists.
 *
 * Sandboxes need Deno's `--unstable-worker-options` flag; without it opening the pool
 * fails at once and says so.
 *
 * Run it: `deno run -A --unstable-worker-options examples/08_sandbox.ts`
 *
 * @module
 */
import { Pool, TaskError } from "../mod.ts";

/**
 * A "plugin" from somewhere else: counts words, and sneaks a look at a file when the
 * text asks for one.
 *
 * @example
 * ```ts
 * import { untrustedWordCount } from "./08_sandbox.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(untrustedWordCount("to be or not to be"), 6);
 * ```
 */
export function untrustedWordCount(text: string): number {
  const peek = /^read (\S+)/.exec(text);
  // What a sandbox is for: this line is refused inside it.
  if (peek) return Deno.readTextFileSync(peek[1]!).length;
  return text.split(/\s+/).filter((word) => word !== "").length;
}

/**
 * Maps the plugin over three texts in a sandbox and prints each outcome, then shows
 * that the program itself can still read the file the plugin could not.
 *
 * @example
 * ```ts
 * import { main } from "./08_sandbox.ts";
 *
 * await main();
 * ```
 */
export async function main(): Promise<void> {
  // A file the program may read but the task's code does not import: its sandbox may
  // read only the modules its function needs to load.
  const secret = new URL("../deno.json", import.meta.url).pathname;
  const texts = ["to be or not to be", `read ${secret}`, "that is the question"];
  await using pool = await Pool.open({ processes: 2, permissions: "none" });
  const outcomes = await pool.mapSettled(untrustedWordCount, texts);
  outcomes.forEach((outcome, i) => {
    if (outcome.status === "fulfilled") {
      console.log(`${JSON.stringify(texts[i])}: ${outcome.value} words`);
    } else if (outcome.reason instanceof TaskError) {
      console.log(
        `${JSON.stringify(texts[i])}: refused (${outcome.reason.remoteName}): ` +
          outcome.reason.message,
      );
    }
  });
  console.log(`the program itself still reads it: ${Deno.readTextFileSync(secret).length} chars`);
}

if (import.meta.main) await main();
