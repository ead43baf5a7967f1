/**
 * Atomic file writes: the content goes to a temporary file in the same directory, which is then
 * renamed over the target, so a reader (or an interrupted run) never sees a half-written file.
 * This is what scripts/kconfig/confdata.c does for .config (write `.tmpconfig.<pid>`, rename).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Write `data` to `file` atomically, creating the parent directory.
 * @param file target path
 * @param data file content (UTF-8 for strings)
 * @param mode permission bits for a new file (default 0o644)
 * @throws the underlying fs error; the target is then left as it was
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.tmp${process.pid}`);
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
