/**
 * How do two processes talk to each other over a pipe?
 *
 * ```text
 * Python                                      Deno
 * ------                                      ----
 * from multiprocessing import Process, Pipe   import { Pipe, Process } from "../mod.ts";
 *
 * def ping(conn):                             export async function ping(conn: Connection<string>) {
 *     for i in range(3):                        for (let i = 0; i < 3; i++) {
 *         conn.send(f"ping {i}")                  await conn.send(`ping ${i}`);
 *         print(conn.recv())                      console.log(await conn.recv());
 *     conn.close()                              }
 *                                               conn.close();
 *                                             }
 * def pong(conn):                             export async function pong(conn: Connection<string>) {
 *     try:                                      try {
 *         while True:                             for (;;) {
 *             msg = conn.recv()                     const msg = await conn.recv();
 *             conn.send(                            await conn.send(msg.replace("ping", "pong"));
 *               msg.replace("ping", "pong"))      }
 *     except EOFError:                          } catch (e) {
 *         pass                                    if (!(e instanceof EOFError)) throw e;
 *                                               }
 *                                             }
 *
 * if __name__ == "__main__":                  if (import.meta.main) {
 *     a, b = Pipe()                             const [a, b] = Pipe<string>();
 *     p1 = Process(target=ping, args=(a,))      const p1 = new Process({ target: ping, args: [a] });
 *     p2 = Process(target=pong, args=(b,))      const p2 = new Process({ target: pong, args: [b] });
 *     p1.start(); p2.start()                    await p1.start(); await p2.start();
 *     a.close(); b.close()                      a.close(); b.close();
 *     p1.join(); p2.join()                      await p1.join(); await p2.join();
 *                                             }
 * ```
 *
 * Prints `pong 0`, `pong 1`, `pong 2`. As in Python, the main program closes its own
 * copies of both ends once the processes have them: `pong` reads `EOFError` only when
 * every handle of `ping`'s end is closed. `Pipe(false)` gives a one-way `[reader,
 * writer]` pair.
 *
 * Run it: `deno run -A examples/06_pipe.ts`
 *
 * @module
 */
import { type Connection, EOFError, Pipe, Process } from "../mod.ts";

/**
 * Sends three pings, printing each answer, then closes its end.
 *
 * @example Against an answer already waiting
 * ```ts
 * import { ping } from "./06_pipe.ts";
 * import { Pipe } from "../mod.ts";
 *
 * const [a, b] = Pipe<string>();
 * for (let i = 0; i < 3; i++) await b.send(`pong ${i}`);
 * await ping(a);
 * b.close();
 * ```
 */
export async function ping(conn: Connection<string>): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await conn.send(`ping ${i}`);
    console.log(await conn.recv());
  }
  conn.close();
}

/**
 * Answers every ping with a pong until the other end is closed.
 *
 * @example
 * ```ts
 * import { pong } from "./06_pipe.ts";
 * import { Pipe } from "../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const [a, b] = Pipe<string>();
 * const answering = pong(b);
 * await a.send("ping 7");
 * assert.equal(await a.recv(), "pong 7");
 * a.close(); // pong reads EOFError and returns
 * await answering;
 * ```
 */
export async function pong(conn: Connection<string>): Promise<void> {
  try {
    for (;;) {
      const msg = await conn.recv();
      await conn.send(msg.replace("ping", "pong"));
    }
  } catch (error) {
    if (!(error instanceof EOFError)) throw error;
  } finally {
    conn.close();
  }
}

/** Starts `ping` and `pong` in two processes joined by a pipe. */
export async function main(): Promise<void> {
  const [a, b] = Pipe<string>();
  const p1 = new Process({ target: ping, args: [a] });
  const p2 = new Process({ target: pong, args: [b] });
  await p1.start();
  await p2.start();
  a.close();
  b.close();
  await p1.join();
  await p2.join();
}

if (import.meta.main) await main();
