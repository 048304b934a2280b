/**
 * Process ids for workers: unique within this program, never reused, so a recycled
 * worker is told apart from the one it replaced. The main program keeps its OS pid.
 *
 * @module
 */

let last = 0;

/** The next unused worker id. */
export function nextPid(): number {
  return ++last;
}
