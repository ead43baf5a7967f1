/**
 * The Kconfig front end (lexer pre-pass, macro language, line grammar, parser -> model) against
 * the real C parser of Linux 6.1:
 * - the whole arm64 tree: the files and environment variables conf recorded in the oracle's
 *   include/config/auto.conf.cmd, the symbol/choice/probe counts, and a line-by-line comparison
 *   with test/tools/kconfig-preparse-dump.c, which links scripts/kconfig's own objects and prints
 *   what parser.y built before menu_finalize();
 * - fixtures for language corners (same comparison, plus the warnings C prints);
 * - error fixtures: our `file:line:col: message` and C's `file:line: message` for the same input.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kconfigEnvironment } from '../src/kconfig/environment.js';
import { KconfigError } from '../src/kconfig/model.js';
import { parseKconfig, type ParsedKconfig } from '../src/kconfig/parse.js';
import { clearPreparedMemo, decodeStmt, encodeStmt, prepareFile, readExpr, readRef, type Code, type CodeStmt, type ExprBuilder } from '../src/kconfig/parse-cache.js';
import { parseLine, type ExprAst, type Stmt, type SymRef } from '../src/kconfig/grammar.js';
import { Preprocessor, tokenizeLine } from '../src/kconfig/preprocess.js';
import { loadManifest } from '../src/runner/cache.js';
import { buildDump, cDump as runDump, dumpTree, firstDifference } from './kconfig-dump.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');
const manifest = loadManifest();
const linux = manifest.linuxSource['6.1'];
const linux612 = manifest.linuxSource['6.12'];
const oracleObj = join(dirname(linux.conf), '..', '..'); // .../oracle/6.1-build
const scratch = mkdtempSync(join(tmpdir(), 'kbuildts-parse-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The C dump tool, run in a fresh object directory. */
const cDump = (exe: string, srctree: string, env: Record<string, string>): ReturnType<typeof runDump> => runDump(exe, { ...env, srctree }, scratch);

let dumpExe: string;
let dumpExe612: string;
beforeAll(() => {
  dumpExe = buildDump('6.1', scratch);
  dumpExe612 = buildDump('6.12', scratch);
});

describe('the whole Linux 6.1 tree, ARCH=arm64', () => {
  const srctree = linux.srcDir;
  const env = kconfigEnvironment({ srctree, arch: 'arm64', crossCompile: 'aarch64-linux-gnu-', kernelVersion: linux.kernelVersion });
  const autoConfCmd = readFileSync(join(oracleObj, 'include', 'config', 'auto.conf.cmd'), 'utf8');
  let tree: ParsedKconfig;
  const info: string[] = [];

  beforeAll(() => {
    const objtree = mkdtempSync(join(scratch, 'arm64-'));
    tree = parseKconfig({ srctree, objtree, file: 'Kconfig', version: '6.1', env, log: (_s, t) => info.push(t) });
  });

  test('reads the 1,486 files of auto.conf.cmd (6.1 lists them in reverse order)', () => {
    const deps = [...autoConfCmd.matchAll(/^\t(\S+) \\$/gm)].map((m) => m[1]);
    expect(deps).toHaveLength(1486);
    expect(tree.files).toHaveLength(1486);
    expect([...tree.files].reverse()).toEqual(deps);
    expect(tree.files[0]).toBe('Kconfig');
    // 1,487 source statements open a file (one file is sourced twice).
    expect(tree.sourceCount).toBe(1487);
  });

  test('records the 13 environment variables of auto.conf.cmd, in first-use order, with their values', () => {
    const recorded = [...autoConfCmd.matchAll(/^ifneq "\$\((\w+)\)" "(.*)"$/gm)].map((m) => [m[1], m[2]]);
    expect(recorded).toHaveLength(13);
    expect([...tree.env.entries()]).toEqual(recorded);
  });

  test('16,365 symbols defined, 72 choices, 95 $(shell) probes', () => {
    const defined = tree.symbols.filter((s) => s.name !== null && !(s.flags & (0x1 | 0x10)) && s.type !== 0 && s.menus.length > 0);
    expect(defined).toHaveLength(16365);
    expect(tree.symbols.filter((s) => s.flags & 0x10)).toHaveLength(72);
    expect(tree.shellCount).toBe(95);
    expect(tree.shellCommands).toHaveLength(95);
    expect(tree.modulesSym?.name).toBe('MODULES');
    expect(tree.rootMenu.prompt?.text).toBe(`Linux/arm64 ${linux.kernelVersion} Kernel Configuration`);
  });

  test('builds exactly what parser.y builds before menu_finalize() (menu tree, symbols, properties, help)', () => {
    const c = cDump(dumpExe, srctree, env);
    expect(c.status).toBe(0);
    const ts = dumpTree(tree);
    expect(ts.length).toBe(c.dump.length);
    expect(firstDifference(c.dump, ts)).toBeNull();
    expect(tree.warnings).toEqual([]);
  });
});

describe('the content-hash cache and the probe hook', () => {
  test('a second parse from the cache, with probes replayed, builds the same tree', () => {
    const srctree = linux.srcDir;
    const env = kconfigEnvironment({ srctree, arch: 'arm64', crossCompile: 'aarch64-linux-gnu-', kernelVersion: linux.kernelVersion });
    const cache = mkdtempSync(join(scratch, 'cache-'));
    const objtree = mkdtempSync(join(scratch, 'cached-'));
    const answers = new Map<string, string>();
    clearPreparedMemo(); // earlier tests of this worker parsed the same files in memory
    const first = parseKconfig({
      srctree, objtree, env, cache, log: () => {},
      runShell: (cmd, e) => {
        const r = spawnSync('/bin/sh', ['-c', cmd], { env: e, encoding: 'utf8' });
        answers.set(cmd, r.stdout);
        return r.stdout;
      },
    });
    // 1,488 files opened (the top Kconfig and 1,487 sources); repeated contents hit already.
    expect(first.cacheMisses + first.cacheHits + first.memoHits).toBe(1488);
    expect(first.cacheMisses).toBeGreaterThan(1400);
    clearPreparedMemo();
    const second = parseKconfig({
      srctree, objtree, env, cache, log: () => {},
      runShell: (cmd) => {
        const r = answers.get(cmd);
        if (r === undefined) throw new Error(`probe not recorded: ${cmd}`);
        return r;
      },
    });
    expect(second.cacheHits + second.memoHits).toBe(1488);
    expect(second.cacheHits).toBeGreaterThan(1400);
    expect(second.cacheMisses).toBe(0);
    expect(second.shellCount).toBe(95);
    expect(firstDifference(dumpTree(first), dumpTree(second))).toBeNull();
    expect([...second.env.entries()]).toEqual([...first.env.entries()]);
    // A third parse in this process takes the prepared files from memory.
    const third = parseKconfig({ srctree, objtree, env, cache, log: () => {}, runShell: (cmd) => answers.get(cmd)! });
    expect(third.memoHits).toBe(1488);
    expect(third.cacheHits + third.cacheMisses).toBe(0);
    expect(firstDifference(dumpTree(first), dumpTree(third))).toBeNull();
  });
});

describe('the parse cache: the flat code of a prepared file', () => {
  /** Rebuilds the grammar's expression AST from the code (the inverse of encodeExpr). */
  const astBuilder: ExprBuilder<ExprAst, SymRef> = {
    sym: (w, q) => (q ? { w, q: true } : { w }),
    leaf: (s) => (s.q ? { t: 'sym', s } : s.w),
    not: (e) => ({ t: 'not', e }),
    and: (l, r) => ({ t: 'and', l, r }),
    or: (l, r) => ({ t: 'or', l, r }),
    cmp: (t, l, r) => ({ t, l, r }),
  };
  /** The grammar's statement back from a decoded one. */
  const back = (code: Code, d: CodeStmt): Stmt => {
    const e = (i: number): ExprAst | null => readExpr(code, i, astBuilder);
    const { end: _end, ...rest } = d;
    switch (d.k) {
      case 'type': case 'select': case 'imply': case 'prompt': case 'visible':
        return { ...rest, cond: e(d.cond) } as Stmt;
      case 'depends': case 'if':
        return { ...rest, expr: e(d.expr)! } as Stmt;
      case 'default':
        return { ...rest, expr: e(d.expr)!, cond: e(d.cond) } as Stmt;
      case 'range':
        return { k: 'range', a: readRef(code, d.a, astBuilder), b: readRef(code, d.b, astBuilder), cond: e(d.cond) };
      default:
        return rest as Stmt;
    }
  };
  const pp = new Preprocessor({});
  const tokenize = (text: string): string[] => tokenizeLine({ kind: 'stmt', text, line: 1, col: 1 }, pp, []).tokens;
  const lines = [
    'config FOO', 'menuconfig BAR', 'help', 'bool', 'tristate "a \\"q\\"" if A && (B || !C)', 'string "s"',
    'depends on A = "x" && B != C || D < 1 && E <= F || G > H && I >= "J"', 'select X if !Y', 'imply Z',
    'default y if "y"', 'def_bool !A || B', 'def_tristate m', 'range 1 "10" if A', 'prompt "p" if A',
    'if A && B', 'endif', 'endmenu', 'endchoice', 'optional', 'modules', 'source "a/Kconfig"', 'comment "c"',
    'menu "m"', 'mainmenu "mm"', 'choice', 'choice NAME', 'visible if A', 'visible', 'int', 'hex "h"',
  ];

  test('every statement kind goes through JSON and back unchanged, followed by the next one', () => {
    const code: unknown[] = [];
    const stmts: Stmt[] = [];
    for (const [n, line] of lines.entries()) {
      const st = parseLine(tokenize(line));
      expect(st).not.toBeNull();
      stmts.push(st!);
      encodeStmt(st!, n + 1, 2, code);
    }
    const parsed = JSON.parse(JSON.stringify(code)) as Code;
    let i = 0;
    for (const [n, st] of stmts.entries()) {
      expect([parsed[i + 1], parsed[i + 2]]).toEqual([n + 1, 2]);
      const d = decodeStmt(parsed, i);
      expect(back(parsed, d)).toEqual(st);
      i = d.end;
    }
    expect(i).toBe(parsed.length);
  });

  test('a prepared file keeps help text, lines with `$`, assignments, token lines and warnings in order', () => {
    const f = prepareFile('X := 1\nconfig A\n\tbool "a"\n\thelp\n\t  Help.\nconfig $(X)\noptional\nconfig B\n\tdefault "\\\xe9" if A');
    const code = JSON.parse(JSON.stringify(f.code)) as Code;
    expect(code[0]).toMatchObject({ kind: 'assign', name: 'X' });
    expect(code.slice(1, 4)).toEqual([10, 2, 1]); // config A at 2:1
    expect(code).toContain('Help.');
    expect(code).toContainEqual(expect.objectContaining({ kind: 'stmt', text: 'config $(X)' }));
    expect(code).toContainEqual(['optional']); // kept as tokens
    // The file ends inside the last line (OP_EOF 2), a `default` (17) with a quoted operand (4).
    expect(code.slice(-8)).toEqual([2, 17, 9, 2, 'default', 4, '\xe9', 'A']);
  });
});

describe('which file a `source` opens (zconf_fopen())', () => {
  test('the object tree first, then $srctree; directories are passed over; the bytes read are what is hashed', () => {
    const srctree = mkdtempSync(join(scratch, 'fopen-src-'));
    const objtree = mkdtempSync(join(scratch, 'fopen-obj-'));
    for (const d of ['sub', 'dir', 'only']) mkdirSync(join(srctree, d));
    writeFileSync(join(srctree, 'Kconfig'), 'source "sub/Kconfig"\nsource "dir/Kconfig"\nsource "only/Kconfig"\nsource "empty"\n');
    writeFileSync(join(srctree, 'sub', 'Kconfig'), 'config FROM_SRC\n\tbool\n');
    writeFileSync(join(srctree, 'dir', 'Kconfig'), 'config DIR_SRC\n\tbool\n');
    writeFileSync(join(srctree, 'only', 'Kconfig'), 'config ONLY_SRC\n\tbool\n');
    writeFileSync(join(srctree, 'empty'), '');
    // The object tree shadows sub/Kconfig, has a directory named dir/Kconfig, and no only/.
    mkdirSync(join(objtree, 'sub'));
    mkdirSync(join(objtree, 'dir', 'Kconfig'), { recursive: true });
    writeFileSync(join(objtree, 'sub', 'Kconfig'), 'config FROM_OBJ\n\tbool\n');
    const t = parseKconfig({ srctree, objtree, env: { srctree, ARCH: 'x' }, cache: false, log: () => {} });
    expect(['FROM_OBJ', 'FROM_SRC', 'DIR_SRC', 'ONLY_SRC'].map((n) => t.byName.has(n))).toEqual([true, false, true, true]);
    expect(t.files).toEqual(['Kconfig', 'sub/Kconfig', 'dir/Kconfig', 'only/Kconfig', 'empty']);
    const where = [...t.filesRead].map(([name, f]) => [name, f.path, f.size]);
    expect(where).toEqual([
      ['Kconfig', join(srctree, 'Kconfig'), 79],
      ['sub/Kconfig', join(objtree, 'sub', 'Kconfig'), 22],
      ['dir/Kconfig', join(srctree, 'dir', 'Kconfig'), 21],
      ['only/Kconfig', join(srctree, 'only', 'Kconfig'), 22],
      ['empty', join(srctree, 'empty'), 0],
    ]);
    for (const f of t.filesRead.values()) expect(f.sha1).toBe(createHash('sha1').update(readFileSync(f.path)).digest('hex'));
    // A name that is a directory under both trees cannot be opened.
    writeFileSync(join(srctree, 'Kconfig'), 'config X\n\tbool\nsource "dir"\n');
    expect(() => parseKconfig({ srctree, objtree, env: { srctree, ARCH: 'x' }, cache: false, log: () => {} })).toThrow('Kconfig:3:1: can\'t open file "dir"');
  });
});

describe('the parse cache: packs and entries checked by content hash', () => {
  /** A small tree of three files in a fresh directory; returns its srctree. */
  const makeTree = (): string => {
    const srctree = mkdtempSync(join(scratch, 'packtree-'));
    mkdirSync(join(srctree, 'sub'));
    writeFileSync(join(srctree, 'Kconfig'), 'mainmenu "Pack test"\nconfig TOP\n\tbool "top"\n\thelp\n\t  Caf\xe9 \xb5s.\nsource "sub/Kconfig"\nsource "sub/Kconfig.more"\n', 'latin1');
    writeFileSync(join(srctree, 'sub', 'Kconfig'), 'config A\n\ttristate "a"\n\tdepends on TOP && !B\n\tselect C if TOP\n', 'latin1');
    writeFileSync(join(srctree, 'sub', 'Kconfig.more'), 'config B\n\tbool\nconfig C\n\tbool\n\tdefault y\n', 'latin1');
    return srctree;
  };
  const parse = (srctree: string, cache: string): ParsedKconfig => {
    clearPreparedMemo(); // each parse must go to the disk cache
    return parseKconfig({ srctree, objtree: srctree, env: { srctree, ARCH: 'x' }, cache, log: () => {} });
  };
  /** The salt directory of a cache root (one per front-end build) and what it holds. */
  const saltDir = (cache: string): string => {
    const dirs = readdirSync(cache).filter((d) => /^[0-9a-f]{40}$/.test(d));
    expect(dirs).toHaveLength(1);
    return join(cache, dirs[0]);
  };
  const packsOf = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('pack-'));
  const entriesOf = (dir: string): string[] => readdirSync(dir).filter((f) => /^[0-9a-f]{40}\.json$/.test(f));

  test('a second parse reads the pack alone, and builds the same tree', () => {
    const srctree = makeTree();
    const cache = mkdtempSync(join(scratch, 'packcache-'));
    const first = parse(srctree, cache);
    expect([first.cacheHits, first.cacheMisses]).toEqual([0, 3]);
    const dir = saltDir(cache);
    expect(packsOf(dir)).toHaveLength(1);
    const pack = readFileSync(join(dir, packsOf(dir)[0]));
    expect(pack.every((b) => b < 0x80)).toBe(true); // non-ASCII help text is escaped
    for (const f of entriesOf(dir)) rmSync(join(dir, f)); // only the pack can serve now
    const second = parse(srctree, cache);
    expect([second.cacheHits, second.cacheMisses]).toEqual([3, 0]);
    expect(firstDifference(dumpTree(first), dumpTree(second))).toBeNull();
    expect(second.rootMenu.list!.help).toBe('Caf\xe9 \xb5s.'); // help ends before `source` in column 1
    expect(readFileSync(join(dir, packsOf(dir)[0])).equals(pack)).toBe(true); // not rewritten
  });

  test('a changed file is parsed again (its old entry is never used); the pack is rewritten', () => {
    const srctree = makeTree();
    const cache = mkdtempSync(join(scratch, 'packcache-'));
    parse(srctree, cache);
    const dir = saltDir(cache);
    const before = readFileSync(join(dir, packsOf(dir)[0]), 'latin1');
    // Same length, other content: only the content hash tells them apart.
    writeFileSync(join(srctree, 'sub', 'Kconfig.more'), 'config B\n\tbool\nconfig D\n\tbool\n\tdefault y\n', 'latin1');
    const second = parse(srctree, cache);
    expect([second.cacheHits, second.cacheMisses]).toEqual([2, 1]);
    expect(second.byName.has('D')).toBe(true);
    expect(second.byName.get('C')!.menus).toHaveLength(0); // only referenced now, no longer defined
    const after = readFileSync(join(dir, packsOf(dir)[0]), 'latin1');
    expect(after).not.toBe(before);
    const third = parse(srctree, cache);
    expect([third.cacheHits, third.cacheMisses]).toEqual([3, 0]);
    expect(firstDifference(dumpTree(second), dumpTree(third))).toBeNull();
  });

  test('a damaged pack or entry is ignored: the files are parsed again', () => {
    const srctree = makeTree();
    const cache = mkdtempSync(join(scratch, 'packcache-'));
    const first = parse(srctree, cache);
    const dir = saltDir(cache);
    const packFile = join(dir, packsOf(dir)[0]);
    const pack = readFileSync(packFile, 'latin1');
    for (const f of entriesOf(dir)) rmSync(join(dir, f));
    // Truncated: the lengths no longer add up, the whole pack is ignored.
    writeFileSync(packFile, pack.slice(0, -5), 'latin1');
    const second = parse(srctree, cache);
    expect([second.cacheHits, second.cacheMisses]).toEqual([0, 3]);
    expect(firstDifference(dumpTree(first), dumpTree(second))).toBeNull();
    // One entry damaged in place (same length): that file alone misses.
    for (const f of entriesOf(dir)) rmSync(join(dir, f));
    const good = readFileSync(packFile, 'latin1');
    const at = good.indexOf('"code"', good.indexOf('\n', good.indexOf('\n') + 1));
    writeFileSync(packFile, `${good.slice(0, at)}#${good.slice(at + 1)}`, 'latin1');
    const third = parse(srctree, cache);
    expect([third.cacheHits, third.cacheMisses]).toEqual([2, 1]);
    expect(firstDifference(dumpTree(first), dumpTree(third))).toBeNull();
    // A damaged file entry (no pack) is a miss too.
    rmSync(packFile);
    for (const f of entriesOf(dir)) writeFileSync(join(dir, f), '{"items":', 'latin1');
    const fourth = parse(srctree, cache);
    expect([fourth.cacheHits, fourth.cacheMisses]).toEqual([0, 3]);
    expect(firstDifference(dumpTree(first), dumpTree(fourth))).toBeNull();
  });

  /** Wait until files written now are older than the cache's racy window (2 s before a parse). */
  const settle = (): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2100);

  test('a file found with the identity the pack recorded is not read; a change that keeps its size and mtime is still seen', () => {
    const srctree = makeTree();
    const cache = mkdtempSync(join(scratch, 'packcache-'));
    // Written just now, within the racy window: the files are read and not recorded.
    expect(parse(srctree, cache).cacheUnread).toBe(0);
    expect(parse(srctree, cache).cacheUnread).toBe(0);
    settle();
    const first = parse(srctree, cache); // reads them once more, and records them
    expect([first.cacheUnread, first.cacheHits, first.cacheMisses]).toEqual([0, 3, 0]);
    const second = parse(srctree, cache);
    expect([second.cacheUnread, second.cacheHits, second.cacheMisses]).toEqual([3, 3, 0]);
    expect(firstDifference(dumpTree(first), dumpTree(second))).toBeNull();
    expect([...second.filesRead]).toEqual([...first.filesRead]); // what the front-end snapshot checks
    // Same size, and the old mtime put back (touch -r, a careless tool): only the ctime moved.
    // (touch -r keeps the nanoseconds, which utimes() from JavaScript numbers may round.)
    const more = join(srctree, 'sub', 'Kconfig.more');
    const saved = join(scratch, `mtime-${process.pid}`);
    writeFileSync(saved, '');
    expect(spawnSync('touch', ['-r', more, saved]).status).toBe(0);
    writeFileSync(more, 'config B\n\tbool\nconfig D\n\tbool\n\tdefault y\n', 'latin1');
    expect(spawnSync('touch', ['-r', saved, more]).status).toBe(0);
    expect(statSync(more).mtimeMs).toBe(first.filesRead.get('sub/Kconfig.more')!.mtimeMs);
    const third = parse(srctree, cache);
    expect([third.cacheUnread, third.cacheMisses]).toEqual([2, 1]);
    expect(third.byName.has('D')).toBe(true);
    expect(third.filesRead.get('sub/Kconfig.more')!.sha1).not.toBe(first.filesRead.get('sub/Kconfig.more')!.sha1);
    // Its ctime is recent (the mtime is not): not recorded until it settles.
    expect(parse(srctree, cache).cacheUnread).toBe(2);
    settle();
    parse(srctree, cache);
    const settled = parse(srctree, cache);
    expect(settled.cacheUnread).toBe(3);
    expect(firstDifference(dumpTree(third), dumpTree(settled))).toBeNull();
  });

  test('a recorded file whose pack entry is damaged is read and parsed again', () => {
    const srctree = makeTree();
    const cache = mkdtempSync(join(scratch, 'packcache-'));
    settle();
    const first = parse(srctree, cache);
    expect(parse(srctree, cache).cacheUnread).toBe(3);
    const dir = saltDir(cache);
    const packFile = join(dir, packsOf(dir)[0]);
    for (const f of entriesOf(dir)) rmSync(join(dir, f));
    const good = readFileSync(packFile, 'latin1');
    const nl3 = good.indexOf('\n', good.indexOf('\n', good.indexOf('\n') + 1) + 1);
    const at = good.indexOf('"code"', nl3);
    writeFileSync(packFile, `${good.slice(0, at)}#${good.slice(at + 1)}`, 'latin1');
    const second = parse(srctree, cache);
    expect([second.cacheUnread, second.cacheHits, second.cacheMisses]).toEqual([2, 2, 1]);
    expect(firstDifference(dumpTree(first), dumpTree(second))).toBeNull();
  });
});

describe('the whole Linux 6.12 tree, ARCH=arm64 (version 6.12)', () => {
  const srctree = linux612.srcDir;
  const autoConfCmd = readFileSync(join(dirname(linux612.conf), '..', '..', 'include', 'config', 'auto.conf.cmd'), 'utf8');
  // 6.12's Makefile also exports RUSTC_VERSION_TEXT and PYTHON3; give them the values make gave.
  const extra: Record<string, string> = {};
  for (const m of autoConfCmd.matchAll(/^ifneq "\$\((RUSTC_VERSION_TEXT|PYTHON3)\)" "(.*)"$/gm)) extra[m[1]] = m[2];
  const env = kconfigEnvironment({ srctree, arch: 'arm64', crossCompile: 'aarch64-linux-gnu-', kernelVersion: linux612.kernelVersion, base: { ...process.env, ...extra } });
  let tree: ParsedKconfig;

  beforeAll(() => {
    tree = parseKconfig({ srctree, objtree: mkdtempSync(join(scratch, 'arm64-612-')), file: 'Kconfig', version: '6.12', env, log: () => {} });
  });

  test('1,602 files in parse order, the 15 environment variables, 17,573 symbols, 74 choices, 107 probes', () => {
    const deps = [...autoConfCmd.matchAll(/^\t(\S+) \\$/gm)].map((m) => m[1]);
    expect(deps).toHaveLength(1602);
    expect(tree.files).toEqual(deps);
    const recorded = [...autoConfCmd.matchAll(/^ifneq "\$\((\w+)\)" "(.*)"$/gm)].map((m) => [m[1], m[2]]);
    expect(recorded).toHaveLength(15);
    expect([...tree.env.entries()]).toEqual(recorded);
    const defined = tree.symbols.filter((s) => s.name !== null && !(s.flags & 0x1) && s.type !== 0 && s.menus.length > 0);
    expect(defined).toHaveLength(17573);
    // 6.12 choices are nameless bool symbols without SYMBOL_CHOICE and without P_CHOICE.
    const choices = tree.symbols.filter((s) => s.name === null);
    expect(choices).toHaveLength(74);
    expect(choices.every((c) => c.type === 1 && c.flags === 0 && c.props.every((p) => p.type !== 'choice'))).toBe(true);
    expect(tree.shellCount).toBe(107);
  });

  test("builds exactly what 6.12's parser.y builds before menu_finalize()", () => {
    const c = cDump(dumpExe612, srctree, env);
    expect(c.status).toBe(0);
    expect(firstDifference(c.dump, dumpTree(tree))).toBeNull();
  });
});

describe('language corners, compared with the C parser', () => {
  const cases = readdirSync(fixtures).filter((d) => d.startsWith('parse-') && !d.startsWith('parse-errors'));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ARCH: 'arm64', SRCARCH: 'arm64', FOO: 'foo value' };

  // parse-lang uses 6.1-only language (named and tristate choices, `optional`).
  const runs = [...cases.map((c) => [c, '6.1'] as const), ...cases.filter((c) => c !== 'parse-lang').map((c) => [c, '6.12'] as const)];
  test.each(runs)('%s (%s)', (name, version) => {
    const srctree = join(fixtures, name);
    const e = { ...env, srctree };
    const c = cDump(version === '6.1' ? dumpExe : dumpExe612, srctree, e);
    expect(c.status).toBe(0);
    const out: string[] = [];
    const tree = parseKconfig({ srctree, objtree: mkdtempSync(join(scratch, 'fx-')), env: e, version, log: (s, t) => out.push(`${s}: ${t}`) });
    expect(firstDifference(c.dump, dumpTree(tree))).toBeNull();
    // Warnings: C prints them on stderr (with $(warning-if) output), in the same order.
    const cWarnings = c.stderr.split('\n').filter((l) => l !== '');
    const ours = [...out.filter((l) => l.startsWith('stderr: ')).map((l) => l.slice(8).trimEnd()), ...tree.warnings];
    expect(ours.sort()).toEqual(cWarnings.sort());
    expect(out.filter((l) => l.startsWith('stdout: ')).map((l) => l.slice(8).trimEnd())).toEqual(c.stdout);
  });

  test('the fixtures cover the corners they are meant to', () => {
    const help = parseKconfig({ srctree: join(fixtures, 'parse-help'), objtree: scratch, env: { ...env, srctree: join(fixtures, 'parse-help') } });
    const a = help.byName.get('A')!.menus[0];
    // First-line indentation removed, tab counted to 8, trailing blanks dropped, inner and
    // trailing blank lines kept.
    expect(a.help).toBe('First line.\nSecond line\twith tab.\n\n  Indented more.\n      Tab indented.\n\n\n');
    // No blank line before the next entry: the last newline is not part of the text.
    expect(help.byName.get('B')!.menus[0].help).toBe('No blank line after.');
    expect(help.byName.get('C')!.menus[0].help).toBe('Ends at lower indentation.\n');
    expect(help.byName.get('LAST')!.menus[0].help).toBe('At end of file without newline');

    const macro = parseKconfig({ srctree: join(fixtures, 'parse-macro'), objtree: scratch, env: { ...env, srctree: join(fixtures, 'parse-macro') }, log: () => {} });
    expect(macro.shellCount).toBe(4);
    expect([...macro.env.keys()]).toEqual(['FOO']);
    expect(macro.byName.get('MACRO_SUFFIX')?.menus).toHaveLength(1);
    expect(macro.byName.get('GREETING')!.props.find((p) => p.type === 'prompt')!.text).toBe('hello world and foo value');
    const dflt = macro.byName.get('SHELL_OUT')!.props.find((p) => p.type === 'default')!;
    expect(dflt.expr).toMatchObject({ type: 'symbol', sym: { name: 'one two' } });
  });
});

describe('errors: file:line:col: message, as parser.y/preprocess.c report them', () => {
  const dir = join(fixtures, 'parse-errors');
  /** Expected message per fixture: ours has a column; C prints the same file:line: message. */
  const expected: Record<string, string> = {
    'assign-after-help': 'Kconfig:7:1: unknown statement "X"',
    'assign-empty-name': 'Kconfig:4:1: invalid statement',
    'assign-in-choice': 'Kconfig:5:1: invalid statement',
    'choice-default-expr': 'Kconfig:3:2: invalid statement',
    'end-in-other-file': "Kconfig.end:3:1: 'menu' in different file than 'menu'",
    'endmenu-at-top': 'Kconfig:4:3: invalid statement',
    'error-if': 'Kconfig:2:3: stop here',
    'help-dedent': 'Kconfig:6:3: unknown statement "two"',
    'invalid-statement': 'Kconfig:2:2: invalid statement',
    'macro-word-statement': 'Kconfig:2:2: unknown statement "foo bar"',
    'mainmenu-late': 'Kconfig:3:1: invalid statement',
    'menu-in-choice': 'Kconfig:5:4: invalid statement',
    'mismatched-end': "Kconfig:4:1: unexpected 'if' within menu block",
    'missing-end': 'Kconfig:3:3: missing end statement for this entry',
    'missing-file': 'Kconfig:3:2: can\'t open file "nothere"',
    'modules-twice': "Kconfig:6:2: symbol 'M2' redefines option 'modules' already defined by symbol 'M1'",
    'option-modules': 'Kconfig:3:2: unknown statement "option"',
    'recursive-source':
      'b/Kconfig:2:1: Recursive inclusion detected.\nInclusion path:\n  current file : a/Kconfig\n  included from: b/Kconfig:2\n  included from: a/Kconfig:3',
    'recursive-variable': "Kconfig:2:8: Recursive variable 'X' references itself (eventually)",
    rsource: 'Kconfig:1:1: unknown statement "rsource"',
    'select-quoted': 'Kconfig:3:2: invalid statement',
    'shell-no-args': "Kconfig:2:6: too few function arguments passed to 'shell'",
    // A name component longer than NAME_MAX: stat() fails with ENAMETOOLONG, not ENOENT; fopen()
    // in C fails alike, in the object tree and then under $srctree.
    'source-name-too-long': `Kconfig:3:1: can't open file "${'x'.repeat(300)}/Kconfig"`,
    'too-many-args': "Kconfig:2:6: too many function arguments passed to 'info'",
    'unknown-statement': 'Kconfig:3:2: unknown statement "foo"',
    'unterminated-ref': "Kconfig:2:8: unterminated reference to 'foo\"': missing ')'",
  };

  test('every error fixture has an expectation', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
  });

  test.each(Object.entries(expected))('%s', (name, message) => {
    const srctree = join(dir, name);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', srctree };
    let err: unknown;
    try {
      parseKconfig({ srctree, objtree: mkdtempSync(join(scratch, 'err-')), env, log: () => {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KconfigError);
    expect((err as KconfigError).message).toBe(message);
    // The C parser fails on the same input with the same location and words.
    const c = cDump(dumpExe, srctree, env);
    expect(c.status).not.toBe(0);
    const e = err as KconfigError;
    const cForm = name === 'recursive-source' ? e.detail : `${e.file}:${e.line}: ${e.detail}`;
    expect(c.stderr).toContain(cForm);
  });
});

describe('errors of the 6.12 language', () => {
  const dir = join(fixtures, 'parse-errors-6.12');
  const expected: Record<string, string> = {
    'choice-named': 'Kconfig:1:1: invalid statement',
    'choice-no-prompt': 'Kconfig:4:1: choice must have a prompt',
    'choice-tristate': 'Kconfig:1:1: choice must have a prompt',
    'member-no-prompt': 'Kconfig:3:1: choice member must have a prompt',
    'member-tristate': 'Kconfig:3:1: choice member must be bool',
    optional: 'Kconfig:3:2: invalid statement',
    'recursive-source':
      'b/Kconfig:2:1: Recursive inclusion detected.\nInclusion path:\n  current file : a/Kconfig\n  included from: b/Kconfig:2\n  included from: a/Kconfig:3\n  included from: Kconfig:1',
  };

  test('every error fixture has an expectation', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
  });

  test.each(Object.entries(expected))('%s', (name, message) => {
    const srctree = join(dir, name);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', srctree };
    let err: unknown;
    try {
      parseKconfig({ srctree, objtree: mkdtempSync(join(scratch, 'err-')), env, version: '6.12', log: () => {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KconfigError);
    expect((err as KconfigError).message).toBe(message);
    const c = cDump(dumpExe612, srctree, env);
    expect(c.status).not.toBe(0);
    const e = err as KconfigError;
    if (name === 'recursive-source') expect(c.stderr).toContain(e.detail);
    else expect(c.stderr).toMatch(new RegExp(`^${e.file}:${e.line}: (error: )?${e.detail.replace(/[.*+?^${}()|[\]\\"]/g, '\\$&')}$`, 'm'));
  });
});

describe("Kconfiglib's rsource/osource/orsource (opt-in)", () => {
  const srctree = join(fixtures, 'kconfiglib-ext');
  const env = { srctree };

  test('relative and optional sources with globs, in sorted order', () => {
    const t = parseKconfig({ srctree, objtree: scratch, env, kconfiglibExtensions: true });
    expect(t.files).toEqual(['Kconfig', 'drivers/Kconfig', 'drivers/a/Kconfig', 'drivers/b/Kconfig', 'drivers/b/Kconfig.opt']);
    expect([...t.byName.keys()]).toEqual(['TOP', 'DRV', 'A', 'B', 'B_OPT']);
  });

  test('rejected as parser.y rejects them unless enabled', () => {
    expect(() => parseKconfig({ srctree, objtree: scratch, env })).toThrow('Kconfig:3:1: unknown statement "rsource"');
  });
});
