/**
 * The CLI's line reader (lib/cli/lines.ts): lines come out whole and unchanged however
 * the bytes are chunked, and one very long line is read in one pass.
 */
import assert from "node:assert/strict";
import { readLines } from "../lib/cli/lines.ts";

const encoder = new TextEncoder();

/** `bytes` as a stream of chunks of `size` bytes (the last one shorter). */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** `bytes` split into two chunks at `cut`. */
function cutAt(bytes: Uint8Array, cut: number): ReadableStream<Uint8Array> {
  return ReadableStream.from([bytes.slice(0, cut), bytes.slice(cut)]);
}

async function texts(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  return (await Array.fromAsync(readLines(stream))).map((line) => line.text);
}

Deno.test("readLines() keeps a multi-byte character whole when a chunk ends inside it", async () => {
  // 2-, 3- and 4-byte UTF-8 characters, CRLF and LF endings, a last line without one.
  const expected = ["é", "a€b", "😀", "", "ünï", "end😀"];
  const bytes = encoder.encode("é\r\na€b\n😀\r\n\nünï\nend😀");
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(await texts(cutAt(bytes, cut)), expected, `cut at byte ${cut}`);
  }
  assert.deepEqual(await texts(chunked(bytes, 1)), expected, "one byte per chunk");
});

Deno.test("readLines() drops the \\r of a \\r\\n split across chunks, and only that one", async () => {
  const bytes = encoder.encode("a\r\nb\rc\r\n\r\nd\r");
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(await texts(cutAt(bytes, cut)), ["a", "b\rc", "", "d"], `cut at ${cut}`);
  }
});

Deno.test("readLines() numbers lines from 1 and gives a 20 MB line intact between others", async () => {
  // Varied text (so a piece moved or dropped shows), with multi-byte characters that
  // straddle the 64 KiB + 1 chunk boundaries.
  const unit = "0123456789abcdefghijklmnopqrstuvwxyz-é€😀|";
  const long = unit.repeat(Math.ceil((20 * 1024 * 1024) / encoder.encode(unit).length));
  const bytes = encoder.encode(`first\n${long}\r\nlast`);
  const lines = await Array.fromAsync(readLines(chunked(bytes, 64 * 1024 + 1)));
  assert.equal(lines.length, 3);
  assert.deepEqual(lines.map((line) => line.line), [1, 2, 3]);
  assert.equal(lines[0]!.text, "first");
  assert.equal(lines[1]!.text.length, long.length);
  assert.ok(lines[1]!.text === long, "the long line differs from the one written");
  assert.equal(lines[2]!.text, "last");
});
