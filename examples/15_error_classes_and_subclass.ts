/**
 * Errors keep their class, and a `Process` subclass (Python's `class P(Process)`).
 *
 *     deno run -A examples/15_error_classes_and_subclass.ts
 */
import { Pool, Process, type ProcessBaseOptions, registerError } from "../mod.ts";

/** A task's own error class: registered once, it comes back as itself. */
export class ParseError extends Error {
  readonly _tag = "ParseError";
  constructor(readonly line: number) {
    super(`cannot parse line ${line}`);
  }
}
registerError(ParseError);

export function parse(line: number, text: string): number {
  const value = Number(text);
  if (Number.isNaN(value)) throw new ParseError(line);
  return value;
}

/** State set in the constructor is there in the child, where run() runs. */
export class Summer extends Process<() => number> {
  readonly upTo: number;
  constructor(options: ProcessBaseOptions & { upTo: number }) {
    super(options);
    this.upTo = options.upTo;
  }
  override run(): number {
    let total = 0;
    for (let i = 1; i <= this.upTo; i++) total += i;
    return total;
  }
}

if (import.meta.main) {
  {
    await using pool = await Pool.open({ processes: 2 });
    try {
      await pool.starmap(parse, [[1, "10"], [2, "x"]]);
    } catch (error) {
      if (error instanceof ParseError) console.log(`ParseError on line ${error.line}`);
      else throw error;
    }
  }
  const summer = new Summer({ upTo: 100 });
  await summer.start();
  console.log(`sum computed in ${summer.name}: ${await summer.join()}`);
}
