/**
 * The options every wait of the communication objects takes: a timeout, an
 * `AbortSignal`, and whether to block at all.
 *
 * @module
 */

/** Options of the async waits. */
export interface WaitOptions {
  /** Milliseconds to wait at most. @default Infinity (wait as long as it takes) */
  readonly timeout?: number;
  /** Stops the wait: the call rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/** Options of the blocking waits. */
export interface BlockingOptions {
  /** False: do not wait at all, answer at once. @default true */
  readonly blocking?: boolean;
  /** Milliseconds to wait at most. @default Infinity (wait as long as it takes) */
  readonly timeout?: number;
}

/** Options of the async acquisitions (`acquireAsync`). */
export interface AcquireAsyncOptions extends WaitOptions {
  /** False: do not wait at all, answer at once. @default true */
  readonly blocking?: boolean;
}
