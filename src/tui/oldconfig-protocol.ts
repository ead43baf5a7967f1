/**
 * What the interactive oldconfig's two threads share (src/tui/oldconfig.ts, the main thread, and
 * src/tui/oldconfig-worker.ts, which runs the conf dialog): the messages and the states of the
 * shared answer word. A module of its own so that the main thread does not load the Kconfig
 * engine the worker runs.
 */

/** A question as the main thread receives it (the question text is the pending output line). */
export type WorkerQuestion =
  | { kind: 'bool' }
  | { kind: 'string'; type: 'int' | 'hex' | 'string'; def: string }
  /** `lines`: how many complete output lines before the question are the choice's list (title + entries). */
  | { kind: 'choice'; lines: number };

/** Messages of the worker to the main thread. */
export type WorkerMessage =
  | { type: 'out' | 'err'; text: string }
  | { type: 'ask'; q: WorkerQuestion }
  | { type: 'done' }
  | { type: 'interrupted' }
  | { type: 'error'; message: string; userError: boolean; verbatim?: boolean; located?: { file: string; line: number; col: number; detail: string } };

/** Answer states in the shared control word. */
export const ANSWER_WAIT = 0;
export const ANSWER_LINE = 1;
export const ANSWER_EOF = 2;
export const ANSWER_ABORT = 3;

