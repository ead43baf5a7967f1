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
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic-write.js';
import { splitLogicalLines, type LexItem } from './lexer.js';
import { Preprocessor, tokenizeLine } from './preprocess.js';
import { exportShapes, importShapes, parseLine, type Stmt } from './grammar.js';

/** Stands for the file name in cached warnings (content can appear under several names). */
export const FILE_MARK = '\u0000';

/**
 * A statement line without `$`, prepared: its statement AST (the line's first token is at the
 * line's start, so errors need only line and col). Short keys: the kernel tree has about 100,000
 * of these in the cache, and JSON.parse time grows with their text.
 */
export interface PreparedStmt {
  /** Absent: tells this item from the lexer's (which all have a `kind`). */
  kind?: undefined;
  /** Line and column of the first token. */
  l: number;
  c: number;
  /**
   * The statement: parseLine() of the line's canonical tokens (grammar.ts). Absent when `t` is
   * given instead.
   */
  s?: Stmt;
  /**
   * The canonical tokens, for the lines parsed at parse time: a word `optional` (a keyword in
   * 6.1 but not in 6.12) or a line that is no statement (the parser's error needs the tokens).
   */
  t?: string[];
  /** 1: the file ends inside this line (see StmtLine.atEof). */
  e?: 1;
  /** Tokenizer warnings of that line, with {@link FILE_MARK} for the file name. */
  w?: string[];
}

/** A logical line with what could be computed ahead of the parse (lines with `$` stay raw). */
export type PreparedItem = LexItem | PreparedStmt;

/** The first token of a line that parsed as `st` (every statement starts with a keyword). */
export function firstToken(st: Stmt): string {
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
  items: PreparedItem[];
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
  const items = lex.items as PreparedItem[];
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (it.kind !== 'stmt' || it.text.includes('$')) continue;
    const warnings: string[] = [];
    const tokens = tokenizeLine(it, pp, warnings).tokens;
    // Lines kept as tokens are parsed during the parse: parsing them here too puts their
    // shape in the grammar's persisted table, so that parse needs no grammar.
    const st = tokens.length ? parseLine(tokens) : null;
    const p: PreparedStmt = st && !tokens.includes('optional') ? { l: it.line, c: it.col, s: st } : { l: it.line, c: it.col, t: tokens };
    if (it.atEof) p.e = 1;
    if (warnings.length) p.w = warnings;
    items[i] = p;
  }
  return { items, warnings: lex.warnings, lines: lex.lines };
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

/** {@link prepareFile} with the JSON text of its result. */
function prepareJson(text: string): PreparedJson {
  const file = prepareFile(text);
  return { file, json: JSON.stringify(file) };
}

/**
 * A prepared file through the in-process memo.
 * @param sha1 {@link contentHash} of `text`
 * @param make the prepared file when it is not in the memo (default: {@link prepareFile})
 * @returns a fresh copy of the prepared file (`file`), its JSON text, and whether it came from
 *   the memo
 */
export function prepareMemo(
  text: string,
  sha1: string,
  make: (text: string, sha1: string) => PreparedJson = prepareJson,
): PreparedJson & { memo: boolean } {
  const hit = memo.get(sha1);
  if (hit !== undefined) return { file: JSON.parse(hit) as PreparedFile, json: hit, memo: true };
  const r = make(text, sha1);
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
    h.update('kbuildts-parse-cache-2\0');
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
const PACK_MAGIC = 'kbuildts-parse-pack 1';

/**
 * The cache of prepared files in one directory. Failures to read or write are ignored.
 *
 * Entries are keyed by the sha1 of the file's bytes (the directory by the salt), so a changed
 * file never meets a stale entry. Each file has its entry `<sha1>.json`; besides, the entries
 * one parse used are kept together in a pack `pack-<packKey>.json`, read with one call at the
 * next parse of the same tree (the kernel tree has about 1,500 files: one read instead of
 * 1,500). A pack is {@link PACK_MAGIC}, a line with the JSON array `[[sha1, length], ...]`, then
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
      if (nl1 < 0 || nl2 < 0 || text.slice(0, nl1) !== PACK_MAGIC) return;
      const index = JSON.parse(text.slice(nl1 + 1, nl2)) as unknown;
      if (!Array.isArray(index)) return;
      let off = nl2 + 1;
      const entries: [string, string][] = [];
      for (const e of index as unknown[]) {
        if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') return;
        const [sha1, len] = e as [string, number];
        entries.push([sha1, text.slice(off, off + len)]);
        off += len;
      }
      if (off !== text.length) return; // truncated or padded: not the pack that was written
      for (const [sha1, json] of entries) this.pack.set(sha1, json);
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
    if (this.packFile === null || (!this.packMissed && this.used.size === this.pack.size)) return;
    try {
      this.prune();
      const entries = [...this.used].map(([sha1, json]) => [sha1, asciiJson(json)] as const);
      const index = JSON.stringify(entries.map(([sha1, json]) => [sha1, json.length]));
      writeFileAtomic(this.packFile, `${PACK_MAGIC}\n${index}\n${entries.map((e) => e[1]).join('')}`);
      this.pack.clear();
      for (const [sha1, json] of this.used) this.pack.set(sha1, json);
      this.packMissed = false;
      this.prunePacks();
    } catch {
      // a read-only cache is not an error
    }
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
   * The prepared form of `text`: from the in-process memo, the pack, the file's own entry, or
   * computed (and then stored in the memo and as the file's entry). A fresh copy each time.
   * @param sha1 {@link contentHash} of `text`
   */
  prepare(text: string, sha1: string): PreparedFile {
    const r = prepareMemo(text, sha1, (t, h) => this.prepareDisk(t, h));
    if (r.memo) this.memoHits++;
    if (!this.used.has(sha1)) this.used.set(sha1, r.json);
    return r.file;
  }

  /** The prepared file: from the pack, from the file's own entry, or computed. */
  private prepareDisk(text: string, sha1: string): PreparedJson {
    const packed = this.pack.get(sha1);
    const fromPack = packed === undefined ? null : parseEntry(packed);
    if (fromPack) {
      this.hits++;
      return { file: fromPack, json: packed! };
    }
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
    const r = prepareJson(text);
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

/** A cache entry's prepared file, or null when the text is damaged (not JSON of that shape). */
function parseEntry(json: string): PreparedFile | null {
  try {
    const f = JSON.parse(json) as Partial<PreparedFile> | null;
    return f && Array.isArray(f.items) && Array.isArray(f.warnings) && typeof f.lines === 'number' ? (f as PreparedFile) : null;
  } catch {
    return null;
  }
}
