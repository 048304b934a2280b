/**
 * A first-in first-out queue with O(1) push, shift and unshift: the pool's queue holds
 * tens of thousands of chunks when many small tasks are submitted at once.
 *
 * @module
 */

/** A double-ended queue over a growable ring buffer. */
export class Deque<T> {
  #items: Array<T | undefined> = new Array(16);
  #head = 0;
  #size = 0;

  /** Number of items queued. */
  get size(): number {
    return this.#size;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size++;
  }

  /** Adds an item at the front. */
  unshift(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#head = (this.#head - 1 + this.#items.length) % this.#items.length;
    this.#items[this.#head] = item;
    this.#size++;
  }

  /** The front item, left in place. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes and returns the front item. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return item;
  }

  /** Removes every item and returns them in order. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  #grow(): void {
    const grown = new Array<T | undefined>(this.#items.length * 2);
    for (let i = 0; i < this.#size; i++) {
      grown[i] = this.#items[(this.#head + i) % this.#items.length];
    }
    this.#items = grown;
    this.#head = 0;
  }
}
