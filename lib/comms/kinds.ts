/**
 * Loads every kind of communication object into the worker runtime, so that each
 * registers how it is revived from a task argument. One import line per kind.
 *
 * @module
 */
import "./queue.ts";
import "./pipe.ts";
import "./lock.ts";
import "./semaphore.ts";
import "./event.ts";
import "./condition.ts";
import "./barrier.ts";
import "./value.ts";
import "./shared_array.ts";
import "./simple_queue.ts";
import "./manager_proxies.ts";
