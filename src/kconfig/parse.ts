/**
 * The Kconfig front end: a whole Kconfig tree -> {@link KconfigTree}, exactly as
 * scripts/kconfig's conf_parse() (parser.y + lexer.l + preprocess.c, Linux 6.1 or 6.12) builds
 * it before menu_finalize().
 *
 * How the front end works
 * -----------------------
 * 1. lexer.ts splits each file into logical lines (lexer.l's INITIAL/ASSIGN_VAL/HELP start
 *    conditions): comments dropped, `\`-continuations joined, help text collected by indentation
 *    and kept out of the grammar, assignments `NAME op value` split off raw. Lines without `$`
 *    are tokenized and matched (step 3) right away (parse-cache.ts prepareFile(); cached on
 *    disk by content hash).
 * 2. Lines are then handled strictly in order, because the macro language has effects:
 *    preprocess.ts expands `$(...)` in words and strings (tokenizeLine) and runs assignments
 *    (variable_add), recording environment variables and counting `$(shell)` runs. The result
 *    is a list of canonical tokens.
 * 3. grammar.ts matches the line against grammar/kconfig.ohm and yields a statement AST. It
 *    matches the line's shape (words -> `_`, strings -> `""`: 457 shapes for the whole arm64
 *    tree) and fills the words in; results are cached by exact text and by shape.
 * 4. This file is parser.y's LALR automaton written out as a small state machine (which
 *    statements may follow which: config options, choice options, menu options, blocks) and
 *    its actions: menu_add_entry, menu_add_menu, menu_end_menu, menu_add_dep, menu_add_prompt,
 *    menu_add_prop, menu_add_symbol, menu_add_visibility, menu_set_type, zconf_nextfile and
 *    the checks and warnings parser.y emits. Symbols come from symbol-table.ts (sym_lookup()).
 * 5. After the last line, conf_parse()'s own steps before menu_finalize(): variables are
 *    dropped, modules_sym defaults to `n`, the root menu gets "Main menu" if it has no prompt.
 *
 * Checked against the C parser itself: test/tools/kconfig-preparse-dump.c links scripts/kconfig's
 * objects and prints the pre-menu_finalize() state; the whole arm64 and x86_64 trees of 6.1 and
 * 6.12, fixtures and generated files give identical dumps (test/kconfig-parse.test.ts,
 * test/kconfig-fuzz.test.ts).
 *
 * Errors: the first error stops the parse with a {@link KconfigError} `file:line:col: message`,
 * with the file, line and words C prints ("unknown statement \"foo\"", "invalid statement",
 * "unexpected 'if' within menu block", "missing end statement for this entry",
 * "can't open file \"x\"", macro errors...). C goes on after some errors; we stop at the first.
 * Warnings are collected in {@link ParsedKconfig.warnings} in C's formats (C prints them on
 * stderr as it goes; `$(warning-if)` and `$(info)` text goes to {@link ParseOptions.log}).
 *
 * Versions: '6.1' follows 6.1's parser.y. '6.12' follows 6.12's: no `optional` keyword, choices
 * take no name and are nameless bool symbols (flags 0, no P_CHOICE), a choice needs a prompt and
 * its members must be bool with a prompt, no P_SYMBOL properties, menu visibility shared (not
 * copied) into prompts, no final T_EOL at the end of the top file.
 *
 * Known deviations (C's behaviour cannot be represented or is undefined): the last statement
 * of a top file without a final newline gets the top file's name where C has no file (NULL);
 * a `:=` that reads the variable it (re)defines sees "" (new) or the old value where C reads
 * uninitialised or freed memory; see also lexer.ts for `$(empty) help`-style lines.
 */
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { statOrNull } from '../util/stat.js';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type FastGlob from 'fast-glob';
import {
  KconfigError,
  SYMBOL_CHOICE,
  SYMBOL_CONST,
  SYMBOL_NO_WRITE,
  SYMBOL_OPTIONAL,
  SymbolType,
  type Expr,
  type KconfigTree,
  type KconfigVersion,
  type Menu,
  type PropType,
  type Property,
  type Sym,
} from './model.js';
import { KEYWORDS, positionOf, splitLogicalLines, type LexItem, type StmtLine } from './lexer.js';
import { EXP_MARK, Preprocessor, tokenizeLine, type MessageSink, type RunShell } from './preprocess.js';
import { clearLineCache, parseLine } from './grammar.js';
import { SymbolTable } from './symbol-table.js';
import {
  FILE_MARK,
  OP_EOF,
  OP_HELP,
  OP_TOKENS,
  OP_WARN,
  ParseCache,
  clearPreparedMemo,
  contentHash,
  decodeStmt,
  encodeStmt,
  firstToken,
  isWordAt,
  prepareMemo,
  readExpr,
  readRef,
  wordAt,
  type Code,
  type CodeStmt,
  type ExprBuilder,
  type PreparedFile,
} from './parse-cache.js';
import { cacheDir } from '../runner/cache.js';
import { runWithProbes, type ProbeOptions, type ProbeStats } from './probes.js';

export type { RunShell, MessageSink } from './preprocess.js';

let fastGlob: typeof FastGlob | null = null;
/** fast-glob, loaded on first use (only Kconfiglib's rsource/osource patterns need it). */
const fg = (): typeof FastGlob => (fastGlob ??= createRequire(import.meta.url)('fast-glob') as typeof FastGlob);

/** Options of {@link parseKconfig}. */
export interface ParseOptions {
  /** Kernel source tree (absolute path); files not found under objtree are looked up here. */
  srctree: string;
  /** Directory conf runs in (file names are tried relative to it first); default srctree. */
  objtree?: string;
  /** The top Kconfig file name as given to conf; default 'Kconfig'. */
  file?: string;
  /** Language version; default '6.1'. */
  version?: KconfigVersion;
  /** The environment conf runs in (see kconfigEnvironment() in environment.ts). */
  env: Record<string, string>;
  /**
   * Runs `$(shell,cmd)` probes. Inject a recorded table to replay probes. Default: /bin/sh in the
   * object tree, with answers cached on disk and misses run concurrently (probes.ts, see
   * {@link ParseOptions.probes}).
   */
  runShell?: RunShell;
  /** Probe cache and concurrency when no runShell is given (probes.ts {@link ProbeOptions}). */
  probes?: ProbeOptions;
  /**
   * Free the front end's in-process caches once the parse is done (the prepared files by content
   * hash, as JSON text, and the statements by line text): for a process that parses once, such as
   * `kbuildts config`, they are only memory held through the evaluation. Default false (tests, the
   * TUI and other repeated parses keep them).
   */
  releaseCaches?: boolean;
  /** Where `$(info)` (stdout) and `$(warning-if)` (stderr) text goes; default the process streams. */
  log?: MessageSink;
  /**
   * Accept Kconfiglib's `rsource`, `osource` and `orsource` (with glob patterns). Off by
   * default: Linux's parser.y rejects them as unknown statements.
   */
  kconfiglibExtensions?: boolean;
  /**
   * Cache of prepared files by content hash (parse-cache.ts): a directory, true for
   * `<cacheDir()>/parse` (the default unless $KBUILDTS_PARSE_CACHE is "0"), false for none.
   */
  cache?: boolean | string;
}

/** The parse result: the model plus what the run observed. */
export interface ParsedKconfig extends KconfigTree {
  /** Warnings in the formats lexer.l/parser.y/menu.c print them (`file:line:warning: ...`). */
  warnings: string[];
  /** Number of `$(shell,...)` commands run during the parse. */
  shellCount: number;
  /** The `$(shell,...)` commands, in the order they ran. */
  shellCommands: string[];
  /** Number of `source` statements followed (a file sourced twice counts twice). */
  sourceCount: number;
  /** Files whose prepared form came from / went to the content-hash cache on disk. */
  cacheHits: number;
  cacheMisses: number;
  /** Files whose prepared form was already in this process's memory (parse-cache.ts memo). */
  memoHits: number;
  /**
   * Files the cache served without reading them: found with the identity (size, mtime, ctime,
   * inode) its pack recorded (parse-cache.ts ParseCache.knownFile). Counted in cacheHits or
   * memoHits as well.
   */
  cacheUnread: number;
  /** What the probes cost (cache hits, commands run, parse rounds); absent with an injected runShell. */
  probes?: ProbeStats;
  /** Names looked up as environment variables and not set (they expanded to ""), in first-use order. */
  envMissing: string[];
  /**
   * For each file name first read: where it was found, its size, mtime (ms) and inode then, and
   * the sha1 of the bytes parsed (what the front-end snapshot is checked against).
   */
  filesRead: Map<string, { path: string; size: number; mtimeMs: number; ino: number; sha1: string }>;
}

/** The kind of an open option list (the parser state after an entry's first line). */
type OptCtx = 'config' | 'menuconfig' | 'choice' | 'menu' | 'comment' | null;

interface Block {
  kind: 'menu' | 'choice' | 'if';
  menu: Menu;
  file: string;
  line: number;
  col: number;
}

/** One level of `source` nesting (struct file's parent chain). */
interface OpenFile {
  name: string;
  line: number; // line of the `source` statement in this file that opened the child
}

function newMenu(parent: Menu | null, sym: Sym | null, file: string, lineno: number): Menu {
  return {
    next: null,
    parent,
    list: null,
    sym,
    prompt: null,
    visibility: null,
    dep: null,
    flags: 0,
    help: null,
    file,
    lineno,
  };
}

/** expr_copy(): a deep copy of the expression tree (symbols are shared). */
export function exprCopy(e: Expr): Expr {
  switch (e.type) {
    case 'symbol':
      return { type: 'symbol', sym: e.sym };
    case 'not':
      return { type: 'not', expr: exprCopy(e.expr) };
    case 'and':
    case 'or':
      return { type: e.type, left: exprCopy(e.left), right: exprCopy(e.right) };
    case 'list':
      return { type: 'list', sym: e.sym, next: e.next ? exprCopy(e.next) : null };
    default:
      return { type: e.type, left: e.left, right: e.right };
  }
}

/** expr_alloc_and(): `a && b`, or whichever is non-null. */
export function exprAnd(a: Expr | null, b: Expr | null): Expr | null {
  if (!a) return b;
  return b ? { type: 'and', left: a, right: b } : a;
}

const TYPES: Record<string, SymbolType> = {
  bool: SymbolType.Bool,
  tristate: SymbolType.Tristate,
  int: SymbolType.Int,
  hex: SymbolType.Hex,
  string: SymbolType.String,
};

const TYPE_NAMES: Record<number, string> = {
  [SymbolType.Unknown]: 'unknown',
  [SymbolType.Bool]: 'bool',
  [SymbolType.Tristate]: 'tristate',
  [SymbolType.Int]: 'integer',
  [SymbolType.Hex]: 'hex',
  [SymbolType.String]: 'string',
};

const CONFIG_OPTION_STARTS = new Set([
  'bool', 'tristate', 'int', 'hex', 'string', 'prompt', 'default', 'def_bool', 'def_tristate',
  'select', 'imply', 'range', 'modules', 'depends', 'help',
]);
const CHOICE_OPTION_STARTS_61 = new Set(['prompt', 'bool', 'tristate', 'optional', 'default', 'depends', 'help']);
const CHOICE_OPTION_STARTS_612 = new Set(['prompt', 'bool', 'default', 'depends', 'help']);
const MENU_OPTION_STARTS = new Set(['visible', 'depends']);
const COMMENT_OPTION_STARTS = new Set(['depends']);

/** The tokens that can start an option in an open option list (parser.y's *_option_list). */
function optionStarts(opt: Exclude<OptCtx, null>, version: KconfigVersion): ReadonlySet<string> {
  switch (opt) {
    case 'config':
    case 'menuconfig':
      return CONFIG_OPTION_STARTS;
    case 'choice':
      return version === '6.1' ? CHOICE_OPTION_STARTS_61 : CHOICE_OPTION_STARTS_612;
    case 'menu':
      return MENU_OPTION_STARTS;
    case 'comment':
      return COMMENT_OPTION_STARTS;
  }
}

/** isspace() of the C locale. */
const isCSpace = (c: string): boolean => c === ' ' || (c >= '\t' && c <= '\r');

/**
 * Parse a Kconfig tree as conf_parse() does up to (not including) menu_finalize().
 *
 * @param opts see {@link ParseOptions}; typically
 *   `parseKconfig({srctree, objtree, file: 'Kconfig', version: '6.1', env})` with `env` from
 *   kconfigEnvironment() in environment.ts
 * @returns the model: menu tree (rootMenu, with next/parent/list links, help, dep,
 *   visibility and prompt per node), symbols in creation order with their properties in
 *   declaration order, modulesSym, files in first-open order, environment variables used (in
 *   first-use order), plus warnings and `$(shell)` statistics
 * @throws KconfigError `file:line:col: message` for syntax errors, macro errors, missing files
 * @throws Error (userError) when the top file itself cannot be found ("can't find file Kconfig")
 */
export function parseKconfig(opts: ParseOptions): ParsedKconfig {
  try {
    return parseKconfigInner(opts);
  } finally {
    if (opts.releaseCaches) {
      clearPreparedMemo();
      clearLineCache();
    }
  }
}

function parseKconfigInner(opts: ParseOptions): ParsedKconfig {
  if (opts.runShell) return new Parser(opts).run();
  const objtree = opts.objtree ?? opts.srctree;
  const { result, stats } = runWithProbes(
    opts.env,
    { cwd: isAbsolute(objtree) ? objtree : undefined, ...opts.probes },
    join(cacheDir(), 'probes'),
    opts.log,
    (runShell, log) => new Parser({ ...opts, runShell, log }).run(),
  );
  result.probes = stats;
  return result;
}

/**
 * zconf_fopen(): where a Kconfig file named as given to `source` (after macro expansion) or on
 * the command line is found: the name itself when absolute; else relative to the directory
 * conf runs in (the object tree) when a file is there, else under $srctree. An object-tree
 * entry that is not a file (a directory) is passed over.
 *
 * A relative name whose first component the object tree lacks cannot be found there (a fresh O=
 * tree has none of them): the returned function looks each first component up once, so that
 * such names cost no stat in the object tree.
 * @param objtree the object tree (conf's cwd); srctreeEnv: the srctree environment variable
 * @returns name -> the path to open (the last candidate: it may not exist or not be a file; the
 *   caller opens or stats it)
 */
export function kconfigFileLocator(objtree: string, srctreeEnv: string): (name: string) => string {
  const topInObjtree = new Map<string, boolean>();
  const inObjtree = joinUnder(objtree);
  const inSrctree = joinUnder(srctreeEnv);
  return (name) => {
    if (isAbsolute(name)) return name;
    const first = name.split('/', 1)[0];
    let has = topInObjtree.get(first);
    if (has === undefined) topInObjtree.set(first, (has = statOrNull(join(objtree, first)) !== null));
    if (has) {
      const path = inObjtree(name);
      if (statOrNull(path)?.isFile()) return path;
    }
    return inSrctree(name);
  };
}

/** A relative name that path.join() would not normalise: no empty, `.` or `..` component, no trailing slash. */
const PLAIN_RELATIVE = /^(?!\.\.?(?:\/|$))(?:[^/]+\/)*[^/]+$/;

/**
 * `(name) => path.join(base, name)` for relative names, without path.join()'s normalisation of
 * the base on every call for the common, already-normal name ({@link PLAIN_RELATIVE}, which
 * rules out `.` and `..` at the start; those in the middle are tested apart). Measured on the
 * 1,704 Kconfig file names of the 6.1 tree, one pass in a fresh process: join() 8-14 ms, this 1-2 ms.
 * @param base the directory (as path.join() takes it)
 * @returns a function giving exactly path.join(base, name)
 */
function joinUnder(base: string): (name: string) => string {
  const prefix = join(base, 'x').slice(0, -1); // the normalised base, with its separator ('' for '.')
  return (name) => (PLAIN_RELATIVE.test(name) && !name.includes('/.') ? prefix + name : join(base, name));
}

/**
 * Read the file at `path` if it is a regular file: open (non-blocking, so that a FIFO cannot
 * stall the parse), fstat, read, close; one stat fewer than statSync() then readFileSync().
 * @returns its stat (of the open file) and its bytes, or null when it cannot be opened or read or
 *   is not a regular file (a directory)
 */
export function readRegularFile(path: string): { stat: Stats; bytes: Buffer } | null {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return null;
    // A size of 0 may be a file that does not know its size: read it to its end.
    if (stat.size === 0) return { stat, bytes: readFileSync(fd) };
    const bytes = Buffer.allocUnsafe(stat.size);
    let n = 0;
    while (n < bytes.length) {
      const r = readSync(fd, bytes, n, bytes.length - n, null);
      if (r === 0) break; // shorter than at the fstat: it is being rewritten
      n += r;
    }
    return { stat, bytes: n === bytes.length ? bytes : bytes.subarray(0, n) };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** A Kconfig file opened by the parse: its bytes, or its prepared form when the cache knew the file unread. */
interface SourceFile {
  bytes: Buffer | null;
  prep: PreparedFile | null;
  sha1: string;
}

class Parser {
  private readonly version: KconfigVersion;
  private readonly srctreeEnv: string;
  private readonly st = new SymbolTable();
  private readonly pp: Preprocessor;
  private readonly warnings: string[] = [];
  private readonly files: string[] = [];
  private readonly fileSet = new Set<string>();
  private readonly filesRead: ParsedKconfig['filesRead'] = new Map();
  /** zconf_fopen()'s choice of file for a name (see readFile). */
  private readonly locate: (name: string) => string;
  private readonly rootMenu: Menu;
  private currentMenu: Menu;
  private currentEntry: Menu;
  private lastHost: Menu;
  private lastField: 'list' | 'next' = 'list';
  private opt: OptCtx = null;
  private readonly blocks: Block[] = [];
  private choiceDepth = 0;
  private modulesSym: Sym | null = null;
  private started = false;
  private sourceCount = 0;
  private readonly open: OpenFile[] = [];
  /** The statement being handled: current_file and current_pos of lexer.l. */
  private file = '';
  /** current_file: the file parser.y's actions record (differs from `file` only at an EOF without newline). */
  private curFile = '';
  private line = 0;
  private col = 0;
  /**
   * The last token was T_HELPTEXT: lexer.l enters ASSIGN_VAL only when the word before `=`
   * starts a statement after T_EOL, so an assignment right after help text is not one.
   */
  private afterHelp = false;
  /** current_choice of 6.12's parser.y: the choice whose member list is being built. */
  private currentChoice: Menu | null = null;
  private readonly cache: ParseCache | null;

  constructor(private readonly opts: ParseOptions) {
    this.version = opts.version ?? '6.1';
    this.srctreeEnv = opts.env.srctree ?? opts.srctree;
    this.locate = kconfigFileLocator(opts.objtree ?? opts.srctree, this.srctreeEnv);
    this.pp = new Preprocessor(opts.env, opts.runShell, opts.log);
    this.rootMenu = newMenu(null, null, opts.file ?? 'Kconfig', 0);
    this.currentMenu = this.currentEntry = this.lastHost = this.rootMenu;
    const c = opts.cache ?? process.env.KBUILDTS_PARSE_CACHE !== '0';
    // The pack of prepared files is per tree and architecture (the files a parse sources):
    // entries are checked by content hash, so the key only decides which pack is read.
    const packKey = [resolve(this.srctreeEnv), opts.file ?? 'Kconfig', opts.env.SRCARCH ?? '', opts.env.ARCH ?? ''].join('\0');
    this.cache = c === false ? null : new ParseCache(c === true ? join(cacheDir(), 'parse') : c, packKey);
  }

  run(): ParsedKconfig {
    const name = this.opts.file ?? 'Kconfig';
    const read = this.readFile(name);
    if (read === null) {
      throw Object.assign(new Error(`can't find file ${name}`), { userError: true });
    }
    this.addFile(name);
    const lines = this.processFile(name, read);
    // The end of input is reduced with current_pos of the EOF token: no file in 6.1
    // (zconf_curname() prints "<none>"), the top file in 6.12; the line is the top file's yylineno.
    this.file = this.version === '6.1' ? '<none>' : name;
    this.line = lines;
    this.col = 1;
    this.endOfInput();
    this.cache?.save();

    // conf_parse() after yyparse(), before menu_finalize().
    this.pp.clearVariables();
    if (!this.modulesSym) this.modulesSym = this.st.find('n') ?? null;
    if (!this.rootMenu.prompt) {
      // current_file is NULL after the parse in 6.1 (''), the top file in 6.12; the line is
      // the last current_pos/cur_lineno (the top file's yylineno at EOF).
      this.currentEntry = this.rootMenu;
      this.file = this.curFile = this.version === '6.1' ? '' : name;
      this.line = lines;
      this.addPrompt('menu', 'Main menu', null);
    }
    return {
      version: this.version,
      rootMenu: this.rootMenu,
      symbols: this.st.symbols,
      byName: this.st.byName,
      modulesSym: this.modulesSym,
      files: this.files,
      env: this.pp.envUsed,
      symbolYes: this.st.symbolYes,
      symbolMod: this.st.symbolMod,
      symbolNo: this.st.symbolNo,
      symbolEmpty: this.st.symbolEmpty,
      warnings: this.warnings,
      shellCount: this.pp.shellCount,
      shellCommands: this.pp.shellCommands,
      sourceCount: this.sourceCount,
      cacheHits: this.cache?.hits ?? 0,
      cacheMisses: this.cache?.misses ?? 0,
      memoHits: this.cache?.memoHits ?? 0,
      cacheUnread: this.cache?.unread ?? 0,
      envMissing: [...this.pp.envMissing],
      filesRead: this.filesRead,
    };
  }

  /**
   * zconf_fopen(): the file `name` opens ({@link kconfigFileLocator}). With the parse cache, a
   * file whose identity (size, mtime, ctime, inode) is the one the cache's pack recorded is not
   * read: its prepared form comes from the pack ({@link ParseCache.knownFile}; one stat instead
   * of open, read, close and a hash: on the 6.1 tree's 1,583 files 8 ms against 70 ms in a
   * fresh process). Any other file is read ({@link readRegularFile}).
   * @returns the bytes or the prepared file, and the {@link contentHash} of the content; null
   *   when it is no readable file
   */
  private readFile(name: string): SourceFile | null {
    const path = this.locate(name);
    const st = this.cache ? statOrNull(path) : null;
    const known = st?.isFile() ? this.cache!.knownFile(path, st) : null;
    if (known !== null) {
      this.noteRead(name, path, st!, known.sha1);
      return { bytes: null, prep: known.file, sha1: known.sha1 };
    }
    const read = readRegularFile(path);
    if (read === null) return null;
    const sha1 = contentHash(read.bytes);
    this.cache?.noteFile(path, read.stat, sha1);
    this.noteRead(name, path, read.stat, sha1);
    return { bytes: read.bytes, prep: null, sha1 };
  }

  /** Record the first read of `name` (what the front-end snapshot is checked against). */
  private noteRead(name: string, path: string, st: Stats, sha1: string): void {
    if (!this.filesRead.has(name)) this.filesRead.set(name, { path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha1 });
  }

  /** file_lookup(): record a file name once, in first-lookup order. */
  private addFile(name: string): void {
    if (!this.fileSet.has(name)) {
      this.fileSet.add(name);
      this.files.push(name);
    }
  }

  /** Parse one file's statements (recursing into `source`). @returns its yylineno at EOF */
  private processFile(name: string, { bytes, prep: known, sha1 }: SourceFile): number {
    const prep: PreparedFile = known ?? (this.cache ? this.cache.prepare(bytes!, sha1) : prepareMemo(bytes!, sha1).file);
    const saved = this.pp.file;
    this.open.push({ name, line: 0 });
    this.pp.file = name;
    const code = prep.code;
    for (let i = 0; i < code.length; ) {
      this.pp.file = name;
      i = this.item(name, code, i);
    }
    for (const w of prep.warnings) this.warnings.push(w.split(FILE_MARK).join(name));
    this.afterHelp = false; // <<EOF>> returns T_EOL
    this.open.pop();
    this.pp.file = saved;
    return prep.lines;
  }

  /**
   * After T_HELPTEXT, `NAME op value` is lexed in INITIAL: the value is ordinary tokens, and
   * the statement is a valid (empty-valued) assignment only when the value yields none.
   */
  private valueHasTokens(a: Extract<LexItem, { kind: 'assign' }>): boolean {
    for (const it of splitLogicalLines(a.value, this.file).items) {
      if (it.kind !== 'stmt') return true;
      const line: StmtLine = { ...it, line: a.valueLine, col: a.valueCol + it.col - 1 };
      if (tokenizeLine(line, this.pp, this.warnings).tokens.length) return true;
    }
    return false;
  }

  private error(msg: string, file = this.file, line = this.line, col = this.col): never {
    throw new KconfigError(file, line, col, msg);
  }

  /** zconfprint(): `file:line: text`. */
  private print(msg: string): void {
    this.warnings.push(`${this.file}:${this.line}: ${msg}`);
  }

  /**
   * Handle the item of a file's code (parse-cache.ts {@link Code}) at `i`.
   * @returns the position of the next item
   */
  private item(file: string, code: Code, i: number): number {
    let x = code[i];
    if (x === OP_HELP) {
      this.help(file, code[i + 1] as string, code[i + 3] as number);
      return i + 4;
    }
    if (typeof x === 'object') {
      // A lexer item: a statement line with `$` or an assignment.
      this.lexItem(file, x as Exclude<LexItem, { kind: 'help' }>);
      return i + 1;
    }
    let atEof = false;
    if (x === OP_EOF) {
      atEof = true;
      x = code[++i];
    }
    let warnings: string[] | null = null;
    if (x === OP_WARN) {
      warnings = code[i + 1] as string[];
      i += 2;
      x = code[i];
    }
    this.position(file, atEof, code[i + 1] as number, code[i + 2] as number);
    if (warnings !== null) for (const w of warnings) this.warnings.push(w.split(FILE_MARK).join(file));
    if (x === OP_TOKENS) {
      this.tokens(code[i + 3] as string[]);
      return i + 4;
    }
    // Prepared: the statement of a line without `$` (and without `optional`).
    const st = decodeStmt(code, i);
    this.afterHelp = false;
    this.statement(st, firstToken(st), code);
    return st.end;
  }

  /** help: help_start T_HELPTEXT (the parser reduces at the text's end line). */
  private help(file: string, text: string, endLine: number): void {
    this.file = this.curFile = file;
    this.line = endLine;
    const e = this.currentEntry;
    if (e.help !== null) {
      this.print(`warning: '${e.sym?.name ?? '<choice>'}' defined with more than one help text -- only the last one will be used`);
    }
    if (/^[ \f\n\r\t\v]*$/.test(text)) {
      this.print(`warning: '${e.sym?.name ?? '<choice>'}' defined with blank help text`);
    }
    e.help = text;
    this.afterHelp = true;
  }

  /** current_file and current_pos for the statement that starts at `line`:`col`. */
  private position(file: string, atEof: boolean, line: number, col: number): void {
    this.file = file;
    this.curFile = atEof && this.open.length > 1 ? this.open[this.open.length - 2].name : file;
    if (this.version !== '6.1') this.file = this.curFile; // 6.12 has one cur_filename
    this.line = this.pp.lineno = line;
    this.col = col;
    if (atEof && this.version !== '6.1' && this.open.length === 1) {
      // 6.12's lexer returns no T_EOL at the end of the top file: its last statement is cut short.
      this.error('syntax error');
    }
  }

  /** A statement line with `$` (tokenized now: expansion has effects) or an assignment. */
  private lexItem(file: string, it: Exclude<LexItem, { kind: 'help' }>): void {
    this.position(file, it.atEof === true, it.line, it.col);
    if (it.kind === 'assign') {
      this.assignment(it);
      return;
    }
    const tok = tokenizeLine(it, this.pp, this.warnings);
    if (tok.tokens.length && tok.starts[0] !== 0) {
      // The first token came later on the line (an earlier word expanded to nothing).
      const segLine = positionOf(it, tok.starts[0]);
      this.line = segLine[0];
      this.col = segLine[1];
    }
    this.tokens(tok.tokens);
  }

  /** A statement given as canonical tokens: matched by the grammar now. */
  private tokens(tokens: string[]): void {
    if (tokens.length === 0) return; // every token expanded to nothing: no statement
    this.afterHelp = false;
    this.cache?.loadShapes();
    if (this.version !== '6.1' && tokens.includes('optional')) {
      // 6.12's lexer has no `optional` keyword: it is a word like any other.
      tokens = tokens.map((t) => (t === 'optional' ? `${EXP_MARK}optional${EXP_MARK}` : t));
    }
    const st = parseLine(tokens);
    if (st === null) {
      this.statement(null, tokens[0], []);
      return;
    }
    // The same form as a prepared statement: one path through the parser's actions.
    const code: unknown[] = [];
    encodeStmt(st, this.line, this.col, code);
    this.statement(decodeStmt(code, 0), tokens[0], code);
  }

  /** The message bison's error recovery ends with for a bad statement (first: its first token). */
  private syntaxError(first: string): never {
    const isWord = first.startsWith(EXP_MARK) || (/^[A-Za-z0-9_-]+$/.test(first) && !KEYWORDS.has(first));
    if (isWord && this.choiceDepth === 0) {
      const w = first.startsWith(EXP_MARK) ? first.slice(1, -1) : first;
      this.error(`unknown statement "${w}"`);
    }
    this.error('invalid statement');
  }

  private assignment(a: Extract<LexItem, { kind: 'assign' }>): void {
    // assignment_stmt is only in stmt_list (not in a choice).
    this.closeOptions();
    this.pp.lineno = a.line;
    this.pp.col = a.col;
    const name = this.pp.expandOneToken(a.name, 0).out;
    this.started = true;
    if (this.choiceDepth > 0) this.error('invalid statement');
    if (name === '') this.error('invalid statement'); // the word expanded to no token at all
    let value = a.value;
    if (this.afterHelp) {
      if (this.valueHasTokens(a)) this.error(`unknown statement "${name}"`);
      value = '';
      this.afterHelp = false;
    }
    // parser.y reduces assignment_stmt after T_EOL: yylineno is already on the next line.
    this.pp.lineno = a.valueLine + 1;
    this.pp.col = a.valueCol;
    this.pp.variableAdd(name, value, a.op === '=' ? 'recursive' : a.op === ':=' ? 'simple' : 'append');
  }

  // ---- menu.c helpers -------------------------------------------------------------------

  private link(m: Menu): void {
    if (this.lastField === 'list') this.lastHost.list = m;
    else this.lastHost.next = m;
    this.lastHost = m;
    this.lastField = 'next';
  }

  /** menu_add_entry(). */
  private addEntry(sym: Sym | null): Menu {
    const m = newMenu(this.currentMenu, sym, this.curFile, this.line);
    this.link(m);
    this.currentEntry = m;
    if (sym) {
      sym.menus.push(m);
      // 6.1 links a symbol to its menu nodes by P_SYMBOL properties; 6.12 by sym->menus only.
      if (this.version === '6.1') this.addSymbolProp('symbol', sym, null);
    }
    return m;
  }

  /** menu_add_menu(). */
  private addMenu(): void {
    this.lastHost = this.currentEntry;
    this.lastField = 'list';
    this.currentMenu = this.currentEntry;
  }

  /** menu_end_menu(). */
  private endMenu(): void {
    this.lastHost = this.currentMenu;
    this.lastField = 'next';
    this.currentMenu = this.currentMenu.parent!;
  }

  /** menu_add_prop(). */
  private addProp(type: PropType, expr: Expr | null, dep: Expr | null): Property {
    const prop: Property = {
      type,
      text: null,
      visible: { expr: dep, tri: 0 },
      expr,
      menu: this.currentEntry,
      filename: this.curFile,
      lineno: this.line,
    };
    if (this.currentEntry.sym) this.currentEntry.sym.props.push(prop);
    return prop;
  }

  /** menu_add_symbol(). */
  private addSymbolProp(type: PropType, sym: Sym, dep: Expr | null): void {
    this.addProp(type, { type: 'symbol', sym }, dep);
  }

  /** menu_add_prompt(). */
  private addPrompt(type: 'prompt' | 'menu' | 'comment', text: string, dep: Expr | null): Property {
    const prop = this.addProp(type, null, dep);
    if (text.length && isCSpace(text[0])) {
      this.propWarn(prop, 'leading whitespace ignored');
      let i = 0;
      while (i < text.length && isCSpace(text[i])) i++;
      text = text.slice(i);
    }
    if (this.currentEntry.prompt) this.propWarn(prop, 'prompt redefined');
    if (type === 'prompt') {
      for (let m = this.currentEntry.parent; m; m = m.parent) {
        if (!m.visibility) continue;
        // 6.1 copies the menu's visibility (expr_copy); 6.12 shares it (expressions are hash-consed).
        prop.visible.expr = exprAnd(prop.visible.expr, this.version === '6.1' ? exprCopy(m.visibility) : m.visibility);
      }
    }
    this.currentEntry.prompt = prop;
    prop.text = text;
    return prop;
  }

  private propWarn(prop: Property, msg: string): void {
    this.warnings.push(`${prop.filename}:${prop.lineno}:warning: ${msg}`);
  }

  /** menu_set_type(). */
  private setType(type: SymbolType): void {
    const sym = this.currentEntry.sym!;
    if (sym.type === type) return;
    if (sym.type === SymbolType.Unknown) {
      sym.type = type;
      return;
    }
    const m = this.currentEntry;
    this.warnings.push(
      `${m.file}:${m.lineno}:warning: ignoring type redefinition of '${sym.name ?? '<choice>'}' from '${TYPE_NAMES[sym.type]}' to '${TYPE_NAMES[type]}'`,
    );
  }

  // ---- expressions ----------------------------------------------------------------------

  /** Builds the model's expressions from a statement's code (sym_lookup() as parser.y's actions). */
  private readonly builder: ExprBuilder<Expr, Sym> = {
    sym: (name, quoted) => this.st.lookup(name, quoted ? SYMBOL_CONST : 0),
    leaf: (sym) => ({ type: 'symbol', sym }),
    not: (expr) => ({ type: 'not', expr }),
    and: (left, right) => ({ type: 'and', left, right }),
    or: (left, right) => ({ type: 'or', left, right }),
    cmp: (type, left, right) => ({ type, left, right }),
  };

  /** The symbol operand at `i` of the statement's code. */
  private lookupRef(code: Code, i: number): Sym {
    return readRef(code, i, this.builder);
  }

  /** The expression at `i` of the statement's code. */
  private expr(code: Code, i: number): Expr {
    return readExpr(code, i, this.builder)!;
  }

  /** The condition (if_expr) at `i`; null when absent. */
  private cond(code: Code, i: number): Expr | null {
    return readExpr(code, i, this.builder);
  }

  // ---- the parser state machine -----------------------------------------------------------

  /** End the open option list: the reductions of menuconfig_stmt, menu_entry, choice_entry. */
  private closeOptions(): void {
    const o = this.opt;
    if (o === null) return;
    this.opt = null;
    if (o === 'menuconfig') {
      const p = this.currentEntry.prompt;
      if (p) p.type = 'menu';
      else this.print('warning: menuconfig statement without prompt');
    } else if (o === 'config' && this.currentChoice) {
      // 6.12 config_stmt inside a choice: members must have a prompt and be bool.
      const m = this.currentEntry;
      if (!m.prompt) this.error('choice member must have a prompt', m.file, m.lineno, 1);
      if (m.sym!.type !== SymbolType.Bool) this.error('choice member must be bool', m.file, m.lineno, 1);
    } else if (o === 'menu' || o === 'choice') {
      if (o === 'choice' && this.version !== '6.1') {
        const m = this.currentEntry;
        if (!m.prompt) this.error('choice must have a prompt', m.file, m.lineno, 1);
        this.currentChoice = m;
      }
      this.addMenu();
    }
  }

  /** Try `s` as an option of the open entry; true when it was one. */
  private option(s: CodeStmt, code: Code): boolean {
    const o = this.opt;
    if (o === null) return false;
    if (s.k === 'depends') {
      // depends: T_DEPENDS T_ON expr T_EOL (every option list has it)
      const e = this.expr(code, s.expr);
      this.currentEntry.dep = exprAnd(this.currentEntry.dep, e);
      return true;
    }
    if (o === 'menu') {
      if (s.k !== 'visible') return false;
      const c = this.cond(code, s.cond);
      this.currentEntry.visibility = exprAnd(this.currentEntry.visibility, c);
      return true;
    }
    if (o === 'comment') return false;
    if (s.k === 'help') return true; // help_start: the text follows as the next item
    if (o === 'choice') {
      switch (s.k) {
        case 'prompt':
          this.addPrompt('prompt', s.text, this.cond(code, s.cond));
          return true;
        case 'type':
          if (this.version !== '6.1') {
            // 6.12: choice_option: T_BOOL T_WORD_QUOTE if_expr T_EOL (the type is already bool)
            if (s.type !== 'bool' || s.prompt === null) return false;
            this.addPrompt('prompt', s.prompt, this.cond(code, s.cond));
            return true;
          }
          if (s.type !== 'bool' && s.type !== 'tristate') return false;
          if (s.prompt !== null) this.addPrompt('prompt', s.prompt, this.cond(code, s.cond));
          this.setType(TYPES[s.type]);
          return true;
        case 'optional':
          if (this.version !== '6.1') return false;
          this.currentEntry.sym!.flags |= SYMBOL_OPTIONAL;
          return true;
        case 'default': {
          // choice_option: T_DEFAULT T_WORD if_expr (a word, not a string or an expression)
          if (s.kw !== 'default' || !isWordAt(code, s.expr)) return false;
          const sym = this.st.lookup(wordAt(code, s.expr), 0);
          this.addSymbolProp('default', sym, this.cond(code, s.cond));
          return true;
        }
        default:
          return false;
      }
    }
    // config / menuconfig options
    switch (s.k) {
      case 'type':
        if (s.prompt !== null) this.addPrompt('prompt', s.prompt, this.cond(code, s.cond));
        this.setType(TYPES[s.type]);
        return true;
      case 'prompt':
        this.addPrompt('prompt', s.text, this.cond(code, s.cond));
        return true;
      case 'default': {
        const e = this.expr(code, s.expr);
        this.addProp('default', e, this.cond(code, s.cond));
        if (s.kw === 'def_bool') this.setType(SymbolType.Bool);
        else if (s.kw === 'def_tristate') this.setType(SymbolType.Tristate);
        return true;
      }
      case 'select':
      case 'imply': {
        const sym = this.st.lookup(s.name, 0);
        this.addSymbolProp(s.k, sym, this.cond(code, s.cond));
        return true;
      }
      case 'range': {
        const a = this.lookupRef(code, s.a);
        const b = this.lookupRef(code, s.b);
        this.addProp('range', { type: 'range', left: a, right: b }, this.cond(code, s.cond));
        return true;
      }
      case 'modules':
        if (this.modulesSym) {
          this.error(
            `symbol '${this.currentEntry.sym!.name}' redefines option 'modules' already defined by symbol '${this.modulesSym.name}'`,
          );
        }
        this.modulesSym = this.currentEntry.sym;
        return true;
      default:
        return false;
    }
  }

  private statement(s: CodeStmt | null, first: string, code: Code): void {
    const isFirst = !this.started;
    this.started = true;
    if (s !== null && this.option(s, code)) return;
    // A line whose first token can start an option of the open entry fails inside the option
    // list: the entry is not reduced (no menuconfig/choice checks run) before the error.
    if (this.opt !== null && optionStarts(this.opt, this.version).has(first)) this.syntaxError(first);
    if (s === null) {
      this.closeOptions();
      this.syntaxError(first);
    }
    this.closeOptions();
    const inChoice = this.choiceDepth > 0;
    switch (s.k) {
      case 'config':
      case 'menuconfig': {
        if (s.k === 'menuconfig' && inChoice) break;
        const sym = this.st.lookup(s.name, 0);
        if (this.version === '6.1') sym.flags |= SYMBOL_OPTIONAL;
        const m = this.addEntry(sym);
        if (s.k === 'menuconfig') m.isMenuconfig = true;
        this.opt = s.k;
        return;
      }
      case 'comment':
        this.addEntry(null);
        this.addPrompt('comment', s.text, null);
        this.opt = 'comment';
        return;
      case 'if': {
        const e = this.expr(code, s.expr);
        const m = this.addEntry(null);
        this.currentEntry.dep = exprAnd(this.currentEntry.dep, e);
        this.addMenu();
        this.blocks.push({ kind: 'if', menu: m, file: this.curFile, line: this.line, col: this.col });
        return;
      }
      case 'menu': {
        if (inChoice) break;
        const m = this.addEntry(null);
        this.addPrompt('menu', s.text, null);
        this.opt = 'menu';
        this.blocks.push({ kind: 'menu', menu: m, file: this.curFile, line: this.line, col: this.col });
        return;
      }
      case 'choice': {
        if (inChoice) break;
        if (s.name !== null && this.version !== '6.1') break;
        let m: Menu;
        if (this.version === '6.1') {
          const sym = s.name === null ? this.st.newChoice() : this.st.lookup(s.name, SYMBOL_CHOICE);
          sym.flags |= SYMBOL_NO_WRITE;
          m = this.addEntry(sym);
          this.addProp('choice', null, null);
        } else {
          // 6.12: sym_lookup(NULL, 0), a nameless bool symbol; no P_CHOICE property.
          m = this.addEntry(this.st.lookup(null, 0));
          this.setType(SymbolType.Bool);
        }
        this.opt = 'choice';
        this.blocks.push({ kind: 'choice', menu: m, file: this.curFile, line: this.line, col: this.col });
        this.choiceDepth++;
        return;
      }
      case 'endmenu':
      case 'endchoice':
      case 'endif': {
        const b = this.blocks[this.blocks.length - 1];
        if (!b) break;
        const tokenName = s.k.slice(3);
        if (tokenName !== b.kind) this.error(`unexpected '${tokenName}' within ${b.kind} block`);
        if (b.file !== this.curFile) this.error(`'${tokenName}' in different file than '${b.kind}'`);
        this.blocks.pop();
        if (b.kind === 'choice') {
          this.choiceDepth--;
          this.currentChoice = null;
        }
        this.endMenu();
        return;
      }
      case 'source': {
        if (inChoice) break;
        if (s.kw !== 'source' && !this.opts.kconfiglibExtensions) {
          this.error(`unknown statement "${s.kw}"`);
        }
        this.source(s.kw, s.path);
        return;
      }
      case 'mainmenu':
        if (!isFirst) break;
        this.addPrompt('menu', s.text, null);
        return;
      default:
        break;
    }
    this.syntaxError(first);
  }

  /** source_stmt: zconf_nextfile(), and Kconfiglib's rsource/osource/orsource. */
  private source(kw: string, path: string): void {
    let names: string[];
    if (kw === 'source') names = [path];
    else {
      const rel = kw === 'rsource' || kw === 'orsource';
      const pattern = rel ? posix.join(dirname(this.file), path) : path;
      if (fg().isDynamicPattern(pattern)) {
        const base = isAbsolute(pattern) ? '/' : this.srctreeEnv;
        names = fg()
          .sync(isAbsolute(pattern) ? pattern.slice(1) : pattern, { cwd: base, onlyFiles: true })
          .map((f) => (isAbsolute(pattern) ? `/${f}` : f))
          .sort();
        if (names.length === 0 && !kw.startsWith('o')) this.error(`can't open file "${path}"`);
      } else names = [pattern];
    }
    const srcLine = this.line;
    const srcFile = this.file;
    const srcCol = this.col;
    for (const name of names) {
      const read = this.readFile(name);
      if (read === null && kw.startsWith('o')) continue; // osource/orsource: optional
      this.addFile(name); // file_lookup() comes before the open in zconf_nextfile()
      if (read === null) {
        this.error(`can't open file "${name}"`, srcFile, srcLine, srcCol);
      }
      const top = this.open[this.open.length - 1];
      top.line = srcLine;
      if (this.open.some((f) => f.name === name)) {
        const chain: string[] = [];
        for (let i = this.open.length - 1; i >= 0; i--) {
          chain.push(`  included from: ${this.open[i].name}:${this.open[i].line}`);
          // 6.1 stops at the file included again; 6.12 prints every includer
          if (this.version === '6.1' && this.open[i].name === name) break;
        }
        this.error(`Recursive inclusion detected.\nInclusion path:\n  current file : ${name}\n${chain.join('\n')}`, srcFile, srcLine, srcCol);
      }
      this.sourceCount++;
      this.processFile(name, read);
    }
  }

  /** End of input: reduce the open option list; report blocks left open. */
  private endOfInput(): void {
    this.closeOptions();
    const b = this.blocks[this.blocks.length - 1];
    if (b) this.error('missing end statement for this entry', b.file, b.line, b.col);
  }
}
