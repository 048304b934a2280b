/**
 * The process-state lock of a sandboxed Web Worker: the first module such a worker
 * evaluates, before the runtime and before any task module.
 *
 * A Web Worker is a thread of the program's process, and Deno lets its code change
 * state that belongs to the whole process, some of it without any permission: signal
 * listeners (a task listening for SIGINT keeps the program alive on Ctrl-C), signals
 * sent to the program's own pid, reads from the program's stdin and its terminal
 * mode, and, with a permission, the working directory, the umask and the environment.
 * A nested worker (`new Worker`, `node:worker_threads`) would be a fresh realm where
 * none of this is locked, and `Deno[Deno.internal]` reaches Deno's internals. This
 * module replaces each route with a function that throws `Deno.errors.NotCapable`
 * naming the sandbox, locked (non-writable, non-configurable) so task code cannot put
 * the original back.
 *
 * It is best effort: names imported from `node:` modules (`import { abort, chdir } from
 * "node:process"`, `import { readSync } from "node:fs"`) are bound before any code can
 * patch them. The subprocess backend isolates process-wide state fully: there every
 * such change stays in the child's own process.
 *
 * Effect-free and independent of the main side; it exports nothing.
 *
 * @module
 */

// Node's modules, taken from the `process` global rather than imported: the worker side
// imports nothing but itself and the protocol (tests/worker_imports_test.ts).
type Loose = Record<string, unknown> & { prototype: object };
declare const process: Loose & {
  getBuiltinModule(name: string): Record<string, Loose>;
  env: Record<string, string | undefined>;
};
const builtin = process.getBuiltinModule;
const ReadStream = builtin("node:tty").ReadStream!;
const fs = builtin("node:fs") as unknown as Loose;
const EventEmitter = builtin("node:events").EventEmitter!;
const NodeWorker = builtin("node:worker_threads").Worker!;

const NotCapable = Deno.errors.NotCapable;
const apply = Reflect.apply;
const defineProperty = Object.defineProperty;
const getPrototypeOf = Object.getPrototypeOf;
const hasOwn = Object.hasOwn;
const includes = Function.prototype.call.bind(String.prototype.includes) as (
  text: string,
  search: string,
) => boolean;
const isPrototypeOf = Function.prototype.call.bind(Object.prototype.isPrototypeOf) as (
  prototype: object,
  value: unknown,
) => boolean;

function refuse(what: string): never {
  throw new NotCapable(
    `${what} is not allowed in a sandboxed worker: it would change the whole program, not ` +
      `only this worker; use the "subprocess" backend, where it stays in the child`,
  );
}

// deno-lint-ignore no-explicit-any
type Fn = (this: any, ...args: any[]) => unknown;

function lock(target: object, key: PropertyKey, value: unknown): void {
  defineProperty(target, key, { value, writable: false, configurable: false, enumerable: false });
}

function deny(target: object, key: PropertyKey, what: string): void {
  // A plain function, so that `new` reaches it too (`new Worker(...)`).
  lock(target, key, function () {
    refuse(what);
  });
}

/** Whether `pid` names this process (or its group, or every process). */
function ownProcess(pid: unknown): boolean {
  return typeof pid !== "number" || pid <= 0 || pid === Deno.pid;
}

// Signals: listening for one takes it from the whole program.
deny(Deno, "addSignalListener", "Deno.addSignalListener()");
deny(Deno, "removeSignalListener", "Deno.removeSignalListener()");
const kill = Deno.kill as Fn;
lock(Deno, "kill", function (this: unknown, pid: unknown, ...rest: unknown[]) {
  if (ownProcess(pid)) refuse("Deno.kill() of this program");
  return apply(kill, this, [pid, ...rest]);
});
// Working directory, umask, environment: one per process.
deny(Deno, "chdir", "Deno.chdir()");
deny(Deno, "umask", "Deno.umask()");
const env = Deno.env;
for (let at: object | null = env; at !== null && at !== Object.prototype; at = getPrototypeOf(at)) {
  if (hasOwn(at, "set")) deny(at, "set", "Deno.env.set()");
  if (hasOwn(at, "delete")) deny(at, "delete", "Deno.env.delete()");
}

// The program's stdin and its terminal mode.
const stdin = Deno.stdin;
for (
  let at: object | null = stdin;
  at !== null && at !== Object.prototype;
  at = getPrototypeOf(at)
) {
  for (const key of ["read", "readSync", "setRaw"]) {
    if (hasOwn(at, key) || at === stdin) deny(at, key, `Deno.stdin.${key}()`);
  }
  if (hasOwn(at, "readable")) {
    defineProperty(at, "readable", {
      get: () => refuse("Deno.stdin.readable"),
      configurable: false,
    });
  }
}
// Closes this worker's own handle of fd 0 (not the program's): a cover for other routes.
try {
  stdin.close();
} catch {
  // Already closed.
}

// node:process: signal events, kill, chdir, umask, env, stdin, abort.
const SIGNAL = /^SIG[A-Z0-9]+$/;
const test = Function.prototype.call.bind(RegExp.prototype.test) as (
  re: RegExp,
  s: string,
) => boolean;
for (const key of ["on", "addListener", "once", "prependListener", "prependOnceListener"]) {
  const original = (process as unknown as Record<string, Fn>)[key]!;
  lock(process, key, function (this: unknown, event: unknown, ...rest: unknown[]) {
    if (typeof event === "string" && test(SIGNAL, event)) refuse(`process.${key}("${event}")`);
    return apply(original, this, [event, ...rest]);
  });
}
const processKill = (process as unknown as Record<string, Fn>)._kill!;
lock(process, "_kill", function (this: unknown, pid: unknown, ...rest: unknown[]) {
  if (ownProcess(pid)) refuse("process.kill() of this program");
  return apply(processKill, this, [pid, ...rest]);
});
const publicKill = process.kill as Fn;
lock(process, "kill", function (this: unknown, pid: unknown, ...rest: unknown[]) {
  if (ownProcess(pid)) refuse("process.kill() of this program");
  return apply(publicKill, this, [pid, ...rest]);
});
deny(process, "chdir", "process.chdir()");
deny(process, "umask", "process.umask()");
deny(process, "abort", "process.abort()");
defineProperty(process, "stdin", { get: () => refuse("process.stdin"), configurable: false });
const processEnv = process.env;
defineProperty(process, "env", {
  value: new Proxy(processEnv, {
    set: (_target, name) => refuse(`setting process.env.${String(name)}`),
    defineProperty: (_target, name) => refuse(`setting process.env.${String(name)}`),
    deleteProperty: (_target, name) => refuse(`deleting process.env.${String(name)}`),
  }),
  writable: false,
  configurable: false,
});
deny(ReadStream.prototype, "setRawMode", "setRawMode()");
const readSync = fs.readSync as Fn;
lock(fs, "readSync", function (this: unknown, fd: unknown, ...rest: unknown[]) {
  if (fd === 0) refuse("reading the program's stdin (fs.readSync(0))");
  return apply(readSync, this, [fd, ...rest]);
});
const read = fs.read as Fn;
lock(fs, "read", function (this: unknown, fd: unknown, ...rest: unknown[]) {
  if (fd === 0) refuse("reading the program's stdin (fs.read(0))");
  return apply(read, this, [fd, ...rest]);
});

// Another realm would have a fresh, unlocked `Deno`: no nested workers. node's
// worker_threads builds its Worker through EventEmitter's constructor, which calls the
// patchable `EventEmitter.init`: refused there, before the worker is created.
deny(globalThis, "Worker", "new Worker()");
const init = (EventEmitter as unknown as { init: Fn }).init;
const capture = Error.captureStackTrace;
const describe = Object.getOwnPropertyDescriptor;
/**
 * Whether the current call comes from node's Worker constructor, read from a stack
 * taken with V8's own settings (a task may have shortened or rewritten stacks). When
 * they cannot be restored for the look, the answer is yes: refuse rather than miss.
 */
function fromNodeWorker(): boolean {
  const limit = describe(Error, "stackTraceLimit");
  const prepare = describe(Error, "prepareStackTrace");
  const probe: { stack?: string } = {};
  try {
    defineProperty(Error, "stackTraceLimit", { value: 50, writable: true, configurable: true });
    defineProperty(Error, "prepareStackTrace", {
      value: undefined,
      writable: true,
      configurable: true,
    });
    capture(probe);
  } catch {
    return true;
  } finally {
    restore("stackTraceLimit", limit);
    restore("prepareStackTrace", prepare);
  }
  return typeof probe.stack !== "string" || includes(probe.stack, "new NodeWorker (ext:");
}
function restore(key: string, descriptor: PropertyDescriptor | undefined): void {
  try {
    if (descriptor === undefined) delete (Error as unknown as Record<string, unknown>)[key];
    else defineProperty(Error, key, descriptor);
  } catch {
    // Locked by task code: it keeps what it set.
  }
}
lock(EventEmitter, "init", function (this: unknown, ...args: unknown[]) {
  if (isPrototypeOf(NodeWorker.prototype, this) || fromNodeWorker()) {
    refuse("node:worker_threads' Worker");
  }
  return apply(init, this, args);
});

// Deno's internals, and then the `Deno` namespace itself: no member can be replaced,
// added or put back. `exit` stays configurable for `entry.ts`, which locks it next.
delete (Deno as unknown as Record<symbol, unknown>)[
  (Deno as unknown as { internal: symbol }).internal
];
for (const key of Reflect.ownKeys(Deno)) {
  if (key === "exit") continue;
  const descriptor = Object.getOwnPropertyDescriptor(Deno, key)!;
  if (!descriptor.configurable) continue;
  defineProperty(Deno, key, {
    ...descriptor,
    ...("value" in descriptor ? { writable: false } : {}),
    configurable: false,
  });
}
Object.preventExtensions(Deno);
lock(globalThis, "Deno", Deno);
