/**
 * The floor the `bench` command compares the pool against: a bare worker that answers
 * each message with the same data, with no library at all.
 *
 * @module
 */

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<unknown>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (event) => scope.postMessage(event.data);
