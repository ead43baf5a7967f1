/**
 * `$(shell,...)` probes: a disk cache of their answers, and running them concurrently.
 *
 * conf runs its ~95 compiler probes (cc-option, as-instr, ld-option, ...) one after another;
 * that is most of a `make defconfig`. kbuildts instead:
 *
 * 1. **Caches** each probe's stdout and stderr under `<cacheDir()>/probes/<key>.json`. The key
 *    is a hash of the environment the probes see (the whole Kconfig environment record minus
 *    volatile variables such as PWD, SHLVL, MAKEFLAGS, KCONFIG_*, npm_*) and of the identity of
 *    the tools that environment names (CC, LD, AR, NM, OBJCOPY, PAHOLE, RUSTC, BINDGEN, HOSTCC:
 *    the first word of each, resolved on the environment's PATH, as path + size + mtime + inode;
 *    "missing" when not found). A rebuilt or upgraded compiler, another CROSS_COMPILE, a newly
 *    installed rustc or another srctree gives another key: the probes run again. Within a key,
 *    an entry is looked up by the exact command text. Not part of the key: the directory conf
 *    runs in (the kernel's probes only create and remove `.tmp_$$` there) and the contents of
 *    `$srctree/scripts/*.sh` (a new tree is a new srctree path).
 *    A probe's stderr is recorded and written again (to the process's stderr, where conf's child
 *    writes it) each time its answer is used, at the point of the parse where conf would run it.
 *    Off with `KBUILDTS_PROBE_CACHE=0` (or {@link ProbeOptions.cache} false, `--no-probe-cache`).
 *
 * 2. **Runs probes concurrently** (with or without the disk cache). The parse is strictly
 *    sequential, so this is speculation: a parse round answers every probe it does not know
 *    with a unique marker (U+0002 id U+0003) and carries on, while a worker thread runs the
 *    command (a pool of {@link ProbeOptions.jobs} processes). A command whose text contains
 *    markers (it was built from earlier answers, e.g. `set -- $(cc-version) && echo $1`) is
 *    sent as a template: the worker runs it once the answers it depends on are known, with the
 *    markers replaced by those answers (processed as `$(shell)` does: trailing newlines dropped,
 *    inner ones to spaces). After the round, everything posted is awaited and the parse runs
 *    again. Only a round in which every probe had its real answer is kept (its messages and
 *    replayed stderr are then passed on, in order); the macro language can only concatenate
 *    strings, so this normally takes two rounds (a guessed template that turns out different
 *    just runs in the next round). After {@link MAX_SPECULATIVE_ROUNDS} the last round runs
 *    the remaining misses synchronously. The answers, and so the result, are those of running
 *    the probes one by one: the same command text gets the same answer (a command that occurs
 *    twice in one parse runs once). `KBUILDTS_PROBE_JOBS=1` runs them one by one as conf does
 *    (with the cache off, a repeated command runs again, too).
 *
 * Probes run with `/bin/sh -c CMD`, stdin from /dev/null, in {@link ProbeOptions.cwd} (the
 * object tree, where conf runs).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { sinkFunction, type MessageSink, type RunShell } from './preprocess.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** How {@link runWithProbes} runs and caches `$(shell)` probes. */
export interface ProbeOptions {
  /**
   * Disk cache of probe answers: a directory, true for `<cacheDir()>/probes` (the default unless
   * `$KBUILDTS_PROBE_CACHE` is "0"), false for none.
   */
  cache?: boolean | string;
  /** Probes run at once on a miss (default `$KBUILDTS_PROBE_JOBS`, else 8); 1: one by one, no speculation. */
  jobs?: number;
  /** Directory the probes run in (conf's cwd: the object tree); default the process's cwd. */
  cwd?: string;
  /** Where a probe's stderr goes (live or replayed); default the process's stderr. */
  stderr?: (text: string) => void;
}

/** What the probes of one parse cost: observable figures for tests and benchmarks. */
export interface ProbeStats {
  /** Probe answers taken from the disk cache (distinct commands). */
  cacheHits: number;
  /** Commands actually run (by the worker pool or synchronously). */
  ran: number;
  /** Of those, run synchronously in the last round. */
  ranSync: number;
  /** Parse rounds (1 when every answer was known). */
  rounds: number;
  /** The cache file used, or null without a disk cache. */
  cacheFile: string | null;
}

/** One recorded probe answer: raw stdout and stderr (latin1 strings, as conf reads bytes). */
interface Answer {
  out: string;
  err: string;
}

/** Parse rounds that may answer probes with markers before the last, synchronous one. */
export const MAX_SPECULATIVE_ROUNDS = 6;

/** Environment variables left out of the cache key: they change between runs, not the probes. */
const VOLATILE = /^(PWD|OLDPWD|SHLVL|_|TERM|TERM_.*|COLORTERM|COLUMNS|LINES|SSH_.*|DISPLAY|WINDOWID|TMUX.*|STY|HIST.*|LS_COLORS|MAKEFLAGS|MFLAGS|MAKELEVEL|MAKEOVERRIDES|MAKE_TERMOUT|MAKE_TERMERR|KCONFIG_.*|KBUILDTS_.*|npm_.*|INIT_CWD|NODE_OPTIONS|NODE_CHANNEL_FD|JEST_WORKER_ID|XDG_SESSION_.*|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS|MAIL|OLDPWD|LOGNAME|USER|HOME|LANG|LANGUAGE|LC_ALL|LC_CTYPE|LC_MESSAGES)$/;

/** The variables whose first word names a tool the probes run. */
const TOOL_VARS = ['CC', 'LD', 'AR', 'NM', 'OBJCOPY', 'PAHOLE', 'RUSTC', 'BINDGEN', 'HOSTCC'];

const FORMAT = 'kbuildts-probes-1';

/**
 * The identity of the executable `word` names, resolved as the shell would: itself when it has a
 * slash, else the first file of that name on `path` (a PATH value): `path:size:mtime:inode`, or
 * `word:missing`.
 */
export function toolIdentity(word: string, path: string): string {
  const tryStat = (p: string): string | null => {
    try {
      const s = statSync(p);
      return s.isFile() ? `${p}:${s.size}:${s.mtimeMs}:${s.ino}` : null;
    } catch {
      return null;
    }
  };
  if (word.includes('/')) return tryStat(word) ?? `${word}:missing`;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const id = tryStat(join(dir, word));
    if (id) return id;
  }
  return `${word}:missing`;
}

/**
 * The cache key of an environment: a hash of its non-volatile variables and of the identity of
 * the tools it names (see the module comment).
 */
export function probeCacheKey(env: Record<string, string>): string {
  const h = createHash('sha1');
  h.update(`${FORMAT}\0`);
  for (const k of Object.keys(env).sort()) {
    if (VOLATILE.test(k)) continue;
    h.update(`${k}=${env[k]}\0`);
  }
  const path = env.PATH ?? '';
  for (const v of TOOL_VARS) {
    const word = (env[v] ?? '').trim().split(/\s+/)[0];
    if (word) h.update(`${v}@${toolIdentity(word, path)}\0`);
  }
  return h.digest('hex');
}

const MARK_OPEN = '\u0002';
const MARK_CLOSE = '\u0003';
const MARKER_RE = /\u0002(\d+)\u0003/g;

/**
 * The worker: runs posted jobs `{id, tpl, deps}` with at most `jobs` at once; a job waits until
 * the jobs it depends on are done, then runs `tpl` with their markers replaced by their
 * processed answers. Each result `{id, cmd, out, err}` is posted back, then the shared counter
 * is incremented and notified. CommonJS, evaluated from this string (works from .ts and .js).
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { port, counter, jobs, cwd, env } = workerData;
const done = new Int32Array(counter);
const answers = new Map();
const waiting = [];
let running = 0;
const processed = (o) => (o.length >= 4096 ? o.slice(0, 4095) : o).replace(/\\n+$/, '').replace(/\\n/g, ' ');
function finish(job, cmd, out, err) {
  running--;
  answers.set(job.id, processed(out));
  port.postMessage({ id: job.id, cmd, out, err });
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
  pump();
}
function start(job) {
  let cmd = job.tpl;
  for (const d of job.deps) cmd = cmd.split('\\u0002' + d + '\\u0003').join(answers.get(d));
  running++;
  const out = [];
  const err = [];
  let child;
  try {
    child = spawn('/bin/sh', ['-c', cmd], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    finish(job, cmd, '', '');
    return;
  }
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    finish(job, cmd, Buffer.concat(out).toString('latin1'), Buffer.concat(err).toString('latin1'));
  };
  child.on('error', end);
  child.on('close', end);
}
function pump() {
  for (let i = 0; i < waiting.length && running < jobs; ) {
    const job = waiting[i];
    if (job.deps.every((d) => answers.has(d))) {
      waiting.splice(i, 1);
      start(job);
    } else i++;
  }
}
port.on('message', (job) => {
  waiting.push(job);
  pump();
});
// A failure here must not leave the main thread waiting: slot 1 tells it the pool is gone.
process.on('uncaughtException', () => {
  Atomics.store(done, 1, 1);
  Atomics.notify(done, 0);
});
`;

/** The worker pool of one parse: created on the first miss, ended with {@link ProbePool.close}. */
class ProbePool {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly done: Int32Array;
  private posted = 0;

  constructor(jobs: number, cwd: string, env: Record<string, string>) {
    const { port1, port2 } = new MessageChannel();
    const counter = new SharedArrayBuffer(8); // [jobs finished, pool failed]
    this.done = new Int32Array(counter);
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, counter, jobs, cwd, env },
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.port.unref();
  }

  /** Queue a job (runs as soon as its dependencies are answered and a slot is free). */
  post(id: number, tpl: string, deps: number[]): void {
    this.posted++;
    this.port.postMessage({ id, tpl, deps });
  }

  /**
   * Block until every posted job has finished.
   * @returns their results, in completion order (those that finished, if the pool failed)
   */
  drain(): { id: number; cmd: string; out: string; err: string }[] {
    while (Atomics.load(this.done, 0) < this.posted && Atomics.load(this.done, 1) === 0) {
      Atomics.wait(this.done, 0, Atomics.load(this.done, 0), 1000);
    }
    const results: { id: number; cmd: string; out: string; err: string }[] = [];
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (!m) break;
      results.push(m.message as { id: number; cmd: string; out: string; err: string });
    }
    return results;
  }

  /** True when the worker died: the remaining probes must run without it. */
  get failed(): boolean {
    return Atomics.load(this.done, 1) !== 0;
  }

  close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

/** The disk file of one key: `{format, answers: {cmd: {out, err}}}`. Failures are ignored. */
class ProbeStore {
  readonly answers = new Map<string, Answer>();
  private dirty = false;

  constructor(readonly file: string | null) {
    if (!file) return;
    try {
      const j = JSON.parse(readFileSync(file, 'latin1')) as { format: string; answers: Record<string, Answer> };
      if (j.format === FORMAT) for (const [k, v] of Object.entries(j.answers)) this.answers.set(k, v);
    } catch {
      // no entry yet
    }
  }

  set(cmd: string, a: Answer): void {
    this.answers.set(cmd, a);
    this.dirty = true;
  }

  /** Write the answers back (merged with what another process may have stored meanwhile). */
  save(): void {
    if (!this.file || !this.dirty) return;
    try {
      const merged: Record<string, Answer> = {};
      try {
        const j = JSON.parse(readFileSync(this.file, 'latin1')) as { format: string; answers: Record<string, Answer> };
        if (j.format === FORMAT) Object.assign(merged, j.answers);
      } catch {
        // first write
      }
      for (const [k, v] of this.answers) merged[k] = v;
      writeFileAtomic(this.file, Buffer.from(JSON.stringify({ format: FORMAT, answers: merged }), 'latin1'));
      this.dirty = false;
    } catch {
      // a read-only cache is not an error
    }
  }
}

/** Run one probe now: `/bin/sh -c cmd`, stdout and stderr captured. */
function runSync(cmd: string, env: Record<string, string>, cwd: string): Answer {
  const r = spawnSync('/bin/sh', ['-c', cmd], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { out: r.stdout ? r.stdout.toString('latin1') : '', err: r.stderr ? r.stderr.toString('latin1') : '' };
}

/** The message sink of one round: everything is held back until the round is kept. */
type Held = { to: 'stdout' | 'stderr' | 'probe'; text: string };

/**
 * Run `parse` (one full parse, using the given runShell and message sink) with cached and
 * concurrent probes, as described in the module comment.
 * @param env the environment the probes see (the Kconfig environment record)
 * @param cacheRoot the default cache directory (`<cacheDir()>/probes`)
 * @param log where the kept round's `$(info)`/`$(warning-if)` text goes; default the process streams
 * @returns parse's result of the kept round, and what the probes cost
 * @throws what the kept round throws (a round that answered probes with markers is not kept)
 */
export function runWithProbes<T>(
  env: Record<string, string>,
  opts: ProbeOptions,
  cacheRoot: string,
  log: MessageSink | undefined,
  parse: (runShell: RunShell, log: (stream: 'stdout' | 'stderr', text: string) => void) => T,
): { result: T; stats: ProbeStats } {
  const cacheOpt = opts.cache ?? process.env.KBUILDTS_PROBE_CACHE !== '0';
  const file = cacheOpt === false ? null : join(cacheOpt === true ? cacheRoot : cacheOpt, `${probeCacheKey(env)}.json`);
  const store = new ProbeStore(file);
  const envJobs = Number.parseInt(process.env.KBUILDTS_PROBE_JOBS ?? '', 10);
  const jobs = Math.max(1, opts.jobs ?? (Number.isFinite(envJobs) && envJobs > 0 ? envJobs : 8));
  const cwd = opts.cwd && isAbsolute(opts.cwd) && existsDir(opts.cwd) ? opts.cwd : process.cwd();
  const writeStderr = opts.stderr ?? ((t: string) => void process.stderr.write(Buffer.from(t, 'latin1')));
  const emit = sinkFunction(log);
  const stats: ProbeStats = { cacheHits: 0, ran: 0, ranSync: 0, rounds: 0, cacheFile: file };
  const onDisk = new Set(store.answers.keys());
  let pool: ProbePool | null = null;
  let nextId = 1;
  try {
    for (;;) {
      stats.rounds++;
      const speculate = jobs > 1 && stats.rounds <= MAX_SPECULATIVE_ROUNDS && !(pool as ProbePool | null)?.failed;
      const held: Held[] = [];
      const markers = new Map<string, string>(); // template -> marker, this round
      const hits = new Set<string>();
      const runShell: RunShell = (cmd) => {
        // One by one without a disk cache: exactly conf's way (a repeated command runs again).
        const known = jobs === 1 && !file ? undefined : store.answers.get(cmd);
        if (known) {
          if (onDisk.has(cmd)) hits.add(cmd);
          if (known.err) held.push({ to: 'probe', text: known.err });
          return known.out;
        }
        if (!speculate) {
          const a = runSync(cmd, env, cwd);
          stats.ran++;
          stats.ranSync++;
          store.set(cmd, a);
          if (a.err) held.push({ to: 'probe', text: a.err });
          return a.out;
        }
        let m = markers.get(cmd);
        if (m === undefined) {
          const id = nextId++;
          m = `${MARK_OPEN}${id}${MARK_CLOSE}`;
          markers.set(cmd, m);
          const deps = [...new Set([...cmd.matchAll(MARKER_RE)].map((x) => Number(x[1])))];
          pool ??= new ProbePool(jobs, cwd, env);
          pool.post(id, cmd, deps);
        }
        return m;
      };
      const flush = (): void => {
        for (const h of held) (h.to === 'probe' ? writeStderr(h.text) : emit(h.to, h.text));
      };
      let result: T;
      try {
        result = parse(runShell, (stream, text) => held.push({ to: stream, text }));
      } catch (e) {
        if (markers.size === 0) {
          flush();
          throw e;
        }
        result = undefined as T; // a speculative round: its error may come from a marker
      }
      if (markers.size === 0) {
        stats.cacheHits = hits.size;
        flush();
        return { result, stats };
      }
      for (const r of (pool as ProbePool | null)?.drain() ?? []) {
        stats.ran++;
        store.set(r.cmd, { out: r.out, err: r.err });
      }
    }
  } finally {
    (pool as ProbePool | null)?.close();
    store.save();
  }
}

function existsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
