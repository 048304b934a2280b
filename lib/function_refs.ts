/**
 * Lets communication objects that carry a function (a `Barrier`'s `action`) name it by
 * reference, as task functions are named: the worker side cannot look functions up,
 * so the main side installs its lookup into the wire once, when the library loads.
 *
 * @module
 */
import { callerModule, taskRef } from "./task.ts";
import { setFunctionNamer } from "./comms/wire.ts";

setFunctionNamer((fn) => taskRef(fn, callerModule));
