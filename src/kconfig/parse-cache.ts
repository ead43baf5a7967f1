/**
 * Per-file preparation of the Kconfig front end, and its on-disk cache by content hash.
 *
 * Everything about a file that does not depend on the macro state is computed once per file
 * content: the lexer pre-pass (logical lines, assignments, help texts), and for every line with
 * no `$` its statement AST (the grammar's parse of its canonical tokens), so that a parse from
 * the cache runs no grammar. Lines with `$` are tokenized during the parse, in order, because
 * expansion has effects. The prepared form is stored as JSON under
 * `<cacheDir()>/parse/<salt>/<sha1>.json` (the sha1 of the file's bytes; the salt is made of the
 * front end's own code and grammar: any change to them invalidates every entry; the directories
 * of the few most recent other salts are kept), and the entries of a whole parse in one pack
 * beside them, see {@link ParseCache}.
 */
import { createHash, hash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic-write.js';
import { splitLogicalLines } from './lexer.js';
import { Preprocessor, tokenizeLine } from './preprocess.js';
import { exportShapes, importShapes, parseLine, type ExprAst, type Stmt, type SymRef } from './grammar.js';

/** Stands for the file name in cached warnings (content can appear under several names). */
export const FILE_MARK = '\u0000';

/**
 * The prepared form of a file is one flat array (its "code"), because JSON.parse of the kernel
 * tree's ~100,000 statements as objects cost four times as much as of the same data as
 * primitives in arrays, and each object became garbage right after its statement was handled.
 * Items follow each other in file order:
 *
 * - `OP_HELP, text, line, endLine`: help text (lexer.ts HelpText);
 * - a lexer item as an object (StmtLine with `$`, AssignLine): handled during the parse;
 * - `[OP_EOF,] [OP_WARN, warnings,] OP_TOKENS, line, col, tokens`: a line without `$` kept as
 *   canonical tokens, parsed at parse time (a word `optional`, a keyword in 6.1 but not in 6.12,
 *   or a line that is no statement: the parser's error needs the tokens);
 * - `[OP_EOF,] [OP_WARN, warnings,] op, line, col, operands...`: a statement without `$`
 *   (parseLine() of its canonical tokens, grammar.ts), op from {@link STMT_OPS}. OP_EOF: the file
 *   ends inside this line (see StmtLine.atEof); OP_WARN: the tokenizer's warnings for the line,
 *   with {@link FILE_MARK} for the file name.
 *
 * Operands: strings as they are; an absent prompt or choice name 0; an expression in prefix
 * order (see {@link encodeExpr}), an absent condition 0.
 */
export type Code = readonly unknown[];

/** Item and expression opcodes of {@link Code}. */
export const OP_HELP = 1;
export const OP_EOF = 2;
export const OP_WARN = 3;
export const OP_TOKENS = 4;
/** Expression nodes: `X_AND l r`, `X_OR l r`, `X_NOT e`, `X_QUOTE text` (T_WORD_QUOTE), `cmp l r`. */
const X_AND = 1;
const X_OR = 2;
const X_NOT = 3;
const X_QUOTE = 4;
const CMP_OPS = ['equal', 'unequal', 'lth', 'leq', 'gth', 'geq'] as const;
/** First comparison opcode: X_CMP + index in CMP_OPS. */
const X_CMP = 5;

/** Statement opcodes (10 and up, so that they never meet the item opcodes). */
const STMT_KINDS = [
  'config', 'menuconfig', 'help', 'type', 'depends', 'select', 'imply', 'default', 'range', 'prompt', 'if',
  'endif', 'endmenu', 'endchoice', 'optional', 'modules', 'source', 'comment', 'menu', 'mainmenu', 'choice', 'visible',
] as const;
const STMT_BASE = 10;
/** Opcode of each statement kind. */
export const STMT_OPS: Readonly<Record<Stmt['k'], number>> = Object.fromEntries(STMT_KINDS.map((k, i) => [k, STMT_BASE + i])) as Record<Stmt['k'], number>;

/** A word (T_WORD) or quoted string (T_WORD_QUOTE) operand: the plain word, or X_QUOTE then the text. */
function encodeRef(r: SymRef, out: unknown[]): void {
  if (r.q) out.push(X_QUOTE);
  out.push(r.w);
}

/** Append an expression in prefix order (null: 0). */
export function encodeExpr(e: ExprAst | null, out: unknown[]): void {
  if (e === null) out.push(0);
  else if (typeof e === 'string') out.push(e);
  else {
    switch (e.t) {
      case 'sym':
        encodeRef(e.s, out);
        return;
      case 'not':
        out.push(X_NOT);
        encodeExpr(e.e, out);
        return;
      case 'and':
      case 'or':
        out.push(e.t === 'and' ? X_AND : X_OR);
        encodeExpr(e.l, out);
        encodeExpr(e.r, out);
        return;
      default:
        out.push(X_CMP + CMP_OPS.indexOf(e.t));
        encodeRef(e.l, out);
        encodeRef(e.r, out);
    }
  }
}

/** Append a statement at `line`:`col`: its opcode, position and operands. */
export function encodeStmt(st: Stmt, line: number, col: number, out: unknown[]): void {
  out.push(STMT_OPS[st.k], line, col);
  switch (st.k) {
    case 'config':
    case 'menuconfig':
      out.push(st.name);
      break;
    case 'type':
      out.push(st.type, st.prompt ?? 0);
      encodeExpr(st.cond, out);
      break;
    case 'depends':
    case 'if':
      encodeExpr(st.expr, out);
      break;
    case 'select':
    case 'imply':
      out.push(st.name);
      encodeExpr(st.cond, out);
      break;
    case 'default':
      out.push(st.kw);
      encodeExpr(st.expr, out);
      encodeExpr(st.cond, out);
      break;
    case 'range':
      encodeRef(st.a, out);
      encodeRef(st.b, out);
      encodeExpr(st.cond, out);
      break;
    case 'prompt':
      out.push(st.text);
      encodeExpr(st.cond, out);
      break;
    case 'source':
      out.push(st.kw, st.path);
      break;
    case 'comment':
    case 'menu':
    case 'mainmenu':
      out.push(st.text);
      break;
    case 'choice':
      out.push(st.name ?? 0);
      break;
    case 'visible':
      encodeExpr(st.cond, out);
      break;
    default:
      break;
  }
}

/** Position after the expression (or symbol operand) that starts at `i`. */
export function skipExpr(code: Code, i: number): number {
  const x = code[i];
  if (typeof x !== 'number' || x === 0) return i + 1;
  if (x === X_AND || x === X_OR) return skipExpr(code, skipExpr(code, i + 1));
  if (x === X_NOT) return skipExpr(code, i + 1);
  if (x === X_QUOTE) return i + 2;
  return skipExpr(code, skipExpr(code, i + 1)); // comparison: two symbol operands
}

/**
 * A statement read back from {@link Code}: what parser.y's actions need, with every expression
 * and symbol operand given by its position in the code (see {@link readExpr}); `end` is the
 * position after the statement.
 */
export type CodeStmt = { end: number } & (
  | { k: 'config' | 'menuconfig'; name: string }
  | { k: 'help' }
  | { k: 'type'; type: 'bool' | 'tristate' | 'string' | 'hex' | 'int'; prompt: string | null; cond: number }
  | { k: 'depends'; expr: number }
  | { k: 'select' | 'imply'; name: string; cond: number }
  | { k: 'default'; kw: 'default' | 'def_bool' | 'def_tristate'; expr: number; cond: number }
  | { k: 'range'; a: number; b: number; cond: number }
  | { k: 'prompt'; text: string; cond: number }
  | { k: 'if'; expr: number }
  | { k: 'endif' | 'endmenu' | 'endchoice' | 'optional' | 'modules' }
  | { k: 'source'; kw: 'source' | 'rsource' | 'osource' | 'orsource'; path: string }
  | { k: 'comment' | 'menu' | 'mainmenu'; text: string }
  | { k: 'choice'; name: string | null }
  | { k: 'visible'; cond: number }
);

/**
 * Read the statement whose opcode is at `i` (its line and column are at i + 1, i + 2).
 * @throws Error when the code is not a statement there (a damaged cache entry)
 */
export function decodeStmt(code: Code, i: number): CodeStmt {
  const k = STMT_KINDS[(code[i] as number) - STMT_BASE];
  const p = i + 3;
  switch (k) {
    case 'config':
    case 'menuconfig':
      return { k, name: code[p] as string, end: p + 1 };
    case 'type':
      return { k, type: code[p] as 'bool', prompt: code[p + 1] === 0 ? null : (code[p + 1] as string), cond: p + 2, end: skipExpr(code, p + 2) };
    case 'depends':
    case 'if':
      return { k, expr: p, end: skipExpr(code, p) };
    case 'select':
    case 'imply':
      return { k, name: code[p] as string, cond: p + 1, end: skipExpr(code, p + 1) };
    case 'default': {
      const c = skipExpr(code, p + 1);
      return { k, kw: code[p] as 'default', expr: p + 1, cond: c, end: skipExpr(code, c) };
    }
    case 'range': {
      const b = skipExpr(code, p);
      const c = skipExpr(code, b);
      return { k, a: p, b, cond: c, end: skipExpr(code, c) };
    }
    case 'prompt':
      return { k, text: code[p] as string, cond: p + 1, end: skipExpr(code, p + 1) };
    case 'source':
      return { k, kw: code[p] as 'source', path: code[p + 1] as string, end: p + 2 };
    case 'comment':
    case 'menu':
    case 'mainmenu':
      return { k, text: code[p] as string, end: p + 1 };
    case 'choice':
      return { k, name: code[p] === 0 ? null : (code[p] as string), end: p + 1 };
    case 'visible':
      return { k, cond: p, end: skipExpr(code, p) };
    case 'help':
    case 'endif':
    case 'endmenu':
    case 'endchoice':
    case 'optional':
    case 'modules':
      return { k, end: p };
    default:
      throw new Error(`bad statement code ${String(code[i])}`);
  }
}

/** What {@link readExpr} builds for each node: parse.ts turns them into the model's Expr. */
export interface ExprBuilder<E, S> {
  /** sym_lookup(word, 0) (quoted false) or sym_lookup(text, SYMBOL_CONST) (quoted true). */
  sym(name: string, quoted: boolean): S;
  leaf(s: S): E;
  not(e: E): E;
  and(l: E, r: E): E;
  or(l: E, r: E): E;
  cmp(op: (typeof CMP_OPS)[number], l: S, r: S): E;
}

/** True when the expression at `i` is a plain word (T_WORD, not a string). */
export const isWordAt = (code: Code, i: number): boolean => typeof code[i] === 'string';

/** The word at `i` when {@link isWordAt}. */
export const wordAt = (code: Code, i: number): string => code[i] as string;

/** Symbol operand at `i`: a word, or X_QUOTE and the string's text. */
export function readRef<S>(code: Code, i: number, b: ExprBuilder<unknown, S>): S {
  at = i;
  return refAt(code, b);
}

/** Read position of {@link readExpr} (a cursor: no second walk to find the right operand). */
let at = 0;

/**
 * Build the expression at `i` (left operand first, as parser.y's actions look symbols up);
 * null for an absent condition (0).
 */
export function readExpr<E, S>(code: Code, i: number, b: ExprBuilder<E, S>): E | null {
  at = i;
  return readAt(code, b);
}

function readAt<E, S>(code: Code, b: ExprBuilder<E, S>): E | null {
  const x = code[at++];
  if (typeof x === 'string') return b.leaf(b.sym(x, false));
  if (x === 0) return null;
  switch (x) {
    case X_QUOTE:
      return b.leaf(b.sym(code[at++] as string, true));
    case X_NOT:
      return b.not(readAt(code, b)!);
    case X_AND:
    case X_OR: {
      const l = readAt(code, b)!;
      const r = readAt(code, b)!;
      return x === X_AND ? b.and(l, r) : b.or(l, r);
    }
    default: {
      const l = refAt(code, b);
      const r = refAt(code, b);
      return b.cmp(CMP_OPS[(x as number) - X_CMP], l, r);
    }
  }
}

/** The symbol operand at the cursor: a word, or X_QUOTE and the string's text. */
function refAt<S>(code: Code, b: ExprBuilder<unknown, S>): S {
  const x = code[at++];
  return x === X_QUOTE ? b.sym(code[at++] as string, true) : b.sym(x as string, false);
}

/** The first token of a statement (every statement starts with a keyword). */
export function firstToken(st: CodeStmt): string {
  switch (st.k) {
    case 'type':
      return st.type;
    case 'default':
    case 'source':
      return st.kw;
    default:
      return st.k;
  }
}

/** One prepared file. */
export interface PreparedFile {
  /** The file's items, see {@link Code}. */
  code: Code;
  /** Lexer warnings, with {@link FILE_MARK} for the file name. */
  warnings: string[];
  /** yylineno at the end of the file (1 + number of newlines). */
  lines: number;
}

/**
 * Prepare a file's text (lexer pre-pass, plus the statements of `$`-free lines).
 * @returns the prepared file; file names in warnings are {@link FILE_MARK}
 */
export function prepareFile(text: string): PreparedFile {
  const lex = splitLogicalLines(text, FILE_MARK);
  const pp = new Preprocessor({});
  pp.file = FILE_MARK;
  const code: unknown[] = [];
  for (const it of lex.items) {
    if (it.kind === 'help') {
      code.push(OP_HELP, it.text, it.line, it.endLine);
      continue;
    }
    if (it.kind !== 'stmt' || it.text.includes('$')) {
      code.push(it);
      continue;
    }
    const warnings: string[] = [];
    const tokens = tokenizeLine(it, pp, warnings).tokens;
    // Lines kept as tokens are parsed during the parse: parsing them here too puts their
    // shape in the grammar's persisted table, so that parse needs no grammar.
    const st = tokens.length ? parseLine(tokens) : null;
    if (it.atEof) code.push(OP_EOF);
    if (warnings.length) code.push(OP_WARN, warnings);
    if (st && !tokens.includes('optional')) encodeStmt(st, it.line, it.col, code);
    else code.push(OP_TOKENS, it.line, it.col, tokens);
  }
  return { code, warnings: lex.warnings, lines: lex.lines };
}

/**
 * Prepared files of this process by content hash (a second parse in the same process, e.g. by a
 * front end or a test, skips the pre-pass), as JSON text: each use parses its own copy, so the
 * objects live only while their file is parsed (short-lived objects are what the young
 * generation collects cheaply; keeping the ~100,000 of a kernel tree alive meant copying them).
 */
const memo = new Map<string, string>();
const MEMO_LIMIT = 8192;

/** The sha1 (hex) of a file's bytes: the key of a prepared file in the memo and in the cache. */
export function contentHash(bytes: Buffer): string {
  return hash('sha1', bytes, 'hex');
}

/** A prepared file with its JSON text (what the memo and the cache hold). */
export interface PreparedJson {
  file: PreparedFile;
  json: string;
}

/**
 * {@link prepareFile} of a file's bytes, with the JSON text of its result. The bytes are decoded
 * as latin1 (one char per byte, as the C lexer sees the file: no UTF-8 decoding), and only here:
 * a file served by the memo or the cache is never decoded.
 */
function prepareJson(bytes: Buffer): PreparedJson {
  const file = prepareFile(bytes.toString('latin1'));
  return { file, json: JSON.stringify(file) };
}

/**
 * A prepared file through the in-process memo.
 * @param bytes the file's content
 * @param sha1 {@link contentHash} of `bytes`
 * @param make the prepared file when it is not in the memo (default: {@link prepareFile} of the
 *   bytes decoded as latin1)
 * @returns a fresh copy of the prepared file (`file`), its JSON text, and whether it came from
 *   the memo
 */
export function prepareMemo(
  bytes: Buffer,
  sha1: string,
  make: (bytes: Buffer, sha1: string) => PreparedJson = prepareJson,
): PreparedJson & { memo: boolean } {
  return memoized(sha1, () => make(bytes, sha1))!;
}

/**
 * The prepared file of content `sha1` from the in-process memo, else from `make` (then kept in
 * the memo).
 * @returns a fresh copy (`file`), its JSON text, and whether it came from the memo; null when it
 *   is not in the memo and `make` gives null
 */
function memoized(sha1: string, make: () => PreparedJson | null): (PreparedJson & { memo: boolean }) | null {
  const hit = memo.get(sha1);
  if (hit !== undefined) return { file: JSON.parse(hit) as PreparedFile, json: hit, memo: true };
  const r = make();
  if (r === null) return null;
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(sha1, r.json);
  return { file: r.file, json: r.json, memo: false };
}

/** Forget the in-process memo (tests measuring the disk cache). */
export function clearPreparedMemo(): void {
  memo.clear();
}

/** Directories of other salts kept by {@link ParseCache} (the newest ones). */
const KEEP_SALTS = 3;
/** Packs kept in a salt's directory (the most recently written; a pack is about 10 MB). */
const KEEP_PACKS = 4;

let saltValue: string | undefined;
/** Hash of the front end's code and grammar: part of every cache key. */
function salt(): string {
  if (saltValue === undefined) {
    const h = createHash('sha1');
    h.update('kbuildts-parse-cache-3\0');
    for (const rel of ['./lexer.js', './preprocess.js', './grammar.js', './parse-cache.js', '../../grammar/kconfig.ohm']) {
      try {
        h.update(readFileSync(fileURLToPath(new URL(rel, import.meta.url))));
      } catch {
        // running from .ts sources (tests): the .ts files stand for the .js ones
        try {
          h.update(readFileSync(fileURLToPath(new URL(rel.replace(/\.js$/, '.ts'), import.meta.url))));
        } catch {
          h.update(rel);
        }
      }
    }
    saltValue = h.digest('hex');
  }
  return saltValue;
}

/** First line of a pack file. */
const PACK_MAGIC = 'kbuildts-parse-pack 3';

/**
 * A source file's identity when a parse last read it, and the content hash of what it read: a
 * later parse that finds the file with the same identity takes its prepared form from the pack
 * without reading it ({@link ParseCache.knownFile}). ctime is part of it (unlike in the front-end
 * snapshot's check, which reads a file whose mtime moved): it changes whenever the content
 * does, also when a tool puts an old mtime back.
 */
interface FileIdentity {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha1: string;
}

/** Whether a recorded identity is that of `st` (a fresh stat, or another record). */
function sameIdentity(k: FileIdentity, st: Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>): boolean {
  return k.size === st.size && k.mtimeMs === st.mtimeMs && k.ctimeMs === st.ctimeMs && k.ino === st.ino;
}

/**
 * A file whose mtime or ctime is this close (ms) to the start of the parse that read it is not
 * recorded: on a file system with coarse timestamps a second change within the same tick would
 * keep its identity. The front-end snapshot has the same rule (frontend-cache.ts fileRecords).
 */
const RACY_MS = 2000;

/**
 * The cache of prepared files in one directory. Failures to read or write are ignored.
 *
 * Entries are keyed by the sha1 of the file's bytes (the directory by the salt), so a changed
 * file never meets a stale entry. Each file has its entry `<sha1>.json`; besides, the entries
 * one parse used are kept together in a pack `pack-<packKey>.json`, read with one call at the
 * next parse of the same tree (the kernel tree has about 1,500 files: one read instead of
 * 1,500). A pack is {@link PACK_MAGIC}, a line with the JSON array `[[sha1, length], ...]`, a line
 * with the JSON array `[[path, size, mtimeMs, ctimeMs, ino, sha1], ...]` of the files that parse
 * read ({@link FileIdentity}: a file found again with the same identity is not read, see
 * {@link ParseCache.knownFile}), then
 * the entries' JSON texts back to back, all ASCII ({@link asciiJson}; `length` in bytes); an entry
 * is parsed only when a file of that sha1 is. A pack whose lengths do not add up is ignored, an
 * entry that does not parse is a miss; the pack is rewritten after a parse that needed entries it
 * lacked or left some unused.
 */
export class ParseCache {
  hits = 0;
  misses = 0;
  /** Files served by the in-process memo (not counted in hits/misses). */
  memoHits = 0;
  /** Files served without being read ({@link knownFile}; also counted in hits or memoHits). */
  unread = 0;
  private shapesLoaded = -1;
  private pruned = false;
  private readonly dir: string;
  private readonly packFile: string | null;
  /** The pack as read: sha1 -> the entry's JSON text (a slice of the file). */
  private readonly pack = new Map<string, string>();
  /** Entries this parse used (sha1 -> JSON text), in first-use order: the next pack. */
  private readonly used = new Map<string, string>();
  /** Whether this parse used an entry the pack did not have (or had damaged). */
  private packMissed = false;
  /** The pack's file identities: path -> identity when last read. */
  private readonly known = new Map<string, FileIdentity>();
  /** The identities of the files this parse read or found unchanged (the next pack's), by path. */
  private readonly seen = new Map<string, FileIdentity>();
  /** Date.now() when this cache was opened (before the parse reads anything). */
  private readonly opened = Date.now();
  /**
   * @param root the cache directory; entries go to `<root>/<salt>/`, and directories of other
   *   salts (an older kbuildts) are removed the first time this one stores an entry
   * @param packKey names the pack of this tree (any string: it is hashed); null for no pack
   */
  constructor(private readonly root: string, packKey: string | null = null) {
    this.dir = join(root, salt());
    this.packFile = packKey === null ? null : join(this.dir, `pack-${createHash('sha1').update(packKey).digest('hex')}.json`);
    if (this.packFile !== null) this.readPack(this.packFile);
  }

  private readPack(path: string): void {
    try {
      // The pack is ASCII (see asciiJson): latin1 decodes it as UTF-8 would, three times faster.
      const text = readFileSync(path, 'latin1');
      const nl1 = text.indexOf('\n');
      const nl2 = text.indexOf('\n', nl1 + 1);
      const nl3 = text.indexOf('\n', nl2 + 1);
      if (nl1 < 0 || nl2 < 0 || nl3 < 0 || text.slice(0, nl1) !== PACK_MAGIC) return;
      const index = JSON.parse(text.slice(nl1 + 1, nl2)) as unknown;
      const files = JSON.parse(text.slice(nl2 + 1, nl3)) as unknown;
      if (!Array.isArray(index) || !Array.isArray(files)) return;
      let off = nl3 + 1;
      const entries: [string, string][] = [];
      for (const e of index as unknown[]) {
        if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') return;
        const [sha1, len] = e as [string, number];
        entries.push([sha1, text.slice(off, off + len)]);
        off += len;
      }
      if (off !== text.length) return; // truncated or padded: not the pack that was written
      for (const [sha1, json] of entries) this.pack.set(sha1, json);
      for (const f of files as unknown[]) {
        if (!Array.isArray(f) || f.length !== 6) continue;
        const [path, size, mtimeMs, ctimeMs, ino, sha1] = f as [string, number, number, number, number, string];
        this.known.set(path, { size, mtimeMs, ctimeMs, ino, sha1 });
      }
    } catch {
      // no pack yet (it is written after this parse)
    }
  }

  private shapesFile(): string {
    return join(this.dir, 'shapes.json');
  }

  /**
   * Load the grammar's persisted shape table, once: before the first file is prepared, or before
   * the parse matches a line itself (a parse served wholly from the cache never needs it).
   */
  loadShapes(): void {
    if (this.shapesLoaded >= 0) return;
    this.shapesLoaded = 0;
    try {
      const shapes = JSON.parse(readFileSync(this.shapesFile(), 'utf8')) as [string, unknown][];
      importShapes(shapes);
      this.shapesLoaded = shapes.length;
    } catch {
      // no shape table yet
    }
  }

  /**
   * Remove the entries of older salts (best effort): all but the {@link KEEP_SALTS} most recently
   * written other ones. Several salts are live at once: the compiled dist/ and the TypeScript
   * sources (tests) hash different files, and removing each other's entries on every run would
   * make both parse cold.
   */
  private prune(): void {
    if (this.pruned) return;
    this.pruned = true;
    try {
      const others: { d: string; mtime: number }[] = [];
      for (const d of readdirSync(this.root)) {
        if (/^[0-9a-f]{40}$/.test(d) && d !== salt()) others.push({ d, mtime: statSync(join(this.root, d)).mtimeMs });
        else if (/^[0-9a-f]{40}\.json$|^shapes-[0-9a-f]{40}\.json$/.test(d)) rmSync(join(this.root, d), { force: true });
      }
      others.sort((a, b) => b.mtime - a.mtime);
      for (const { d } of others.slice(KEEP_SALTS)) rmSync(join(this.root, d), { recursive: true, force: true });
    } catch {
      // nothing to prune
    }
  }

  /**
   * Call once after a successful parse: store the grammar's shape table when it has grown, and
   * the pack when this parse's entries differ from it.
   */
  save(): void {
    if (this.shapesLoaded >= 0) {
      const shapes = exportShapes();
      if (shapes.length > this.shapesLoaded) {
        try {
          writeFileAtomic(this.shapesFile(), JSON.stringify(shapes));
          this.shapesLoaded = shapes.length;
        } catch {
          // ignore
        }
      }
    }
    if (this.packFile === null || (!this.packMissed && this.used.size === this.pack.size && !this.identitiesMoved())) return;
    try {
      this.prune();
      const entries = [...this.used].map(([sha1, json]) => [sha1, asciiJson(json)] as const);
      const index = JSON.stringify(entries.map(([sha1, json]) => [sha1, json.length]));
      const files = asciiJson(JSON.stringify([...this.seen].map(([path, f]) => [path, f.size, f.mtimeMs, f.ctimeMs, f.ino, f.sha1])));
      writeFileAtomic(this.packFile, `${PACK_MAGIC}\n${index}\n${files}\n${entries.map((e) => e[1]).join('')}`);
      this.pack.clear();
      for (const [sha1, json] of this.used) this.pack.set(sha1, json);
      this.known.clear();
      for (const [path, f] of this.seen) this.known.set(path, f);
      this.packMissed = false;
      this.prunePacks();
    } catch {
      // a read-only cache is not an error
    }
  }

  /** Whether the files this parse read differ in number or identity from those the pack records. */
  private identitiesMoved(): boolean {
    if (this.seen.size !== this.known.size) return true;
    for (const [path, f] of this.seen) {
      const k = this.known.get(path);
      if (!k || !sameIdentity(k, f) || k.sha1 !== f.sha1) return true;
    }
    return false;
  }

  /**
   * Note a file this parse read, for the next pack: its identity (as stat gives it) and the hash
   * of its bytes. Not recorded when modified (mtime or ctime) within {@link RACY_MS} of this
   * parse's start.
   */
  noteFile(path: string, st: Stats, sha1: string): void {
    if (Math.max(st.mtimeMs, st.ctimeMs) >= this.opened - RACY_MS) return;
    this.seen.set(path, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha1 });
  }

  /**
   * The prepared form of the file at `path` without reading it: when the pack records the file
   * with the identity `st` (size, mtime, ctime, inode) and holds the entry for its content.
   * @param st a fresh stat of `path` (a regular file)
   * @returns the content hash and the prepared file (a fresh copy), or null (read the file)
   */
  knownFile(path: string, st: Stats): { sha1: string; file: PreparedFile } | null {
    const k = this.known.get(path);
    if (k === undefined || !sameIdentity(k, st)) return null;
    const file = this.serve(k.sha1, () => this.fromPack(k.sha1));
    if (file === null) return null;
    this.unread++;
    this.noteFile(path, st, k.sha1);
    return { sha1: k.sha1, file };
  }

  /** Remove all but the {@link KEEP_PACKS} most recently written packs of this salt (best effort). */
  private prunePacks(): void {
    try {
      const packs = readdirSync(this.dir)
        .filter((f) => /^pack-[0-9a-f]{40}\.json$/.test(f))
        .map((f) => ({ f, mtime: statSync(join(this.dir, f)).mtimeMs }));
      packs.sort((a, b) => b.mtime - a.mtime);
      for (const { f } of packs.slice(KEEP_PACKS)) rmSync(join(this.dir, f), { force: true });
    } catch {
      // nothing to prune
    }
  }

  /**
   * The prepared form of a file's content: from the in-process memo, the pack, the file's own
   * entry, or computed (and then stored in the memo and as the file's entry). A fresh copy each
   * time.
   * @param bytes the file's content (decoded only when the file is prepared here)
   * @param sha1 {@link contentHash} of `bytes`
   */
  prepare(bytes: Buffer, sha1: string): PreparedFile {
    return this.serve(sha1, () => this.prepareDisk(bytes, sha1))!;
  }

  /**
   * The prepared file of content `sha1` through the in-process memo, else from `make`, counted
   * and kept as one of this parse's entries (the next pack's).
   * @returns a fresh copy, or null when it is not in the memo and `make` gives null
   */
  private serve(sha1: string, make: () => PreparedJson | null): PreparedFile | null {
    const r = memoized(sha1, make);
    if (r === null) return null;
    if (r.memo) this.memoHits++;
    if (!this.used.has(sha1)) this.used.set(sha1, r.json);
    return r.file;
  }

  /** The prepared file of content `sha1` from the pack (a hit), or null when the pack lacks it or has it damaged. */
  private fromPack(sha1: string): PreparedJson | null {
    const packed = this.pack.get(sha1);
    const file = packed === undefined ? null : parseEntry(packed);
    if (file === null) return null;
    this.hits++;
    return { file, json: packed! };
  }

  /** The prepared file: from the pack, from the file's own entry, or computed. */
  private prepareDisk(bytes: Buffer, sha1: string): PreparedJson {
    const fromPack = this.fromPack(sha1);
    if (fromPack) return fromPack;
    this.packMissed = true;
    const path = join(this.dir, `${sha1}.json`);
    try {
      const json = readFileSync(path, 'utf8');
      const file = parseEntry(json);
      if (file) {
        this.hits++;
        return { file, json };
      }
    } catch {
      // miss
    }
    this.misses++;
    this.loadShapes();
    const r = prepareJson(bytes);
    try {
      this.prune();
      writeFileAtomic(path, r.json);
    } catch {
      // a read-only cache is not an error
    }
    return r;
  }
}

/**
 * JSON text with every character above U+007F written as a `\\uXXXX` escape (JSON.stringify
 * leaves them raw; outside strings JSON has none), so that the text is ASCII.
 */
export function asciiJson(json: string): string {
  return /[^\u0000-\u007f]/.test(json) ? json.replace(/[^\u0000-\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/**
 * A cache entry's prepared file, or null when the text is damaged (not JSON of that shape). The
 * code itself is trusted once its top level has the right shape: entries are written atomically,
 * named by the file's content hash and the front end's salt, and truncation breaks the JSON.
 */
function parseEntry(json: string): PreparedFile | null {
  try {
    const f = JSON.parse(json) as Partial<PreparedFile> | null;
    return f && Array.isArray(f.code) && Array.isArray(f.warnings) && typeof f.lines === 'number' ? (f as PreparedFile) : null;
  } catch {
    return null;
  }
}
