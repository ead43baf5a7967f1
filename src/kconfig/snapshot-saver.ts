/**
 * The background writer of a front-end snapshot: `node snapshot-saver.js <claim file>`, started
 * detached by frontend-cache.ts startSnapshotSave() after a run that missed the snapshot of a
 * kernel tree has written its own outputs. It parses and finalises the same inputs again and
 * writes the snapshot (frontend-cache.ts runSnapshotSave()); its exit status is 0, or 1 when the
 * request could not be read or the parse failed. It prints nothing.
 */
import { runSnapshotSave } from './frontend-cache.js';

process.exitCode = runSnapshotSave(process.argv[2] ?? '');
