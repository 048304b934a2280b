/**
 * The raw baseline's worker for the speed suite: a plain module that imports nothing
 * from the library. `[id, "burn", turns]` runs `burn(turns)`;
 * `[id, "echo", value]` sends `value` back (moving it back when it was moved in).
 *
 * @module
 */
import { burn } from "./work.ts";

/** A request to the raw worker. */
export type RawSpeedRequest =
  | readonly [number, "burn", number]
  | readonly [number, "echo", unknown, boolean];

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<RawSpeedRequest>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = (event) => {
  const request = event.data;
  if (request[1] === "burn") {
    scope.postMessage([request[0], burn(request[2])]);
  } else {
    const [id, , value, moved] = request;
    scope.postMessage([id, value], moved ? [value as ArrayBuffer] : []);
  }
};
