/**
 * The raw baseline's worker: a plain module that imports nothing from the library.
 * It answers `[id, x]` with `[id, x * x]` and `[id, xs]` with `[id, xs.map(x => x * x)]`.
 *
 * @module
 */

/** A request: an id to match the answer by, and a number or a batch of numbers. */
export type RawRequest = readonly [number, number | readonly number[]];
/** The answer: the request's id and the squared number or batch. */
export type RawReply = readonly [number, number | number[]];

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<RawRequest>) => void) | null;
  postMessage(message: RawReply): void;
};

scope.onmessage = (event) => {
  const [id, payload] = event.data;
  if (typeof payload === "number") {
    scope.postMessage([id, payload * payload]);
    return;
  }
  // `map` builds a packed array, which structured clone copies fast (a holey
  // `new Array(n)` goes element by element, about 4x slower).
  scope.postMessage([id, payload.map((x) => x * x)]);
};
