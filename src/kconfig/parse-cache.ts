/**
 * Per-file preparation of the Kconfig front end, and its on-disk cache by content hash.
 *
 * Everything about a file that does not depend on the macro state is computed once per file
 * content: the lexer pre-pass (logical lines, assignments, help texts), and for every line with
 * no `$` its canonical tokens and its statement AST. Lines with `$` are tokenized during the
 * parse, in order, because expansion has effects. The prepared form is stored as JSON under
 * `<cacheDir()>/parse/<salt>/<sha1>.json`, the hash taken over the file's bytes and a salt made of the
 * front end's own code and grammar (any change to them invalidates every entry; the directories
 * of the few most recent other salts are kept, see {@link ParseCache}).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic-write.js';
import { splitLogicalLines, type LexItem } from './lexer.js';
import { Preprocessor, tokenizeLine } from './preprocess.js';
import { exportShapes, importShapes } from './grammar.js';

/** Stands for the file name in cached warnings (content can appear under several names). */
export const FILE_MARK = '\u0000';

/**
 * A logical line with what could be computed ahead of the parse: for a statement line without
 * `$`, its canonical tokens (the raw text and continuation segments
 * are then dropped: the first token is at the line's start, so errors need only line and col).
 */
export type PreparedItem = LexItem & {
  tok?: string[];
  /** Tokenizer warnings of that line, with {@link FILE_MARK} for the file name. */
  tokWarnings?: string[];
};

/** One prepared file. */
export interface PreparedFile {
  items: PreparedItem[];
  /** Lexer warnings, with {@link FILE_MARK} for the file name. */
  warnings: string[];
  /** yylineno at the end of the file (1 + number of newlines). */
  lines: number;
}

/**
 * Prepare a file's text (lexer pre-pass, plus canonical tokens of `$`-free lines).
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
    const t = tokenizeLine(it, pp, warnings);
    const p: PreparedItem = { kind: 'stmt', text: '', line: it.line, col: it.col, tok: t.tokens };
    if (it.atEof) p.atEof = true;
    if (warnings.length) p.tokWarnings = warnings;
    items[i] = p;
  }
  return { items, warnings: lex.warnings, lines: lex.lines };
}

/**
 * Prepared files of this process by exact text (a second parse in the same process, e.g. by a
 * front end or a test, skips the pre-pass). Prepared files are never mutated by the parser.
 */
const memo = new Map<string, PreparedFile>();
const MEMO_LIMIT = 8192;

/**
 * {@link prepareFile} through the in-process memo.
 * @returns the prepared file and whether it came from the memo
 */
export function prepareMemo(text: string, make: (text: string) => PreparedFile = prepareFile): { file: PreparedFile; memo: boolean } {
  const hit = memo.get(text);
  if (hit) return { file: hit, memo: true };
  const file = make(text);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(text, file);
  return { file, memo: false };
}

/** Forget the in-process memo (tests measuring the disk cache). */
export function clearPreparedMemo(): void {
  memo.clear();
}

/** Directories of other salts kept by {@link ParseCache} (the newest ones). */
const KEEP_SALTS = 3;

let saltValue: string | undefined;
/** Hash of the front end's code and grammar: part of every cache key. */
function salt(): string {
  if (saltValue === undefined) {
    const h = createHash('sha1');
    h.update('kbuildts-parse-cache-1\0');
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

/** The cache of prepared files in one directory. Failures to read or write are ignored. */
export class ParseCache {
  hits = 0;
  misses = 0;
  private shapesLoaded = 0;
  private pruned = false;
  private readonly dir: string;
  /**
   * @param root the cache directory; entries go to `<root>/<salt>/`, and directories of other
   *   salts (an older kbuildts) are removed the first time this one stores an entry
   */
  constructor(private readonly root: string) {
    this.dir = join(root, salt());
    try {
      const shapes = JSON.parse(readFileSync(this.shapesFile(), 'utf8')) as [string, unknown][];
      importShapes(shapes);
      this.shapesLoaded = shapes.length;
    } catch {
      // no shape table yet
    }
  }

  private shapesFile(): string {
    return join(this.dir, 'shapes.json');
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

  /** Store the grammar's shape table when it has grown (call once, after a parse). */
  saveShapes(): void {
    const shapes = exportShapes();
    if (shapes.length <= this.shapesLoaded) return;
    try {
      writeFileAtomic(this.shapesFile(), JSON.stringify(shapes));
      this.shapesLoaded = shapes.length;
    } catch {
      // ignore
    }
  }

  /** Files served by the in-process memo (not counted in hits/misses). */
  memoHits = 0;

  /**
   * The prepared form of `text`: from the in-process memo, the disk cache, or computed (and
   * then stored in both).
   */
  prepare(text: string): PreparedFile {
    const r = prepareMemo(text, (t) => this.prepareDisk(t));
    if (r.memo) this.memoHits++;
    return r.file;
  }

  private prepareDisk(text: string): PreparedFile {
    const key = createHash('sha1').update(salt()).update(text).digest('hex');
    const file = join(this.dir, `${key}.json`);
    try {
      const entry = JSON.parse(readFileSync(file, 'utf8')) as PreparedFile;
      this.hits++;
      return entry;
    } catch {
      // miss
    }
    this.misses++;
    const entry = prepareFile(text);
    try {
      this.prune();
      writeFileAtomic(file, JSON.stringify(entry));
    } catch {
      // a read-only cache is not an error
    }
    return entry;
  }
}
