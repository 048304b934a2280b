/**
 * The CLI's exit codes.
 *
 * @module
 */

/** Everything succeeded. */
export const EXIT_OK = 0;
/** The command itself failed, or (for `map`) some item failed. */
export const EXIT_FAILURE = 1;
/** Bad usage: an unknown command or flag, a missing or invalid value, a missing module. */
export const EXIT_USAGE = 2;
/** Interrupted by Ctrl-C (SIGINT): 128 + 2, as shells report it. */
export const EXIT_INTERRUPTED = 130;
