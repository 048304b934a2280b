/**
 * The framing of the subprocess backend's pipes: each frame is a 4-byte little-endian
 * payload length, a 1-byte kind, then the payload. Parent to child frames carry
 * `node:v8`-serialized messages; child to parent frames carry a message or a line of
 * console output (see `FRAME_*`).
 *
 * @module
 */

/** A protocol message, `node:v8`-serialized. */
export const FRAME_MESSAGE = 0;
/** Text the child wrote with `console.log` (and friends): the parent's stdout. */
export const FRAME_STDOUT = 1;
/** Text the child wrote with `console.error` (and friends): the parent's stderr. */
export const FRAME_STDERR = 2;

const HEADER = 5;
/**
 * The largest payload a frame may announce. Only the library's runtime writes frames,
 * but a length read from a broken stream must not make this side wait for gigabytes.
 */
export const MAX_FRAME = 1024 * 1024 * 1024;

/** A frame announced more than `MAX_FRAME` bytes: the stream cannot be trusted. */
export class FrameTooLarge extends Error {
  constructor(length: number) {
    super(`sent a frame of ${length} bytes, more than the ${MAX_FRAME} a frame may hold`);
    this.name = "FrameTooLarge";
  }
}

/** Builds one frame. */
export function encodeFrame(kind: number, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(HEADER + payload.byteLength);
  new DataView(frame.buffer).setUint32(0, payload.byteLength, true);
  frame[4] = kind;
  frame.set(payload, HEADER);
  return frame;
}

/** Cuts a byte stream back into frames, whatever the sizes of the chunks it arrives in. */
export class FrameDecoder {
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  /**
   * Adds `chunk` and calls `frame` for every frame now complete, in order.
   *
   * @throws {FrameTooLarge} A frame announced more than `MAX_FRAME` bytes.
   */
  push(chunk: Uint8Array, frame: (kind: number, payload: Uint8Array) => void): void {
    this.#append(chunk);
    while (this.#end - this.#start >= HEADER) {
      const view = new DataView(this.#buffer.buffer, this.#start, HEADER);
      const length = view.getUint32(0, true);
      if (length > MAX_FRAME) throw new FrameTooLarge(length);
      if (this.#end - this.#start < HEADER + length) break;
      const kind = this.#buffer[this.#start + 4]!;
      const from = this.#start + HEADER;
      // A copy: the buffer is reused, the payload may be kept.
      const payload = this.#buffer.slice(from, from + length);
      this.#start = from + length;
      frame(kind, payload);
    }
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  #append(chunk: Uint8Array): void {
    const used = this.#end - this.#start;
    if (this.#end + chunk.byteLength > this.#buffer.byteLength) {
      const size = Math.max(this.#buffer.byteLength, used + chunk.byteLength);
      const next = size > this.#buffer.byteLength
        ? new Uint8Array(Math.max(size, 2 * this.#buffer.byteLength))
        : this.#buffer;
      next.set(this.#buffer.subarray(this.#start, this.#end), 0);
      this.#buffer = next;
      this.#start = 0;
      this.#end = used;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.byteLength;
  }
}
