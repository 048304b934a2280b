/**
 * Values to bytes and back, for queues and pipes that carry them through shared memory.
 * Follows structured clone where it matters: primitives (and `bigint`), arrays, plain
 * objects (class instances arrive as plain objects), `Date`, `RegExp`, `Map`, `Set`,
 * `ArrayBuffer`, typed arrays, `DataView`, errors (name, message, stack, cause), shared
 * and cyclic references. Functions and symbols are refused, as structured clone does.
 * Written here, rather than taken from `node:v8`, so a worker loads nothing for it.
 *
 * @module
 */

const UNDEFINED = 0, NULL = 1, TRUE = 2, FALSE = 3, INT = 4, FLOAT = 5, BIGINT = 6;
const STRING = 7, ARRAY = 8, OBJECT = 9, DATE = 10, REGEXP = 11, MAP = 12, SET = 13;
const BUFFER = 14, VIEW = 15, ERROR = 16, REF = 17;

const VIEWS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
] as const;

const ERRORS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class Writer {
  bytes = new Uint8Array(256);
  view = new DataView(this.bytes.buffer);
  pos = 0;
  readonly seen = new Map<object, number>();

  room(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  u8(n: number): void {
    this.room(1);
    this.bytes[this.pos++] = n;
  }
  u32(n: number): void {
    this.room(4);
    this.view.setUint32(this.pos, n, true);
    this.pos += 4;
  }
  f64(n: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, n, true);
    this.pos += 8;
  }
  str(s: string): void {
    this.room(4 + s.length * 3);
    const { written } = encoder.encodeInto(s, this.bytes.subarray(this.pos + 4));
    this.view.setUint32(this.pos, written, true);
    this.pos += 4 + written;
  }
  raw(chunk: Uint8Array): void {
    this.u32(chunk.length);
    this.room(chunk.length);
    this.bytes.set(chunk, this.pos);
    this.pos += chunk.length;
  }
}

function write(w: Writer, value: unknown): void {
  switch (typeof value) {
    case "undefined":
      return w.u8(UNDEFINED);
    case "boolean":
      return w.u8(value ? TRUE : FALSE);
    case "number":
      if ((value | 0) === value && !Object.is(value, -0)) {
        w.u8(INT);
        w.room(4);
        w.view.setInt32(w.pos, value, true);
        w.pos += 4;
      } else {
        w.u8(FLOAT);
        w.f64(value);
      }
      return;
    case "bigint":
      w.u8(BIGINT);
      return w.str(value.toString(16));
    case "string":
      w.u8(STRING);
      return w.str(value);
    case "object":
      if (value === null) return w.u8(NULL);
      return writeObject(w, value);
    default:
      throw new TypeError(
        `Cannot send a ${typeof value} through a Queue or Pipe: send plain data ` +
          `(numbers, strings, arrays, objects, Map, Set, Date, typed arrays)`,
      );
  }
}

function writeObject(w: Writer, value: object): void {
  const ref = w.seen.get(value);
  if (ref !== undefined) {
    w.u8(REF);
    return w.u32(ref);
  }
  w.seen.set(value, w.seen.size);
  if (Array.isArray(value)) {
    w.u8(ARRAY);
    w.u32(value.length);
    for (let i = 0; i < value.length; i++) write(w, value[i]);
  } else if (value instanceof Date) {
    w.u8(DATE);
    w.f64(value.getTime());
  } else if (value instanceof RegExp) {
    w.u8(REGEXP);
    w.str(value.source);
    w.str(value.flags);
  } else if (value instanceof Map) {
    w.u8(MAP);
    w.u32(value.size);
    for (const [k, v] of value) {
      write(w, k);
      write(w, v);
    }
  } else if (value instanceof Set) {
    w.u8(SET);
    w.u32(value.size);
    for (const v of value) write(w, v);
  } else if (value instanceof ArrayBuffer) {
    w.u8(BUFFER);
    w.raw(new Uint8Array(value));
  } else if (ArrayBuffer.isView(value)) {
    const kind = VIEWS.findIndex((View) => value instanceof View);
    w.u8(VIEW);
    w.u8(kind);
    w.raw(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  } else if (value instanceof Error) {
    w.u8(ERROR);
    w.str(value.name);
    w.str(value.message);
    w.str(value.stack ?? "");
    const hasCause = "cause" in value;
    w.u8(hasCause ? 1 : 0);
    if (hasCause) write(w, value.cause);
  } else if (value instanceof SharedArrayBuffer || isPortable(value)) {
    throw new TypeError(
      `Cannot send shared memory or a ${value.constructor.name} through a Queue or Pipe: ` +
        `pass it to the process as a task argument instead`,
    );
  } else {
    const keys = Object.keys(value);
    w.u8(OBJECT);
    w.u32(keys.length);
    for (const key of keys) {
      w.str(key);
      write(w, (value as Record<string, unknown>)[key]);
    }
  }
}

function isPortable(value: object): boolean {
  return typeof (value.constructor as { portableKind?: unknown } | undefined)?.portableKind ===
    "string";
}

class Reader {
  readonly view: DataView;
  pos = 0;
  readonly objects: unknown[] = [];
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(): number {
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    const n = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return n;
  }
  f64(): number {
    const n = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return n;
  }
  str(): string {
    const n = this.u32();
    const s = decoder.decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  raw(): ArrayBuffer {
    const n = this.u32();
    const copy = this.bytes.slice(this.pos, this.pos + n).buffer;
    this.pos += n;
    return copy;
  }
}

function read(r: Reader): unknown {
  const tag = r.u8();
  switch (tag) {
    case UNDEFINED:
      return undefined;
    case NULL:
      return null;
    case TRUE:
      return true;
    case FALSE:
      return false;
    case INT: {
      const n = r.view.getInt32(r.pos, true);
      r.pos += 4;
      return n;
    }
    case FLOAT:
      return r.f64();
    case BIGINT: {
      const hex = r.str();
      return hex.startsWith("-") ? -BigInt(`0x${hex.slice(1)}`) : BigInt(`0x${hex}`);
    }
    case STRING:
      return r.str();
    case REF:
      return r.objects[r.u32()];
    case ARRAY: {
      const out: unknown[] = new Array(r.u32());
      r.objects.push(out);
      for (let i = 0; i < out.length; i++) out[i] = read(r);
      return out;
    }
    case DATE: {
      const out = new Date(r.f64());
      r.objects.push(out);
      return out;
    }
    case REGEXP: {
      const source = r.str();
      const out = new RegExp(source, r.str());
      r.objects.push(out);
      return out;
    }
    case MAP: {
      const out = new Map<unknown, unknown>();
      r.objects.push(out);
      for (let n = r.u32(); n > 0; n--) {
        const key = read(r);
        out.set(key, read(r));
      }
      return out;
    }
    case SET: {
      const out = new Set<unknown>();
      r.objects.push(out);
      for (let n = r.u32(); n > 0; n--) out.add(read(r));
      return out;
    }
    case BUFFER: {
      const out = r.raw();
      r.objects.push(out);
      return out;
    }
    case VIEW: {
      const View = (VIEWS[r.u8()] ?? Uint8Array) as unknown as new (buffer: ArrayBuffer) => object;
      const out = new View(r.raw());
      r.objects.push(out);
      return out;
    }
    case ERROR: {
      const name = r.str();
      const known = Object.hasOwn(ERRORS, name);
      const out = new (known ? ERRORS[name]! : Error)(r.str());
      r.objects.push(out);
      if (!known) out.name = name;
      const stack = r.str();
      if (stack !== "") out.stack = stack;
      if (r.u8() === 1) out.cause = read(r);
      return out;
    }
    case OBJECT: {
      const out: Record<string, unknown> = {};
      r.objects.push(out);
      for (let n = r.u32(); n > 0; n--) {
        const key = r.str();
        out[key] = read(r);
      }
      return out;
    }
    default:
      throw new TypeError(`Cannot read a message from shared memory: unknown tag ${tag}`);
  }
}

/** The bytes of `value`; throws a TypeError for what cannot be sent. */
export function serialize(value: unknown): Uint8Array {
  const w = new Writer();
  write(w, value);
  return w.bytes.subarray(0, w.pos);
}

/** The value `serialize` wrote into `bytes`. */
export function deserialize(bytes: Uint8Array): unknown {
  return read(new Reader(bytes));
}
