/**
 * How the CLI reports failures: one clear line on stderr, and an exit status.
 * Located errors (Kconfig syntax, compiler diagnostics) already carry `file:line:col: `; conf's
 * own fatal messages (a ConfModeError marked `verbatim`) are printed exactly as conf prints them.
 */
import { KconfigError } from '../kconfig/model.js';
import { SetupMissingError } from '../runner/cache.js';

/**
 * Print `err` for a person and return the process exit status to use.
 * @returns 1 for errors in the user's input, 2 for a missing set-up part, 3 for anything else.
 */
export function reportError(err: unknown): number {
  if (err instanceof KconfigError) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  if (err instanceof SetupMissingError) {
    process.stderr.write(`kbuildts: ${err.message}\n`);
    return 2;
  }
  // conf's own fatal message (ConfModeError verbatim): printed as conf prints it.
  if (err instanceof Error && (err as { userError?: boolean; verbatim?: boolean }).verbatim === true) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  if (err instanceof Error && (err as { userError?: boolean }).userError) {
    process.stderr.write(`kbuildts: ${err.message}\n`);
    return 1;
  }
  const msg = err instanceof Error ? (process.env.KBUILDTS_DEBUG ? err.stack ?? err.message : err.message) : String(err);
  process.stderr.write(`kbuildts: ${msg}\n`);
  return 3;
}
