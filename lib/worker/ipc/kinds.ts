/**
 * Loads every kind of communication object into the worker runtime, so that each
 * registers how it is revived from a task argument. One import line per kind.
 *
 * @module
 */
export {};
