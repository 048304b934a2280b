/**
 * The element types of shared `Value`s and `Array`s: typed-array names (`i32`, `f64`,
 * ...) and Python's type codes (`"i"`, `"d"`, ...).
 *
 * @module
 */

/** A typed-array element type. */
export type ElementType =
  | "i8"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "f32"
  | "f64"
  | "i64"
  | "u64";

/**
 * Python's `array`/`ctypes` type codes, mapped to element types as on 64-bit Linux:
 * `b` i8, `B` u8, `h` i16, `H` u16, `i` i32, `I` u32, `l`/`q` i64, `L`/`Q` u64,
 * `f` f32, `d` f64.
 */
export type TypeCode = "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "f" | "d";

/** An element type by either name. */
export type ShareableType = ElementType | TypeCode;

/** The JavaScript type of an element: `bigint` for 64-bit integers, else `number`. */
export type ElementOf<K extends ShareableType> = K extends "i64" | "u64" | "l" | "L" | "q" | "Q"
  ? bigint
  : number;

/** The typed array that holds elements of `K`. */
export type TypedArrayOf<K extends ShareableType> = K extends "i64" | "l" | "q" ? BigInt64Array
  : K extends "u64" | "L" | "Q" ? BigUint64Array
  : K extends "i8" | "b" ? Int8Array
  : K extends "u8" | "B" ? Uint8Array
  : K extends "i16" | "h" ? Int16Array
  : K extends "u16" | "H" ? Uint16Array
  : K extends "i32" | "i" ? Int32Array
  : K extends "u32" | "I" ? Uint32Array
  : K extends "f32" | "f" ? Float32Array
  : Float64Array;

type AnyTypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

const CODES: Record<TypeCode, ElementType> = {
  b: "i8",
  B: "u8",
  h: "i16",
  H: "u16",
  i: "i32",
  I: "u32",
  l: "i64",
  L: "u64",
  q: "i64",
  Q: "u64",
  f: "f32",
  d: "f64",
};

const ARRAYS: Record<ElementType, AnyTypedArrayConstructor> = {
  i8: Int8Array,
  u8: Uint8Array,
  i16: Int16Array,
  u16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  f32: Float32Array,
  f64: Float64Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
};

/** The element type named by `type`; throws a RangeError naming the option otherwise. */
export function elementType(action: string, type: unknown): ElementType {
  if (typeof type === "string") {
    if (Object.hasOwn(ARRAYS, type)) return type as ElementType;
    if (Object.hasOwn(CODES, type)) return CODES[type as TypeCode];
  }
  throw new RangeError(
    `Cannot ${action} as 'type' must be one of i8, u8, i16, u16, i32, u32, f32, f64, i64, ` +
      `u64 (or a Python type code b B h H i I l L q Q f d): current value is ${String(type)}`,
  );
}

/** The typed arrays that hold elements of type `T` (`number` or `bigint`). */
export type ArrayOf<T extends number | bigint> = T extends bigint ? BigInt64Array | BigUint64Array
  :
    | Int8Array
    | Uint8Array
    | Int16Array
    | Uint16Array
    | Int32Array
    | Uint32Array
    | Float32Array
    | Float64Array;

/** A typed array of `length` elements of `type` over new shared memory, or over `buffer`. */
export function sharedTypedArray<A>(
  type: ElementType,
  length: number,
  buffer?: SharedArrayBuffer,
): A {
  const View = ARRAYS[type] as unknown as {
    new (buffer: SharedArrayBuffer): A;
    readonly BYTES_PER_ELEMENT: number;
  };
  return new View(buffer ?? new SharedArrayBuffer(length * View.BYTES_PER_ELEMENT));
}

/** Whether elements of `type` are `bigint`s. */
export function isBigType(type: ElementType): boolean {
  return type === "i64" || type === "u64";
}

/**
 * Checks that `value` can be stored as an element of `type`: a `bigint` for the 64-bit
 * types, a `number` for the others. Typed arrays would silently turn `"5"` into 5, or
 * throw "Cannot convert 1 to a BigInt"; this names the type and what to pass instead.
 *
 * @param action What fails, for the message ("make a shared value").
 * @throws {TypeError} It cannot.
 */
export function checkElement(action: string, type: ElementType, value: unknown): void {
  const big = isBigType(type);
  if (big ? typeof value === "bigint" : typeof value === "number") return;
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  const hint = big && typeof value === "number" && Number.isInteger(value)
    ? `: pass ${value}n`
    : "";
  throw new TypeError(
    `Cannot ${action} as elements of type ${type} are ${big ? "bigints" : "numbers"}: ` +
      `received ${typeof value} ${shown}${hint}`,
  );
}
