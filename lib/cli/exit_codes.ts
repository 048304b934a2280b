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
/**
 * Stdout was closed before every result was written (`map ... | head -1`): 128 + 13
 * (SIGPIPE), what a shell reports for `seq`, `cat` or `grep` in the same place.
 */
export const EXIT_BROKEN_PIPE = 141;
