/**
 * The built-in functions the worker side relies on, captured when this module is
 * evaluated: before any task module runs in the worker. A task may replace globals and
 * patch prototypes (`MessagePort.prototype.postMessage`, `Array.prototype.push`,
 * `Reflect.apply`...); the runtime calls these captured originals instead, so such
 * patches cannot redirect or forge what it sends. Each is "uncurried": called with the
 * receiver as its first argument, through a bound function that looks nothing up.
 *
 * @module
 */

const call = Function.prototype.call;

/** `MessagePort.prototype.postMessage`, as `portPost(port, message, transfer?)`. */
export const portPost = call.bind(MessagePort.prototype.postMessage) as (
  port: MessagePort,
  message: unknown,
  transfer?: Transferable[],
) => void;

/** `MessagePort.prototype.close`, as `portClose(port)`. */
export const portClose = call.bind(MessagePort.prototype.close) as (port: MessagePort) => void;

/** `EventTarget.prototype.addEventListener`, as `listen(target, type, listener, options)`. */
export const listen = call.bind(EventTarget.prototype.addEventListener) as (
  target: EventTarget,
  type: string,
  listener: (event: Event) => void,
  options?: AddEventListenerOptions,
) => void;

/** `EventTarget.prototype.dispatchEvent`, as `dispatch(target, event)`. */
export const dispatch = call.bind(EventTarget.prototype.dispatchEvent) as (
  target: EventTarget,
  event: Event,
) => boolean;

/** `Event.prototype.stopImmediatePropagation`, as `stopEvent(event)`. */
export const stopEvent = call.bind(Event.prototype.stopImmediatePropagation) as (
  event: Event,
) => void;

/** `Event.prototype.preventDefault`, as `preventDefault(event)`. */
export const preventDefault = call.bind(Event.prototype.preventDefault) as (
  event: Event,
) => void;

/** `Reflect.apply`: calls a function with an argument list read by index, not iterated. */
export const apply = Reflect.apply;

/** `Atomics.load` and `Atomics.store`. */
export const atomicsLoad = Atomics.load;
export const atomicsStore = Atomics.store;

/** `performance.now`, bound to the `performance` object. */
export const now = performance.now.bind(performance);

/** `structuredClone`. */
export const clone = globalThis.structuredClone;

/** `Array.isArray`. */
export const isArray = Array.isArray;
