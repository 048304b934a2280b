/**
 * Input of `map`: lines of a byte stream, numbered from 1, read lazily (a file of a
 * million lines is never held whole), and each parsed as JSON or taken as plain text.
 *
 * @module
 */

/** One line of input: its number (from 1) and its text, without the line break. */
export interface Line {
  /** Its number in the input, from 1. */
  readonly line: number;
  /** Its text, without `\n` or `\r\n`. */
  readonly text: string;
}

/** One item of input: the line it came from and its value, or why it has none. */
export type Item =
  | { readonly line: number; readonly ok: true; readonly value: unknown }
  | { readonly line: number; readonly ok: false; readonly error: InvalidInput };

/**
 * A line of input is not what `map` needs: not JSON, or (with `--star`) not an array.
 * Carries the line's number.
 *
 * @example
 * ```ts
 * import { InvalidInput } from "./lines.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new InvalidInput(3, "is not valid JSON");
 * assert.match(error.message, /line 3 is not valid JSON/);
 * ```
 */
export class InvalidInput extends Error {
  /** Tells the error apart in JSON error lines. */
  readonly _tag = "InvalidInput" as const;
  /** The line's number, from 1. */
  readonly line: number;
  /** What is wrong, without the line number. */
  readonly reason: string;

  /** Makes the error for `line`. */
  constructor(line: number, reason: string) {
    super(`line ${line} ${reason}`);
    this.line = line;
    this.reason = reason;
  }

  override get name(): string {
    return "InvalidInput";
  }
}

/**
 * Splits a byte stream into numbered lines; a last line without `\n` counts, an empty
 * one after a final `\n` does not.
 *
 * @param stream The bytes (UTF-8).
 * @returns The lines, read as they are pulled.
 *
 * @example
 * ```ts
 * import { readLines } from "./lines.ts";
 * import assert from "node:assert/strict";
 *
 * const stream = ReadableStream.from([new TextEncoder().encode("a\r\nb\nc")]);
 * const lines = await Array.fromAsync(readLines(stream));
 * assert.deepEqual(lines.map((l) => l.text), ["a", "b", "c"]);
 * ```
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  const decoder = new TextDecoder();
  // The unfinished line's pieces, joined once when its `\n` arrives: each byte is
  // searched and copied a bounded number of times, so a long line costs linear time
  // (concatenating and searching the whole pending text per chunk was quadratic).
  const pieces: string[] = [];
  let number = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      while (true) {
        const end = text.indexOf("\n", start);
        if (end === -1) break;
        yield { line: ++number, text: withoutCr(joined(pieces, text.slice(start, end))) };
        start = end + 1;
      }
      if (start < text.length) pieces.push(start === 0 ? text : text.slice(start));
      if (done) break;
    }
    if (pieces.length > 0) yield { line: ++number, text: withoutCr(joined(pieces, "")) };
  } finally {
    reader.releaseLock();
  }
}

/** `pieces` and `last` as one string; empties `pieces`. */
function joined(pieces: string[], last: string): string {
  if (pieces.length === 0) return last;
  pieces.push(last);
  const text = pieces.join("");
  pieces.length = 0;
  return text;
}

/** `text` without one trailing `\r` (the `\r` of a `\r\n` may end an earlier chunk). */
function withoutCr(text: string): string {
  return text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
}

/** How lines become items. */
export interface ParseOptions {
  /** Take each line as a string, rather than parse it as JSON. */
  readonly raw: boolean;
  /** Each item must be an array (its elements are the arguments). */
  readonly star: boolean;
}

/**
 * Parses one line into an item. With JSON input a blank line gives `null` (skipped).
 *
 * @param line The line.
 * @param options `raw`, `star`.
 * @returns The item, or `null` for a blank line of JSON input.
 *
 * @example
 * ```ts
 * import { parseLine } from "./lines.ts";
 * import assert from "node:assert/strict";
 *
 * const item = parseLine({ line: 1, text: "[1, 2]" }, { raw: false, star: true });
 * assert.deepEqual(item, { line: 1, ok: true, value: [1, 2] });
 * assert.equal(parseLine({ line: 2, text: "{" }, { raw: false, star: false })?.ok, false);
 * ```
 */
export function parseLine(line: Line, options: ParseOptions): Item | null {
  if (options.raw) {
    return { line: line.line, ok: true, value: options.star ? [line.text] : line.text };
  }
  if (line.text.trim() === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      line: line.line,
      ok: false,
      error: new InvalidInput(line.line, `is not valid JSON (${detail})`),
    };
  }
  if (options.star && !Array.isArray(value)) {
    return {
      line: line.line,
      ok: false,
      error: new InvalidInput(
        line.line,
        "is not a JSON array, which --star needs (its elements are the arguments)",
      ),
    };
  }
  return { line: line.line, ok: true, value };
}

/**
 * The items of a stream of lines, blank JSON lines skipped.
 *
 * @param lines The numbered lines.
 * @param options `raw`, `star`.
 * @returns The items, parsed as they are pulled.
 *
 * @example
 * ```ts
 * import { parseItems, readLines } from "./lines.ts";
 * import assert from "node:assert/strict";
 *
 * const stream = ReadableStream.from([new TextEncoder().encode("1\n\n2\n")]);
 * const items = await Array.fromAsync(parseItems(readLines(stream), { raw: false, star: false }));
 * assert.deepEqual(items.map((item) => item.line), [1, 3]);
 * ```
 */
export async function* parseItems(
  lines: AsyncIterable<Line>,
  options: ParseOptions,
): AsyncGenerator<Item> {
  for await (const line of lines) {
    const item = parseLine(line, options);
    if (item !== null) yield item;
  }
}
