/**
 * stat(2) that reports failure as null instead of throwing.
 */
import { statSync, type Stats } from 'node:fs';

/**
 * stat(2) of a path, following symlinks.
 * @param p the path
 * @returns its Stats, or null when stat fails for any reason: missing, a non-directory on the
 *   way (ENOTDIR), no permission, a loop of links, a name too long (ENAMETOOLONG). The C tools
 *   this mirrors treat all of these as "not there" (their open() or stat() fails alike).
 */
export function statOrNull(p: string): Stats | null {
  try {
    return statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
