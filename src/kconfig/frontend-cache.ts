/**
 * The front-end snapshot: the finalised Kconfig tree of a whole kernel tree, kept on disk so
 * that the next `kbuildts config` on the same inputs skips the parse and menu_finalize().
 *
 * conf_parse() plus menu_finalize() and the dependency check are a pure function of: the
 * Kconfig files read (their names, where zconf_fopen() found them, their bytes), the environment
 * variables the macro language looked up (set or not), the `$(shell)` answers, the language
 * version and the front end's own code. A snapshot records the inputs it was made from and is
 * used only when all of them are the same again:
 *   - its file name is a hash of the code (every module of src/kconfig, the grammar, the codec),
 *     the version, srctree, $srctree, the top file name, and the probe cache's key
 *     (probes.ts probeCacheKey: the environment and the identity of the toolchain; the
 *     `$(shell)` answers are those of the probe cache under that key);
 *   - inside, every file the parse read (name, path found, stat identity, digest), looked up
 *     again the way zconf_fopen() does from the current object tree (a file whose size, mtime
 *     and inode are unchanged is not read; one whose mtime changed is compared by digest), and
 *     the environment variables the parse looked up (with their values, or as unset) are
 *     compared first. A run in which a file read was modified less than 2 s before the parse
 *     writes no snapshot (a coarse timestamp could hide a later edit).
 * Not part of the check, as for the probe cache: files a `$(shell)` command reads.
 *
 * The snapshot holds the tree after finalisation (before any mode runs), the evaluation
 * context's data fields (hash order, choice bookkeeping) and, in order, everything the parse
 * and the finalisation printed (`$(info)`, warnings, probe stderr), which a hit prints again.
 * Files: `<cacheDir()>/frontend/<key>.snap` (the most recent kept: prune()),
 * written to a temporary name and renamed. Encoding: src/util/graph-codec.ts.
 *
 * Off with `KBUILDTS_FRONTEND_CACHE=0`, and whenever the parse cache (`KBUILDTS_PARSE_CACHE=0`)
 * or the probe cache (`KBUILDTS_PROBE_CACHE=0`: every probe must really run) is off.
 *
 * Writing a kernel tree's snapshot costs more than the rest of the run (arm64 6.1: encoding and
 * writing 0.8-0.9 s, against 0.45 s for the parse and finalisation), and a miss comes after every
 * Kconfig edit (`kbuildts new driver` makes one). A caller that asks for it (`save: 'background'`:
 * the `kbuildts config` command) leaves that to a detached process of its own
 * ({@link startSnapshotSave}, snapshot-saver.ts), started once its outputs are written; that
 * process parses the same inputs again and writes the snapshot for the next run.
 * `KBUILDTS_FRONTEND_SAVE=inline` or `=background` overrides the choice made by the tree's size.
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeGraph, encodeGraph } from '../util/graph-codec.js';
import { cacheDir } from '../runner/cache.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Expr, ExprValue, KconfigVersion } from './model.js';
import type { ParsedKconfig } from './parse.js';
import { kconfigFileLocator, parseKconfig } from './parse.js';
import { finalizeTree } from './menu.js';
import { probeCacheKey } from './probes.js';
import { createContext, useContext, type EvalContext } from './evaluate.js';

/** Snapshots always kept in `<cacheDir()>/frontend` (the most recently written); see prune(). */
const SNAPSHOTS_KEPT = 8;
/** Older snapshots are kept while all of them add up to less than this many bytes... */
const SNAPSHOT_BYTES = 256 * 1024 * 1024;
/** ...and number less than this. */
const SNAPSHOTS_MAX = 512;

const FORMAT = 'kbuildts-frontend-1';

/**
 * Trees with at least this many symbols have their snapshot written in the background when the
 * caller allows it: a kernel tree has 15,000-20,000 (its snapshot costs 0.8-0.9 s to write);
 * a small tree's costs a few milliseconds, less than starting a process.
 */
const BACKGROUND_SYMBOLS = 2000;
/** A claim on writing a snapshot (a `.save` file) older than this is taken to be left by a killed writer. */
const SAVE_CLAIM_MS = 10 * 60_000;
/** The background writer: this directory's snapshot-saver module, built (absent when running from the .ts sources). */
const SAVER = fileURLToPath(new URL('./snapshot-saver.js', import.meta.url));

/** One message printed by the parse or the finalisation: to stdout, stderr, or a probe's stderr. */
export interface FrontEndMessage {
  to: 'stdout' | 'stderr' | 'probe';
  text: string;
}

/** What identifies one front end run (the inputs known before the parse). */
export interface FrontEndKey {
  srctree: string;
  objtree: string;
  /** The top Kconfig file name as given to conf. */
  file: string;
  version: KconfigVersion;
  /** The environment the parse runs in. */
  env: Record<string, string>;
}

/** A snapshot read back: the tree, the context's data fields, the messages to print again. */
export interface FrontEndSnapshot {
  /** The finalised tree; its filesRead is empty (the records are in the validation part). */
  tree: ParsedKconfig;
  /** EvalContext fields that are data (see {@link contextData}). */
  context: Partial<EvalContext>;
  messages: FrontEndMessage[];
}

/** One file the parse read: its name as given, where it was found, its stat identity and digest. */
type FileRecord = [name: string, path: string, size: number, mtimeMs: number, ino: number, sha1: string];

/** What is checked before a snapshot is decoded. */
interface Validation {
  format: string;
  /** Every file the parse read, in first-open order. */
  files: FileRecord[];
  /** Environment variables the parse read, with their values. */
  env: [string, string][];
  /** Environment variables the parse looked up and found unset. */
  envMissing: string[];
}

/**
 * Files modified less than this long before the parse started make the run write no snapshot:
 * their stat identity may not tell a later change apart (coarse file-system timestamps, an
 * edit during the parse).
 */
const RACY_MS = 2000;

/** The context fields a snapshot does not keep: the tree itself, functions, per-run state. */
const CONTEXT_SKIP = new Set(['tree', 'env', 'out', 'err', 'cwd', 'written', 'message', 'stdout', 'stderr']);

/**
 * The data fields of an evaluation context right after finalizeTree() (hash order, choice
 * bookkeeping, flags), given back to createContext() with the decoded tree.
 */
export function contextData(c: EvalContext): Partial<EvalContext> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (!CONTEXT_SKIP.has(k) && typeof v !== 'function') out[k] = v;
  return out as Partial<EvalContext>;
}

let saltValue: string | undefined;
/** Hash of the code the snapshot depends on: every module of this directory, the grammar, the codec. */
function salt(): string {
  if (saltValue !== undefined) return saltValue;
  const h = createHash('sha1').update(`${FORMAT}\0`);
  const here = dirname(fileURLToPath(import.meta.url));
  const ext = /\.ts$/.test(fileURLToPath(import.meta.url)) ? '.ts' : '.js';
  for (const f of readdirSync(here).filter((n) => n.endsWith(ext)).sort()) h.update(`${f}\0`).update(readFileSync(join(here, f)));
  for (const rel of ['../../grammar/kconfig.ohm', `../util/graph-codec${ext}`]) {
    try {
      h.update(readFileSync(fileURLToPath(new URL(rel, import.meta.url))));
    } catch {
      h.update(rel);
    }
  }
  saltValue = h.digest('hex');
  return saltValue;
}

/** Whether the snapshot is on in this environment (see the module comment). */
function frontEndCacheEnabled(): boolean {
  const env = process.env;
  return env.KBUILDTS_FRONTEND_CACHE !== '0' && env.KBUILDTS_PARSE_CACHE !== '0' && env.KBUILDTS_PROBE_CACHE !== '0';
}

function snapshotFile(k: FrontEndKey, root: string): string {
  const h = createHash('sha1')
    .update(`${salt()}\0${k.version}\0${k.srctree}\0${k.env.srctree ?? k.srctree}\0${k.file}\0`)
    .update(probeCacheKey(k.env))
    .digest('hex');
  return join(root, `${h}.snap`);
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

/**
 * The records of the files a parse read (ParsedKconfig.filesRead, in first-open order).
 * @param notAfter the time the parse started (ms): a file modified later than RACY_MS before it
 *   gives null (no snapshot)
 * @returns the records, or null (a file too recent)
 */
function fileRecords(tree: ParsedKconfig, notAfter: number): FileRecord[] | null {
  const out: FileRecord[] = [];
  for (const name of tree.files) {
    const f = tree.filesRead.get(name);
    if (!f || f.mtimeMs > notAfter - RACY_MS) return null;
    out.push([name, f.path, f.size, f.mtimeMs, f.ino, f.sha1]);
  }
  return out;
}

/**
 * Whether every recorded file is found at the same place with the same bytes: by its stat
 * identity (size, mtime, inode), or, when that changed but the size did not, by its digest.
 */
function filesUnchanged(records: readonly FileRecord[], objtree: string, srctreeEnv: string): boolean {
  const locate = kconfigFileLocator(objtree, srctreeEnv);
  for (const [name, path, size, mtimeMs, ino, digest] of records) {
    if (locate(name) !== path) return false;
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st?.isFile()) return false;
    if (st.size !== size) return false;
    if (st.mtimeMs === mtimeMs && st.ino === ino) continue;
    try {
      if (sha1(readFileSync(path)) !== digest) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Read the snapshot for `k` if there is one and every input it was made from is unchanged.
 * @param root the snapshot directory (default `<cacheDir()>/frontend`)
 * @returns the snapshot, or null (none, stale, unreadable: the caller parses)
 */
function loadFrontEnd(k: FrontEndKey, root = join(cacheDir(), 'frontend')): FrontEndSnapshot | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(snapshotFile(k, root));
  } catch {
    return null;
  }
  try {
    const vlen = bytes.readUInt32LE(0);
    const v = JSON.parse(bytes.toString('utf8', 4, 4 + vlen)) as Validation;
    if (v.format !== FORMAT) return null;
    for (const [name, value] of v.env) if (k.env[name] !== value) return null;
    for (const name of v.envMissing) if (k.env[name] !== undefined) return null;
    if (!filesUnchanged(v.files, k.objtree, k.env.srctree ?? k.srctree)) return null;
    return decodeGraph(bytes.subarray(4 + vlen)) as FrontEndSnapshot;
  } catch {
    return null; // a damaged or foreign file: parse instead
  }
}

/**
 * Write the snapshot of a finalised tree (best effort: a read-only cache or a tree the codec
 * cannot encode is not an error). Call it right after finalizeTree(), before any mode runs.
 * @param tree the parse result, finalised; context: {@link contextData} of its context;
 *   messages: what the parse and the finalisation printed, in order; parseStart: Date.now()
 *   when the parse started (no snapshot when a file it read was modified shortly before)
 * @returns the file written, or null
 */
function saveFrontEnd(
  k: FrontEndKey,
  tree: ParsedKconfig,
  context: Partial<EvalContext>,
  messages: FrontEndMessage[],
  parseStart: number,
  root = join(cacheDir(), 'frontend'),
): string | null {
  try {
    const files = fileRecords(tree, parseStart);
    if (files === null) return null;
    const v: Validation = { format: FORMAT, files, env: [...tree.env], envMissing: tree.envMissing ?? [] };
    const vjson = JSON.stringify(v);
    // Padded with spaces (JSON allows them) so that the codec's part starts at a multiple of 4:
    // its int32 tables are then read in place, not copied (graph-codec.ts decodeGraph).
    const vbytes = Buffer.from(vjson.padEnd(vjson.length + ((4 - (Buffer.byteLength(vjson, 'utf8') % 4)) % 4)), 'utf8');
    const body = encodeFrontEnd(tree, context, messages);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(vbytes.length, 0);
    const file = snapshotFile(k, root);
    writeFileAtomic(file, [len, vbytes, body]);
    prune(root);
    return file;
  } catch {
    return null;
  }
}

/**
 * The codec part of a snapshot (what follows the validation part in the file): the tree, the
 * context's data fields and the messages, encoded with the expression and empty-dependency
 * sharing. Exported for the benchmarks and byte-identity checks of the encoder; the snapshot
 * itself is written by saveFrontEnd().
 * @param tree the finalised tree (its filesRead is left out); context: {@link contextData} of
 *   its context; messages: what the parse and the finalisation printed, in order
 * @returns the encoded bytes
 * @throws GraphCodecError for a value the codec cannot encode
 */
export function encodeFrontEnd(tree: ParsedKconfig, context: Partial<EvalContext>, messages: FrontEndMessage[]): Buffer {
  // filesRead is in the validation part already (a hit has no use for it in the tree).
  const kept: ParsedKconfig = { ...tree, filesRead: new Map() };
  const exprs = exprSharer();
  const deps = emptyDepSharer(tree);
  return encodeGraph({ tree: kept, context, messages } satisfies FrontEndSnapshot, { canonical: (o) => deps(exprs(o)) });
}

/**
 * A canonicaliser for {@link encodeGraph} that makes the `rev_dep` and `implied` of every symbol
 * that has none (no `select`, no `imply` of it: some 30,000 of the 35,000 on the Linux trees)
 * one shared `{expr: null, tri: no}`, decoded as one object instead of one per symbol. Sound
 * because their tristate never changes: sym_calc_visibility() computes `no` for a missing
 * expression and writes the field only when the value differs (evaluate.ts symCalcVisibility),
 * and nothing after menu_finalize() gives a symbol a select or an imply.
 * @param tree the finalised tree; @returns the canonicaliser (other objects map to themselves),
 *   to be used while the tree stays as it is (it tests the fields before the identity)
 */
function emptyDepSharer(tree: ParsedKconfig): (o: object) => object {
  const empty = new Set<object>();
  for (const s of tree.symbols) {
    for (const d of [s.rev_dep, s.implied]) if (d.expr === null && d.tri === 0) empty.add(d);
  }
  const shared = { expr: null, tri: 0 };
  // Every reference of the snapshot passes here: the fields first (two loads from the object,
  // which the encoder reads anyway) leave 36,000 of its 637,000 references for the Set of
  // 31,000 (arm64 6.1), whose lookups miss the cache: ~60 -> ~10 ms in CPU profiles of cold
  // encodes, 520 -> 460 ms for a whole warm encode.
  return (o: object): object => {
    const d = o as Partial<ExprValue>;
    return d.tri === 0 && d.expr === null && empty.has(o) ? shared : o;
  };
}

/** Expression kinds (`type`) that {@link exprSharer} shares, numbered for its keys; others are 0. */
function exprKind(type: string): number {
  switch (type) {
    case 'symbol': return 1;
    case 'not': return 2;
    case 'and': return 3;
    case 'or': return 4;
    case 'equal': return 5;
    case 'unequal': return 6;
    case 'lth': return 7;
    case 'leq': return 8;
    case 'gth': return 9;
    case 'geq': return 10;
    default: return 0;
  }
}

/** Classes of equal expression nodes {@link exprSharer} makes at most (it stops sharing beyond). */
const MAX_CLASSES = 2 ** 22;

/**
 * A canonicaliser for {@link encodeGraph} that shares structurally equal expression nodes
 * (E_SYMBOL, E_NOT, E_AND, E_OR and the comparisons; E_LIST and E_RANGE are kept as they are).
 * menu_finalize() copies every inherited dependency into each property (expr_copy), so the
 * Linux arm64 tree has 550,000 expression nodes of which a few tens of thousands differ.
 * Sound because nothing after menu_finalize() creates, mutates or compares expression nodes
 * by identity (sym_calc_value(), confdata and the modes only read them); a snapshot's tree
 * must never be finalised again. Each class of equal nodes is represented by the first node of
 * it met (children before parents, left before right).
 */
function exprSharer(): (o: object) => object {
  const symIds = new Map<object, number>();
  /** Symbol id -> the class of its E_SYMBOL nodes. */
  const symClass: number[] = [];
  /**
   * E_NOT, E_AND, E_OR node -> the id of its class of equal nodes: they are met again (a shared
   * dependency, a representative's children), and without it their subtrees would be walked
   * again. Leaves are not kept: a leaf's class is found with as many lookups without it (its
   * symbol's id, then symClass; or the two ids of a comparison). On arm64 6.1 this Map goes from
   * 286,000 lookups and 132,000 entries to 110,000 and 53,000, and the sharer's Map work from
   * 22 % to 15 % of a cold encode's CPU profile; whole encodes 603 -> 545 ms (warm), 665 -> 567
   * ms (cold, medians of 10 processes).
   */
  const classOf = new Map<object, number>();
  /**
   * Numeric key (kind, operand ids) -> class id; class id -> the node that stands for it. (An
   * open-addressing Int32Array table instead of this Map measured no faster: 580 ms against
   * 563, medians of 10 cold encodes.)
   */
  const classByKey = new Map<number, number>();
  const reps: object[] = [];
  const symId = (s: object): number => {
    let id = symIds.get(s);
    if (id === undefined) symIds.set(s, (id = symIds.size));
    return id;
  };
  /** A new class for `e`, or -1 when there are too many. */
  const newClass = (e: object): number => {
    const id = reps.length;
    if (id >= MAX_CLASSES) return -1;
    reps.push(e);
    return id;
  };
  /**
   * The class of a node of `kind` with operands a and b (class or symbol ids), made with `e` for
   * it if new; -1 when there are too many. Key: kind * 2^44 + a * 2^22 + b, exact in a double
   * while a and b stay below 2^22 (MAX_CLASSES; symbols, as many as the tree has: ~35,000).
   */
  const classFor = (kind: number, a: number, b: number, e: object): number => {
    const k = kind * 2 ** 44 + a * 2 ** 22 + b;
    let id = classByKey.get(k);
    if (id === undefined) {
      id = newClass(e);
      if (id >= 0) classByKey.set(k, id);
    }
    return id;
  };
  /** The class id of an expression node (its children's first); -1 where sharing stops (E_LIST, E_RANGE below). */
  const classId = (e: Expr): number => {
    switch (e.type) {
      case 'symbol': {
        const s = symId(e.sym);
        let id = symClass[s];
        if (id === undefined) {
          id = newClass(e);
          if (id >= 0) symClass[s] = id;
        }
        return id;
      }
      case 'not': {
        let id = classOf.get(e);
        if (id !== undefined) return id;
        const c = classId(e.expr);
        if (c < 0) return -1;
        id = classFor(2, c, 0, e);
        if (id >= 0) classOf.set(e, id);
        return id;
      }
      case 'and':
      case 'or': {
        let id = classOf.get(e);
        if (id !== undefined) return id;
        const l = classId(e.left);
        const r = l < 0 ? -1 : classId(e.right);
        if (r < 0) return -1;
        id = classFor(e.type === 'and' ? 3 : 4, l, r, e);
        if (id >= 0) classOf.set(e, id);
        return id;
      }
      case 'list':
      case 'range':
        return -1;
      default:
        return classFor(exprKind(e.type), symId(e.left), symId(e.right), e);
    }
  };
  return (o: object): object => {
    // An expression node: a `type` of an expression kind, and not a property (which has a menu).
    const t = (o as { type?: unknown }).type;
    if (typeof t !== 'string' || exprKind(t) === 0 || 'menu' in o || Array.isArray(o)) return o;
    const id = classId(o as Expr);
    return id < 0 ? o : reps[id];
  };
}

/**
 * Keep the most recently written snapshots: the newest {@link SNAPSHOTS_KEPT} whatever their
 * size, then more while they add up to less than {@link SNAPSHOT_BYTES} and number less than
 * {@link SNAPSHOTS_MAX} (so that many small trees, such as test fixtures, do not push out the
 * kernel trees' snapshots); remove stale temporary files and claims (`.save`, see
 * startSnapshotSave()).
 */
function prune(root: string): void {
  const entries = readdirSync(root)
    .filter((n) => n.endsWith('.snap') || n.endsWith('.save') || /\.tmp\d+$/.test(n))
    .map((n) => {
      const st = statSync(join(root, n), { throwIfNoEntry: false });
      return { n, mtime: st?.mtimeMs ?? 0, size: st?.size ?? 0 };
    });
  const snaps = entries.filter((e) => e.n.endsWith('.snap')).sort((a, b) => b.mtime - a.mtime);
  let bytes = 0;
  snaps.forEach((e, i) => {
    bytes += e.size;
    if (i >= SNAPSHOTS_KEPT && (bytes > SNAPSHOT_BYTES || i >= SNAPSHOTS_MAX)) rmSync(join(root, e.n), { force: true });
  });
  const hour = Date.now() - 3_600_000;
  for (const e of entries) if (!e.n.endsWith('.snap') && e.mtime < hour) rmSync(join(root, e.n), { force: true }); // left by a killed writer
}

/**
 * Wall time in milliseconds (performance.now()) of the front end's stages in one
 * {@link finalizedTree} call; a stage that did not run is 0.
 */
export interface FrontEndTimes {
  /** Looking for the snapshot and checking its inputs; on a hit also decoding it and making the context. */
  snapshot: number;
  /** conf_parse() proper: parseKconfig(), `$(shell)` probes included. */
  parse: number;
  /** menu_finalize() and the dependency check: finalizeTree(). */
  finalize: number;
  /** Encoding and writing the snapshot. */
  save: number;
}

/** What {@link finalizedTree} returns. */
export interface FinalizedTree {
  /** The finalised tree. */
  tree: ParsedKconfig;
  /** Its evaluation context, made current. */
  ctx: EvalContext;
  /** Whether the tree was parsed here or read from the snapshot of the same inputs. */
  from: 'parsed' | 'snapshot';
  /** What each stage took. */
  ms: FrontEndTimes;
  /**
   * The snapshot left to a background writer (`save: 'background'`, a big tree): the caller
   * passes it to {@link startSnapshotSave} once its own outputs are written.
   */
  pendingSave?: FrontEndKey;
}

/** Options of {@link finalizedTree}: the inputs, where the messages go, and the snapshot's use. */
export interface FinalizedTreeOptions extends FrontEndKey {
  /** Receive what the parse and the finalisation print on stdout / stderr (also on a snapshot hit). */
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /**
   * 'use' (default): read the snapshot when its inputs are unchanged, else parse and write it;
   * 'refresh': parse and write it; 'off': parse only. The environment switches (see the module
   * comment) make it 'off'.
   */
  snapshot?: 'use' | 'refresh' | 'off';
  /** Passed to parseKconfig (free the front end's in-process caches after the parse). */
  releaseCaches?: boolean;
  /**
   * How a snapshot missed under 'use' is written: 'inline' (default), or 'background': for a
   * tree of {@link BACKGROUND_SYMBOLS} symbols or more, not here but by a detached process the
   * caller starts ({@link FinalizedTree.pendingSave}); `KBUILDTS_FRONTEND_SAVE` overrides the
   * size test (`inline`, `background`). Background writing needs the built package.
   */
  save?: 'inline' | 'background';
}

/**
 * conf_parse() and menu_finalize() of a Kconfig tree, or the snapshot of the same inputs: the
 * finalised tree and its evaluation context, made current (useContext). A `$(shell)` probe's
 * stderr goes to the process's stderr, as conf's child writes it.
 * @returns the tree, the context (messages to opts.stdout/stderr), how the tree was had, and
 *   the time each stage took
 * @throws what parseKconfig and finalizeTree throw (KconfigError for syntax errors and
 *   recursive dependencies); a snapshot that cannot be read or written is not an error
 */
export function finalizedTree(opts: FinalizedTreeOptions): FinalizedTree {
  const key: FrontEndKey = { srctree: opts.srctree, objtree: opts.objtree, file: opts.file, version: opts.version, env: opts.env };
  const writeProbeStderr = (t: string): void => void process.stderr.write(Buffer.from(t, 'latin1'));
  const mode = frontEndCacheEnabled() ? opts.snapshot ?? 'use' : 'off';
  const ms: FrontEndTimes = { snapshot: 0, parse: 0, finalize: 0, save: 0 };
  let t = performance.now();
  const lap = (): number => {
    const was = t;
    t = performance.now();
    return t - was;
  };
  const cached = mode === 'use' ? loadFrontEnd(key) : null;
  ms.snapshot = lap();
  if (cached) {
    for (const m of cached.messages) (m.to === 'stdout' ? opts.stdout : m.to === 'stderr' ? opts.stderr : writeProbeStderr)(m.text);
    const ctx = createContext(cached.tree, opts.env, cached.context);
    ctx.stdout = opts.stdout;
    ctx.stderr = opts.stderr;
    useContext(ctx);
    ms.snapshot += lap();
    return { tree: cached.tree, ctx, from: 'snapshot', ms };
  }
  // Everything the front end prints, in order, for the snapshot.
  const messages: FrontEndMessage[] = [];
  const record = (to: FrontEndMessage['to'], sink: (s: string) => void) => (text: string): void => {
    messages.push({ to, text });
    sink(text);
  };
  const out = record('stdout', opts.stdout);
  const err = record('stderr', opts.stderr);
  const parseStart = Date.now();
  const tree = parseKconfig({
    srctree: opts.srctree, objtree: opts.objtree, file: opts.file, version: opts.version, env: opts.env,
    log: (stream, text) => (stream === 'stdout' ? out(text) : err(text)),
    probes: { stderr: record('probe', writeProbeStderr) },
    releaseCaches: opts.releaseCaches,
  });
  for (const w of tree.warnings) err(w.endsWith('\n') ? w : `${w}\n`);
  ms.parse = lap();
  const ctx = finalizeTree(tree, { env: opts.env, stdout: out, stderr: err });
  ctx.stdout = opts.stdout;
  ctx.stderr = opts.stderr;
  ms.finalize = lap();
  if (mode === 'use' && opts.save === 'background' && saveInBackground(tree)) {
    return { tree, ctx, from: 'parsed', ms, pendingSave: key };
  }
  if (mode !== 'off') {
    saveFrontEnd(key, tree, contextData(ctx), messages, parseStart);
    ms.save = lap();
  }
  return { tree, ctx, from: 'parsed', ms };
}

/** Whether a missed snapshot of `tree` goes to a background writer (see {@link FinalizedTreeOptions.save}). */
function saveInBackground(tree: ParsedKconfig): boolean {
  const how = process.env.KBUILDTS_FRONTEND_SAVE;
  if (how === 'inline' || !existsSync(SAVER)) return false;
  return how === 'background' || tree.symbols.length >= BACKGROUND_SYMBOLS;
}

/** What a background writer is given: the inputs, and the token of its claim. */
interface SaveRequest {
  key: FrontEndKey;
  token: string;
}

/**
 * Start a detached process that writes the snapshot of `k` ({@link FinalizedTree.pendingSave}):
 * it parses and finalises the same inputs again at a lower priority, writes the snapshot unless
 * one is there already, and exits. One writer per snapshot: the claim is a `<key>.save` file
 * beside the snapshot (0600: it holds the environment), made exclusively, holding the request;
 * the writer removes it when done, and a claim older than {@link SAVE_CLAIM_MS} is taken over.
 * The child's output goes nowhere and it is not waited for (a `make` reading this process's
 * output does not wait for it either).
 * @param root the snapshot directory (default `<cacheDir()>/frontend`)
 * @returns 'started'; 'busy' (another writer holds the claim); 'failed' (no built writer, an
 *   unwritable cache: the next miss tries again). Never throws.
 */
export function startSnapshotSave(k: FrontEndKey, root = join(cacheDir(), 'frontend')): 'started' | 'busy' | 'failed' {
  if (!existsSync(SAVER)) return 'failed';
  const claim = snapshotFile(k, root).replace(/\.snap$/, '.save');
  const request: SaveRequest = { key: k, token: randomUUID() };
  try {
    mkdirSync(root, { recursive: true });
    if (!takeClaim(claim, JSON.stringify(request))) return 'busy';
    // env: this process's view of it (the caches' places, the switches), changed in-process or not.
    const child = spawn(process.execPath, ['--max-semi-space-size=128', SAVER, claim], {
      detached: true, stdio: 'ignore', cwd: k.srctree, env: process.env,
    });
    child.on('error', () => rmSync(claim, { force: true }));
    child.unref();
    return 'started';
  } catch {
    return 'failed';
  }
}

/**
 * Create `file` with `content` unless it exists and is younger than {@link SAVE_CLAIM_MS}.
 * (Two runs that take over the same stale claim at once may both start a writer: both write the
 * same snapshot, each by an atomic rename.)
 * @returns whether it was created
 */
function takeClaim(file: string, content: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = statSync(file, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs < SAVE_CLAIM_MS) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

/**
 * The background writer's work (snapshot-saver.ts): read the request in the claim file `claim`,
 * lower this process's priority, and make the snapshot as a 'use' run of {@link finalizedTree}
 * would (nothing when one is there already); then remove the claim if it is still this request's.
 * @returns the exit status: 0, or 1 when the request could not be read or the parse failed
 */
export function runSnapshotSave(claim: string): number {
  let request: SaveRequest;
  try {
    request = JSON.parse(readFileSync(claim, 'utf8')) as SaveRequest;
  } catch {
    return 1;
  }
  try {
    try {
      setPriority(10);
    } catch {
      // not allowed here: run at the normal priority
    }
    const ignore = (): void => {};
    finalizedTree({ ...request.key, stdout: ignore, stderr: ignore, snapshot: 'use', save: 'inline', releaseCaches: true });
    return 0;
  } catch {
    return 1;
  } finally {
    try {
      if ((JSON.parse(readFileSync(claim, 'utf8')) as SaveRequest).token === request.token) rmSync(claim, { force: true });
    } catch {
      // gone or taken over
    }
  }
}
