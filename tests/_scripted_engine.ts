/**
 * An engine for tests that script its workers: the options every such test shares
 * (one worker, no initializer, no fault handling, a short cancel grace), overridden
 * per test, and opened at once.
 *
 * @module
 */
import { Engine, type EngineOptions } from "../lib/engine.ts";

/**
 * Opens an engine on `overrides` over the shared test options; `start` (in the
 * overrides) scripts its workers.
 */
export function scriptedEngine(overrides: Partial<EngineOptions>): Engine {
  const made = new Engine({
    processes: 1,
    name: "Scripted",
    initializer: null,
    initargs: [],
    maxTasksPerChild: null,
    depth: 2,
    quickDepth: 2,
    quickChunkMs: 0,
    cancelGrace: 50,
    permissions: "inherit",
    backend: "worker",
    maxHeapMB: null,
    faults: { timeout: null, retries: 0, retryTaskErrors: false },
    ...overrides,
  });
  made.open(() => {});
  return made;
}
