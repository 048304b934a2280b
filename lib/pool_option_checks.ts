/**
 * The checks every pool and process option goes through, in one message style: misuse
 * is a `RangeError` (or `TypeError`) that names the action and the option and quotes
 * the value, "Cannot open pool as 'maxQueue' must be a positive integer: current value
 * is 0". Shared by the sizing options (`pool_sizing_options.ts`), the rest
 * (`pool_options.ts`) and `Process` (`process.ts`), which takes the backend and error
 * checks from here so that constructing one loads none of the pool's options.
 *
 * @module
 */
import { isLocalBackend, traitsOf } from "./backend_traits.ts";
import { registerError } from "./error_registry.ts";

/**
 * Checks that `value` is an integer of 1 or more.
 *
 * @param action What fails, for the message ("open pool", "call map()").
 * @param option The option's name.
 * @param value The value given.
 * @throws {RangeError} It is not.
 *
 * @example
 * ```ts
 * import { positiveInteger } from "./pool_option_checks.ts";
 * import assert from "node:assert/strict";
 *
 * positiveInteger("open pool", "maxQueue", 4);
 * assert.throws(() => positiveInteger("open pool", "maxQueue", 0), {
 *   name: "RangeError",
 *   message: "Cannot open pool as 'maxQueue' must be a positive integer: current value is 0",
 * });
 * ```
 */
export function positiveInteger(action: string, option: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot ${action} as '${option}' must be a positive integer: current value is ${
        describe(value)
      }`,
    );
  }
}

/**
 * Checks that `value` is a finite number of milliseconds above 0.
 *
 * @param action What fails, for the message ("open pool", "call map()").
 * @param option The option's name.
 * @param value The value given.
 * @throws {RangeError} It is not.
 *
 * @example
 * ```ts
 * import { positiveNumber } from "./pool_option_checks.ts";
 * import assert from "node:assert/strict";
 *
 * positiveNumber("call map()", "timeout", 2.5);
 * assert.throws(() => positiveNumber("call map()", "timeout", Infinity), RangeError);
 * ```
 */
export function positiveNumber(action: string, option: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot ${action} as '${option}' must be a positive number of milliseconds: current value is ${
        describe(value)
      }`,
    );
  }
}

/**
 * Checks that `value` is an integer of 0 or more.
 *
 * @param action What fails, for the message ("open pool", "call map()").
 * @param option The option's name.
 * @param value The value given.
 * @throws {RangeError} It is not.
 *
 * @example
 * ```ts
 * import { nonNegativeInteger } from "./pool_option_checks.ts";
 * import assert from "node:assert/strict";
 *
 * nonNegativeInteger("call apply()", "retries", 0);
 * assert.throws(() => nonNegativeInteger("call apply()", "retries", -1), RangeError);
 * ```
 */
export function nonNegativeInteger(action: string, option: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot ${action} as '${option}' must be a whole number, 0 or more: current value is ${
        describe(value)
      }`,
    );
  }
}

/**
 * A value as a message quotes it: strings in quotes, functions by name.
 *
 * @param value Any value given as an option.
 * @returns Its short description.
 *
 * @example
 * ```ts
 * import { describe } from "./pool_option_checks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([describe(""), describe(0), describe(Math.max)], ['""', "0", "function max"]);
 * ```
 */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  return String(value);
}

/**
 * Checks the `backend` and `maxHeapMB` options (of a pool or a process) and fills in
 * the defaults.
 *
 * @example
 * ```ts
 * import { checkBackend } from "./pool_option_checks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(checkBackend("start process", {}), { backend: "worker", maxHeapMB: null });
 * assert.throws(() => checkBackend("start process", { maxHeapMB: 64 }), TypeError);
 * ```
 */
export function checkBackend(
  action: string,
  options: { readonly backend?: unknown; readonly maxHeapMB?: unknown },
): { backend: "worker" | "subprocess"; maxHeapMB: number | null } {
  const backend = options.backend ?? "worker";
  if (!isLocalBackend(backend)) {
    throw new TypeError(
      `Cannot ${action} as 'backend' must be "worker" or "subprocess": current value is ${
        describe(backend)
      }`,
    );
  }
  if (options.maxHeapMB === undefined) return { backend, maxHeapMB: null };
  positiveInteger(action, "maxHeapMB", options.maxHeapMB);
  if (!traitsOf(backend).heapLimit) {
    throw new TypeError(
      `Cannot ${action} as 'maxHeapMB' needs backend "subprocess" (a worker's heap cannot be ` +
        `limited on Deno): current value of 'backend' is ${describe(backend)}`,
    );
  }
  return { backend, maxHeapMB: options.maxHeapMB as number };
}

/**
 * Checks and registers an `errors` option (of a pool or a process).
 *
 * @example
 * ```ts
 * import { registerErrors } from "./pool_option_checks.ts";
 * import assert from "node:assert/strict";
 *
 * class OutOfStock extends Error {}
 * registerErrors("open pool", [OutOfStock]);
 * assert.throws(() => registerErrors("open pool", OutOfStock), TypeError);
 * ```
 */
export function registerErrors(action: string, errors: unknown): void {
  if (errors === undefined) return;
  if (!Array.isArray(errors)) {
    throw new TypeError(
      `Cannot ${action} as 'errors' must be an array of Error classes: current value is ${
        describe(errors)
      }`,
    );
  }
  registerError(...errors);
}
