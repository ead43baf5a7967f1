/**
 * Test helper: print a parsed tree in the format of test/tools/kconfig-preparse-dump.c (the C
 * parser's pre-menu_finalize() state), so the two can be compared line by line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYMBOL_CHOICE, SYMBOL_CONST, type Expr, type KconfigTree, type Menu, type Sym } from '../src/kconfig/model.js';
import { loadManifest } from '../src/runner/cache.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Build test/tools/kconfig-preparse-dump.c against the oracle's scripts/kconfig objects of a
 * series (every object of conf but conf.o) into `dir`.
 * @returns the executable's path
 * @throws Error with gcc's output when the build fails
 */
export function buildDump(series: '6.1' | '6.12', dir: string): string {
  const src = loadManifest().linuxSource[series];
  const objDir = dirname(src.conf);
  const exe = join(dir, `kconfig-preparse-dump-${series}`);
  const objs = ['parser.tab.o', 'lexer.lex.o', 'menu.o', 'symbol.o', 'expr.o', 'confdata.o', 'preprocess.o', 'util.o'];
  const flags = series === '6.12' ? ['-DKV612', '-I', join(src.srcDir, 'scripts', 'include')] : [];
  const r = spawnSync(
    'gcc',
    [...flags, '-I', join(src.srcDir, 'scripts', 'kconfig'), '-o', exe, join(here, 'tools', 'kconfig-preparse-dump.c'), ...objs.map((o) => join(objDir, o))],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`building the dump tool failed:\n${r.stderr}`);
  return exe;
}

const DUMP_LINE = /^(M\d+ |S |  P |root |modules=)/;

/**
 * Run the C dump tool as make runs conf: in a fresh object directory under `scratch`, with `env`.
 * @returns the dump lines, the other stdout lines ($(info) output), stderr and the exit status
 */
export function cDump(exe: string, env: Record<string, string>, scratch: string): { dump: string[]; stderr: string; stdout: string[]; status: number | null } {
  const obj = mkdtempSync(join(scratch, 'obj-'));
  const r = spawnSync(exe, ['Kconfig'], { cwd: obj, env, encoding: 'latin1', maxBuffer: 256 * 1024 * 1024 });
  const lines = r.stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { dump: lines.filter((l) => DUMP_LINE.test(l)), stdout: lines.filter((l) => !DUMP_LINE.test(l)), stderr: r.stderr, status: r.status };
}

/** First differing line of two dumps, for a readable failure; null when equal. */
export function firstDifference(a: string[], b: string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  C : ${a[i]}\n  TS: ${b[i]}`;
  }
  return null;
}

const sname = (s: Sym): string => `${s.flags & SYMBOL_CONST ? "'" : ''}${s.name ?? '<choice>'}`;

/** The expression in the dump's prefix form. */
export function dumpExpr(e: Expr | null): string {
  if (!e) return '-';
  switch (e.type) {
    case 'symbol': return sname(e.sym);
    case 'not': return `!(${dumpExpr(e.expr)})`;
    case 'and': case 'or': return `${e.type}(${dumpExpr(e.left)},${dumpExpr(e.right)})`;
    case 'list': return '?list';
    default: return `${e.type}(${sname(e.left)},${sname(e.right)})`;
  }
}

/** FNV-1a over the bytes (one latin1 char per byte), as the dump tool hashes help texts. */
function fnv(s: string): string {
  let h = 2166136261;
  for (const b of Buffer.from(s, 'latin1')) h = Math.imul((h ^ b) >>> 0, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function dumpMenus(m: Menu | null, depth: number, out: string[]): void {
  for (; m; m = m.next) {
    let l = `M${depth} ${m.file}:${m.lineno} sym=${m.sym ? m.sym.name ?? '<choice>' : '-'}`;
    if (m.prompt) l += ` prompt=${m.prompt.type}[${m.prompt.text}]@${m.prompt.lineno} vis=${dumpExpr(m.prompt.visible.expr)}`;
    l += ` dep=${dumpExpr(m.dep)} visibility=${dumpExpr(m.visibility)}`;
    if (m.help !== null) l += ` help=${Buffer.byteLength(m.help, 'latin1')}/${fnv(m.help)}`;
    out.push(l);
    if (m.list) dumpMenus(m.list, depth + 1, out);
  }
}

/** The whole dump, one string per line. */
export function dumpTree(t: KconfigTree): string[] {
  const out = [`root prompt=${t.rootMenu.prompt?.text ?? '-'}`];
  dumpMenus(t.rootMenu.list, 0, out);
  const syms = t.symbols.filter((s) => s.name !== null && !(s.flags & (SYMBOL_CONST | SYMBOL_CHOICE)));
  syms.sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
  for (const s of syms) {
    out.push(`S ${s.name} type=${s.type} flags=${s.flags.toString(16)}`);
    for (const p of s.props) {
      let l = `  P ${p.type} ${p.filename}:${p.lineno} expr=${dumpExpr(p.expr)} vis=${dumpExpr(p.visible.expr)}`;
      if (p.text !== null) l += ` text=[${p.text}]`;
      out.push(l);
    }
  }
  out.push(`modules=${t.modulesSym?.name ?? '-'}`);
  return out;
}
