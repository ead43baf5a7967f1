/**
 * `kbuildts config oldconfig` (and oldaskconfig, syncconfig) on a terminal: conf.c's dialog —
 * only the new symbols are asked, in conf's order, with conf's question text
 * (`Prompt (SYMBOL) [N/m/y/?] (NEW)`, `Prompt (SYMBOL) [default] (NEW)`, a choice's numbered
 * list) — but each question is an @inquirer prompt: a select of the allowed values (and `?`
 * for help), an input box with the default filled in, a select of the choice's members.
 *
 * The dialog itself is the synchronous one of src/kconfig/modes.ts, run in a worker thread
 * (src/tui/oldconfig-worker.ts) that blocks on each question until this thread has the answer;
 * the answers are fed to it as the lines conf would have read, so the result is what conf
 * writes for the same answers.
 */
import { Worker } from 'node:worker_threads';
import { input, select, Separator } from '@inquirer/prompts';
import { ExitPromptError } from '@inquirer/core';
import { KconfigError } from '../kconfig/model.js';
import type { RunConfigOptions } from '../kconfig/config.js';
import { ANSWER_ABORT, ANSWER_EOF, ANSWER_LINE, type WorkerMessage, type WorkerQuestion } from './oldconfig-protocol.js';

/** Options of {@link runInteractiveConfig}: those of runConfig() without the output sinks and input. */
export type InteractiveConfigOptions = Omit<RunConfigOptions, 'onStdout' | 'onStderr' | 'input'>;

const TRI_WORDS: Record<string, string> = { n: 'no', m: 'module', y: 'yes, built in' };

/**
 * Ask a `[N/m/y/?]` question: the values inside the brackets, the current one (upper case) first.
 * @returns the answer line ("y\n", "?\n", ...)
 */
async function askTristate(message: string): Promise<string> {
  const m = /\[([^\]]*)\/\?\]/.exec(message);
  const opts = (m ? m[1] : 'N/m/y').split('/');
  const current = opts[0].toLowerCase();
  const order = ['y', 'm', 'n'].filter((v) => opts.some((o) => o.toLowerCase() === v));
  const answer = await select({
    message,
    choices: [
      ...order.map((v) => ({ name: `${v}  ${TRI_WORDS[v]}${v === current ? ' (current)' : ''}`, value: v, short: v })),
      { name: '?  help', value: '?', short: '?' },
    ],
    default: current,
  });
  return `${answer}\n`;
}

/** Ask an int/hex/string question with the default filled in (`?` asks for help). */
async function askString(message: string, q: Extract<WorkerQuestion, { kind: 'string' }>): Promise<string> {
  const answer = await input({
    message,
    default: q.def,
    prefill: 'editable',
    validate: (v) => {
      if (v === '?' || q.type === 'string') return true;
      const ok = q.type === 'int' ? /^-?(0|[1-9][0-9]*)$/.test(v) : /^(0[xX])?[0-9a-fA-F]+$/.test(v);
      return ok || (q.type === 'int' ? 'Please enter a decimal value' : 'Please enter a hexadecimal value');
    },
  });
  return `${answer}\n`;
}

/**
 * Ask a choice's member: `lines` are the choice's list as conf printed it (title, then
 * ` 1. Member (SYM)` entries, `>` marking the current one, `* comment` lines).
 */
async function askChoice(lines: string[], question: string): Promise<string> {
  const title = (lines[0] ?? '').trim();
  const choices: (Separator | { name: string; value: string; short: string })[] = [];
  let def: string | undefined;
  for (const l of lines.slice(1)) {
    const m = /^\s*(>)?\s*(\d+)\. (.*)$/.exec(l);
    if (m) {
      const value = `${m[2]}\n`;
      if (m[1]) def = value;
      choices.push({ name: `${m[2]}. ${m[3]}`, value, short: m[2] });
    } else choices.push(new Separator(l.trim()));
  }
  choices.push({ name: '?  help', value: '?\n', short: '?' });
  return select({ message: `${title} ${question}`.trim(), choices, default: def });
}

/**
 * Run an interactive conf mode on the terminal (see the module comment).
 * @returns the exit status: 0, or 130 when interrupted with Ctrl+C (nothing written then)
 * @throws KconfigError / Error (userError) as runConfig() does
 */
export async function runInteractiveConfig(opts: InteractiveConfigOptions): Promise<number> {
  const sab = new SharedArrayBuffer(8 + (1 << 16));
  const ctl = new Int32Array(sab, 0, 2);
  const data = new Uint8Array(sab, 8);
  const env = opts.env ?? process.env;
  const worker = new Worker(new URL('./oldconfig-worker.js', import.meta.url), {
    workerData: { opts: { ...opts, env: { ...env } }, sab },
  });
  const write = (s: string, stream: NodeJS.WriteStream = process.stdout): void => void stream.write(Buffer.from(s, 'latin1'));
  let buf = '';
  const flushLines = (): void => {
    const nl = buf.lastIndexOf('\n');
    if (nl >= 0) {
      write(buf.slice(0, nl + 1));
      buf = buf.slice(nl + 1);
    }
  };
  const answer = (state: number, line = ''): void => {
    const bytes = Buffer.from(line, 'latin1');
    data.set(bytes.subarray(0, data.length));
    Atomics.store(ctl, 1, Math.min(bytes.length, data.length));
    Atomics.store(ctl, 0, state);
    Atomics.notify(ctl, 0);
  };
  const ask = async (q: WorkerQuestion): Promise<void> => {
    const nl = buf.lastIndexOf('\n');
    let complete = nl >= 0 ? buf.slice(0, nl + 1) : '';
    const question = (nl >= 0 ? buf.slice(nl + 1) : buf).trim();
    buf = '';
    try {
      if (q.kind === 'choice') {
        const lines = complete.split('\n').slice(0, -1);
        const block = lines.splice(Math.max(0, lines.length - q.lines));
        write(lines.length ? `${lines.join('\n')}\n` : '');
        answer(ANSWER_LINE, await askChoice(block, question));
        return;
      }
      write(complete);
      complete = '';
      answer(ANSWER_LINE, q.kind === 'bool' ? await askTristate(question) : await askString(question, q));
    } catch (e) {
      if (e instanceof ExitPromptError) answer(ANSWER_ABORT);
      else {
        answer(ANSWER_EOF);
        throw e;
      }
    }
  };
  return new Promise<number>((resolve, reject) => {
    let chain = Promise.resolve();
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
    };
    worker.on('message', (m: WorkerMessage) => {
      chain = chain.then(async () => {
        switch (m.type) {
          case 'out':
            buf += m.text;
            break;
          case 'err':
            flushLines();
            write(m.text, process.stderr);
            break;
          case 'ask':
            await ask(m.q);
            break;
          case 'done':
            write(buf);
            buf = '';
            finish(() => resolve(0));
            break;
          case 'interrupted':
            write(buf);
            buf = '';
            finish(() => resolve(130));
            break;
          case 'error':
            write(buf);
            buf = '';
            finish(() => reject(m.located
              ? new KconfigError(m.located.file, m.located.line, m.located.col, m.located.detail)
              : Object.assign(new Error(m.message), { userError: m.userError, verbatim: m.verbatim === true })));
            break;
        }
      }).catch((e: unknown) => finish(() => reject(e)));
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => {
      void chain.then(() => finish(() => (code === 0 ? resolve(0) : reject(new Error(`oldconfig worker exited with status ${code}`)))));
    });
  });
}
