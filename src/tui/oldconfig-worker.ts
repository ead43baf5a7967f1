/**
 * The worker half of the interactive oldconfig (src/tui/oldconfig.ts). It runs the ordinary,
 * synchronous conf.c dialog of src/kconfig/modes.ts through runConfig(); each question is
 * handed to the main thread (which asks it with @inquirer prompts on the terminal) and the
 * worker sleeps on a shared buffer (Atomics.wait) until the answer line is there. So the
 * questions, their order, the help and the files written are those of the line-oriented
 * dialog, unchanged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runConfig, type RunConfigOptions } from '../kconfig/config.js';
import { setConfAsk } from '../kconfig/modes.js';
import { menuIsVisible } from '../kconfig/menu.js';
import { SymbolType } from '../kconfig/model.js';
import { symGetStringValue } from '../kconfig/evaluate.js';
import { KconfigError } from '../kconfig/model.js';
import { ANSWER_ABORT, ANSWER_EOF, ANSWER_WAIT, type WorkerMessage, type WorkerQuestion } from './oldconfig-protocol.js';

class Interrupted extends Error {}

if (parentPort) {
  const port = parentPort;
  const { opts, sab } = workerData as { opts: Omit<RunConfigOptions, 'onStdout' | 'onStderr'>; sab: SharedArrayBuffer };
  const ctl = new Int32Array(sab, 0, 2);
  const data = new Uint8Array(sab, 8);
  const post = (m: WorkerMessage): void => port.postMessage(m);
  let pending = '';
  setConfAsk((menu) => {
    const sym = menu.sym!;
    let q: WorkerQuestion;
    if (pending.endsWith('?]: ')) {
      let lines = 1;
      for (let child = menu.list; child; child = child.next) if (menuIsVisible(child)) lines++;
      q = { kind: 'choice', lines };
    } else if (sym.type === SymbolType.Int || sym.type === SymbolType.Hex || sym.type === SymbolType.String) {
      q = { kind: 'string', type: sym.type === SymbolType.Int ? 'int' : sym.type === SymbolType.Hex ? 'hex' : 'string', def: symGetStringValue(sym) };
    } else q = { kind: 'bool' };
    Atomics.store(ctl, 0, ANSWER_WAIT);
    post({ type: 'ask', q });
    Atomics.wait(ctl, 0, ANSWER_WAIT);
    const state = Atomics.load(ctl, 0);
    pending = ''; // the terminal is on a new line after the answer
    if (state === ANSWER_ABORT) throw new Interrupted();
    if (state === ANSWER_EOF) return null;
    return Buffer.from(data.subarray(0, ctl[1])).toString('latin1');
  });
  try {
    runConfig({
      ...opts,
      onStdout: (text) => {
        const nl = text.lastIndexOf('\n');
        pending = nl >= 0 ? text.slice(nl + 1) : pending + text;
        post({ type: 'out', text });
      },
      onStderr: (text) => post({ type: 'err', text }),
    });
    post({ type: 'done' });
  } catch (e) {
    if (e instanceof Interrupted) post({ type: 'interrupted' });
    else if (e instanceof KconfigError) post({ type: 'error', message: e.message, userError: true, located: { file: e.file, line: e.line, col: e.col, detail: e.detail } });
    else post({ type: 'error', message: e instanceof Error ? e.message : String(e), userError: !!(e as { userError?: boolean })?.userError, verbatim: (e as { verbatim?: boolean })?.verbatim === true });
  }
}
