/**
 * Print a kbuildts {@link KconfigTree} in exactly the format of the C oracle tool
 * test/oracle/kconfig-dump.c, so that a test can diff the two line by line
 * ({@link diffDumps}).
 *
 * The tree must be in the state conf_parse() leaves it in: parsed, menu_finalize()d, dependency
 * checked. Symbol order in the `hash` section is the C symbol table's (FNV-1a of the name
 * modulo SYMBOL_HASHSIZE — 9,973 buckets in 6.1, 16,384 in 6.12 — buckets ascending, newest
 * symbol first in a bucket), so it depends on the order in which symbols were created.
 *
 * Follows: scripts/kconfig/expr.c expr_print()/expr_compare_type() (the printer below is a
 * port), symbol.c sym_lookup()/strhash() (table order), sym_get_string_value() (values).
 */
import type { Expr, KconfigTree, Menu, Property, Sym, SymbolType as SymbolTypeT } from '../kconfig/model.js';
import { SymbolType, SYMBOL_CHOICE, SYMBOL_CONST } from '../kconfig/model.js';

/* ------------------------------------------------------------------------------------------ */
/* expr_print                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** `enum expr_type` ordinals of expr.h (E_NONE = 0 ... E_RANGE), used for parenthesisation. */
const E_NONE = 0;
const E_OR = 1;
const E_AND = 2;
const E_NOT = 3;
const E_EQUAL = 4;
const E_UNEQUAL = 5;
const E_LTH = 6;
const E_LEQ = 7;
const E_GTH = 8;
const E_GEQ = 9;
const E_LIST = 10;
const E_SYMBOL = 11;
const E_RANGE = 12;

const ORD: Record<Expr['type'], number> = {
  or: E_OR, and: E_AND, not: E_NOT, equal: E_EQUAL, unequal: E_UNEQUAL, lth: E_LTH, leq: E_LEQ,
  gth: E_GTH, geq: E_GEQ, list: E_LIST, symbol: E_SYMBOL, range: E_RANGE,
};

/**
 * expr.c expr_compare_type(): > 0 when an operand of type t2 under t1 needs parentheses.
 * The C switch falls through from the tighter operators to the looser ones; each level here
 * is the entry point of that cascade, and the checks after it are the ones C would reach.
 */
function exprCompareType(t1: number, t2: number): number {
  if (t1 === t2) return 0;
  const cascade: [number[], number[]][] = [
    [[E_LEQ, E_LTH, E_GEQ, E_GTH], [E_EQUAL, E_UNEQUAL]],
    [[E_EQUAL, E_UNEQUAL], [E_NOT]],
    [[E_NOT], [E_AND]],
    [[E_AND], [E_OR]],
    [[E_OR], [E_LIST]],
    [[E_LIST], [E_NONE]],
  ];
  const start = cascade.findIndex(([entry]) => entry.includes(t1));
  if (start < 0) return -1;
  for (let k = start; k < cascade.length; k++) if (cascade[k][1].includes(t2)) return 1;
  return -1;
}

function symText(s: Sym): string {
  return s.name ?? '<choice>';
}

/**
 * An expression as the C tool's expr_fprint() prints it (expr.c expr_print() with a plain
 * string sink): `A && (B || !C)`, `X=y`, `FOO!=""`-style comparisons print the constant's
 * name unquoted, choice symbols print as `<choice>`, E_LIST as `A ^ B`, E_RANGE as `[lo hi]`.
 * @param e the expression; null prints "y", as in C.
 * @param prev the enclosing operator's E_* ordinal (E_NONE at the top).
 */
export function exprToString(e: Expr | null, prev: number = E_NONE): string {
  if (!e) return 'y';
  const t = ORD[e.type];
  let s: string;
  switch (e.type) {
    case 'symbol':
      s = symText(e.sym);
      break;
    case 'not':
      s = `!${exprToString(e.expr, E_NOT)}`;
      break;
    case 'equal':
      s = `${symText(e.left)}=${e.right.name ?? '(null)'}`;
      break;
    case 'leq':
    case 'lth':
      s = `${symText(e.left)}${e.type === 'leq' ? '<=' : '<'}${e.right.name ?? '(null)'}`;
      break;
    case 'geq':
    case 'gth':
      s = `${symText(e.left)}${e.type === 'geq' ? '>=' : '>'}${e.right.name ?? '(null)'}`;
      break;
    case 'unequal':
      s = `${symText(e.left)}!=${e.right.name ?? '(null)'}`;
      break;
    case 'or':
      s = `${exprToString(e.left, E_OR)} || ${exprToString(e.right, E_OR)}`;
      break;
    case 'and':
      s = `${exprToString(e.left, E_AND)} && ${exprToString(e.right, E_AND)}`;
      break;
    case 'list':
      s = `${e.sym.name ?? '(null)'}${e.next ? ` ^ ${exprToString(e.next, E_LIST)}` : ''}`;
      break;
    case 'range':
      s = `[${e.left.name ?? '(null)'} ${e.right.name ?? '(null)'}]`;
      break;
    default:
      s = `<unknown type ${String((e as { type: unknown }).type)}>`;
  }
  return exprCompareType(prev, t) > 0 ? `(${s})` : s;
}

/* ------------------------------------------------------------------------------------------ */
/* Formatting helpers (identical to kconfig-dump.c's)                                          */
/* ------------------------------------------------------------------------------------------ */

/** A string C-escaped in double quotes as kconfig-dump.c put_str() prints it; null → "-". */
export function quoteDump(s: string | null | undefined): string {
  if (s === null || s === undefined) return '-';
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function exprOrDash(e: Expr | null): string {
  return e ? exprToString(e) : '-';
}

const TYPE_NAMES: Record<number, string> = {
  [SymbolType.Unknown]: 'unknown', [SymbolType.Bool]: 'bool', [SymbolType.Tristate]: 'tristate',
  [SymbolType.Int]: 'int', [SymbolType.Hex]: 'hex', [SymbolType.String]: 'string',
};

function typeName(t: SymbolTypeT): string {
  return TYPE_NAMES[t] ?? 'unknown';
}

const FLAG_NAMES: [number, string][] = [
  [0x0001, 'CONST'], [0x0008, 'CHECK'], [0x0010, 'CHOICE'], [0x0020, 'CHOICEVAL'], [0x0080, 'VALID'],
  [0x0100, 'OPTIONAL'], [0x0200, 'WRITE'], [0x0400, 'CHANGED'], [0x0800, 'WRITTEN'], [0x1000, 'NO_WRITE'],
  [0x2000, 'CHECKED'], [0x8000, 'WARNED'], [0x10000, 'DEF_USER'], [0x20000, 'DEF_AUTO'], [0x40000, 'DEF3'],
  [0x80000, 'DEF4'], [0x100000, 'NEED_SET_CHOICE_VALUES'],
];

/** SYMBOL_* flags as kconfig-dump.c put_flags() prints them: `CHOICE|NO_WRITE`, "0" for none. */
export function flagsToString(flags: number, mask = -1): string {
  let rest = (flags & mask) >>> 0;
  if (rest === 0) return '0';
  const parts: string[] = [];
  for (const [bit, name] of FLAG_NAMES) {
    if (rest & bit) {
      parts.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}

/* ------------------------------------------------------------------------------------------ */
/* Symbol table order                                                                          */
/* ------------------------------------------------------------------------------------------ */

/** SYMBOL_HASHSIZE of expr.h/internal.h: 9,973 in 6.1, 16,384 (1 << 14) in 6.12. */
export function symbolHashSize(version: string): number {
  return version === '6.1' ? 9973 : 16384;
}

/**
 * symbol.c strhash(): 32-bit FNV-1a over the name's bytes as (signed) `char`, so bytes >= 0x80
 * are sign-extended before the XOR, as on x86 and with gcc's default for x86_64 hosts.
 */
export function strhash(name: string): number {
  let h = 2166136261;
  for (const b of Buffer.from(name, 'latin1')) {
    const c = b >= 0x80 ? b - 256 : b;
    h = Math.imul((h ^ c) >>> 0, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The symbols of the C hash table in for_all_symbols() order: the tree's symbols minus the
 * static y/m/n/"" ones (which C keeps outside the table), ordered by bucket (strhash(name) %
 * size; a nameless choice goes to bucket 0), newest first within a bucket.
 * @param tree a tree whose `symbols` lists every sym_lookup()-created symbol in creation order.
 */
export function symbolsInTableOrder(tree: KconfigTree): Sym[] {
  const size = symbolHashSize(tree.version);
  const statics = new Set<Sym>([tree.symbolYes, tree.symbolMod, tree.symbolNo, tree.symbolEmpty]);
  const keyed: { s: Sym; b: number; i: number }[] = [];
  tree.symbols.forEach((s, i) => {
    if (statics.has(s)) return;
    keyed.push({ s, b: s.name === null ? 0 : strhash(s.name) % size, i });
  });
  keyed.sort((x, y) => x.b - y.b || y.i - x.i);
  return keyed.map((k) => k.s);
}

/* ------------------------------------------------------------------------------------------ */
/* The dump                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Options for {@link printDump}; mirror kconfig-dump's command line. */
export interface PrintDumpOptions {
  /** Sections: counts, files, hash, menu, values (default counts, files, hash, menu). */
  sections?: string[];
  /** Only these SYMBOL_* bits are printed (kconfig-dump --flags-mask); default all. */
  flagsMask?: number;
  /**
   * Counts kbuildts's tree does not record itself: `sources` (source statements executed) and
   * `shell` ($(shell) calls). Printed as given, or "?" when absent.
   */
  counts?: { sources?: number; shell?: number };
  /**
   * For the values section (printed when given): the evaluator's sym_get_string_value() and the
   * member of a choice that is y (6.1: sym_get_choice_value() when the choice is y; 6.12: the
   * first member in priority order whose value is y), or null. Defaults: a port of
   * sym_get_string_value() over `curr` (needs `modulesSym` evaluated), and the first member
   * (depth-first under the choice's menu node) whose `curr.tri` is y.
   */
  values?: {
    stringValue?: (sym: Sym) => string | null;
    choiceValue?: (sym: Sym) => Sym | null;
  };
}

/** The first symbol under a choice's menu node whose value is y (the default choiceValue). */
function firstYesMember(tree: KconfigTree, choice: Sym): Sym | null {
  if (tree.version === '6.1' && choice.curr.tri !== 2) return null;
  const find = (m: Menu | null): Sym | null => {
    for (; m; m = m.next) {
      if (m.sym && m.sym !== choice && m.sym.curr.tri === 2) return m.sym;
      const r = find(m.list);
      if (r) return r;
    }
    return null;
  };
  return choice.menus.length ? find(choice.menus[0].list) : null;
}

/** symbol.c sym_get_string_value() over already computed `curr` values. */
function defaultStringValue(tree: KconfigTree, sym: Sym): string | null {
  if (sym.type === SymbolType.Bool || sym.type === SymbolType.Tristate) {
    const v = sym.curr.tri;
    if (v === 0) return 'n';
    if (v === 2) return 'y';
    return tree.modulesSym && tree.modulesSym.curr.tri === 0 ? 'n' : 'm';
  }
  return sym.curr.val;
}

const TRI = ['n', 'm', 'y'];

/** lkc.h sym_is_choice(): SYMBOL_CHOICE in 6.1; in 6.12 a choice is the symbol with no name. */
function isChoice(tree: KconfigTree, s: Sym): boolean {
  return tree.version === '6.1' ? (s.flags & SYMBOL_CHOICE) !== 0 : s.name === null;
}

function symRecord(sym: Sym, mask: number, out: string[]): void {
  out.push(`sym ${symText(sym)} ${typeName(sym.type)} ${flagsToString(sym.flags, mask)}`);
  for (const p of sym.props) out.push(propLine(p));
  out.push(`  dir_dep ${exprOrDash(sym.dir_dep.expr)}`);
  out.push(`  rev_dep ${exprOrDash(sym.rev_dep.expr)}`);
  out.push(`  implied ${exprOrDash(sym.implied.expr)}`);
}

function propLine(p: Property): string {
  let s = `  prop ${p.type} ${p.filename || '?'}:${p.lineno}`;
  if (p.text !== null && p.text !== undefined) s += ` text ${quoteDump(p.text)}`;
  s += ` visible ${exprOrDash(p.visible.expr)} expr ${exprOrDash(p.expr)}`;
  return s;
}

function menuKind(tree: KconfigTree, m: Menu): string {
  if (m === tree.rootMenu) return 'root';
  if (m.sym) {
    if (isChoice(tree, m.sym)) return 'choice';
    if (m.prompt && m.prompt.type === 'menu') return 'menuconfig';
    return 'config';
  }
  if (m.prompt) return m.prompt.type;
  return 'if';
}

/**
 * The dump of a finalised kbuildts tree, byte-identical to kconfig-dump's output for the same
 * Kconfig tree when kbuildts parsed it as the C tool did (format: see test/oracle/kconfig-dump.c).
 * @returns the text, newline-terminated lines, ending with "end\n".
 */
export function printDump(tree: KconfigTree, opts: PrintDumpOptions = {}): string {
  const sections = new Set(opts.sections ?? ['counts', 'files', 'hash', 'menu']);
  const mask = opts.flagsMask ?? -1;
  const table = symbolsInTableOrder(tree);
  const files = [...new Set(tree.files)];
  const out: string[] = ['kconfig-dump 1'];

  if (sections.has('counts')) {
    let named = 0, typed = 0, withMenu = 0, defined = 0, choices = 0;
    for (const s of table) {
      const m = s.menus.length > 0;
      if (s.name !== null && !(s.flags & SYMBOL_CONST)) named++;
      if (s.type !== SymbolType.Unknown) typed++;
      if (m) withMenu++;
      if (m && s.type !== SymbolType.Unknown && !isChoice(tree, s)) defined++;
      if (isChoice(tree, s)) choices++;
    }
    let menus = 0;
    const count = (m: Menu): void => {
      menus++;
      for (let c = m.list; c; c = c.next) count(c);
    };
    count(tree.rootMenu);
    out.push(`count files ${files.length}`);
    out.push(`count sources ${opts.counts?.sources ?? '?'}`);
    out.push(`count shell ${opts.counts?.shell ?? '?'}`);
    out.push(`count symbols ${defined}`);
    out.push(`count symbols-all ${table.length}`);
    out.push(`count symbols-named ${named}`);
    out.push(`count symbols-typed ${typed}`);
    out.push(`count symbols-menu ${withMenu}`);
    out.push(`count choices ${choices}`);
    out.push(`count menus ${menus}`);
  }
  if (sections.has('files')) for (const f of files) out.push(`file ${f}`);
  if (sections.has('hash')) {
    out.push('section hash');
    for (const s of table) symRecord(s, mask, out);
  }
  if (sections.has('menu')) {
    out.push('section menu');
    const printed = new Set<Sym>();
    const inTable = new Set<Sym>(table);
    const walk = (m: Menu, depth: number): void => {
      out.push(`node ${depth} ${menuKind(tree, m)} ${m.sym ? symText(m.sym) : '-'} ${(m === tree.rootMenu && tree.version !== '6.1' ? '' : m.file) || '?'}:${m.lineno} flags 0x${m.flags.toString(16)}`);
      if (m.prompt) out.push(`  prompt ${m.prompt.type} ${quoteDump(m.prompt.text)} visible ${exprOrDash(m.prompt.visible.expr)}`);
      out.push(`  dep ${exprOrDash(m.dep)}`);
      if (m.visibility) out.push(`  visibility ${exprToString(m.visibility)}`);
      if (m.help !== null && m.help !== undefined) out.push(`  help ${quoteDump(m.help)}`);
      if (m.sym && inTable.has(m.sym) && !printed.has(m.sym)) {
        printed.add(m.sym);
        symRecord(m.sym, mask, out);
      }
      for (let c = m.list; c; c = c.next) walk(c, depth + 1);
    };
    walk(tree.rootMenu, 0);
    for (const s of table) if (!printed.has(s)) symRecord(s, mask, out);
  }
  if (opts.values || sections.has('values')) {
    const strVal = opts.values?.stringValue ?? ((s: Sym) => defaultStringValue(tree, s));
    const choiceVal = opts.values?.choiceValue ?? ((s: Sym) => firstYesMember(tree, s));
    out.push('section values');
    for (const s of table) {
      let line = `value ${symText(s)} ${typeName(s.type)} tri ${TRI[s.curr.tri % 3]} str ${quoteDump(strVal(s))} visible ${TRI[s.visible % 3]} flags ${flagsToString(s.flags, mask)}`;
      if (s.flags & 0x10000) {
        const d = s.def[0];
        line += ` user ${s.type === SymbolType.Bool || s.type === SymbolType.Tristate ? TRI[d.tri % 3] : quoteDump(d.val)}`;
      }
      if (isChoice(tree, s)) {
        const cv = choiceVal(s);
        line += ` choice ${cv ? symText(cv) : '-'}`;
      }
      out.push(line);
    }
  }
  out.push('end');
  return `${out.join('\n')}\n`;
}

/** One difference found by {@link diffDumps}. */
export interface DumpDiff {
  /** 1-based line numbers in A and B where the difference starts. */
  lineA: number;
  lineB: number;
  /** Lines of A and B from there (a few), for the report. */
  a: string[];
  b: string[];
}

/**
 * Line-by-line differences between two dumps (A = oracle, B = kbuildts), resynchronising at the
 * next `sym `/`node `/`section ` record header common to both, so one wrong expression does
 * not hide every later difference.
 * @param max stop after this many differences (default 20); @param context lines kept per side (default 4).
 */
export function diffDumps(a: string, b: string, max = 20, context = 4): DumpDiff[] {
  const la = a.split('\n');
  const lb = b.split('\n');
  const diffs: DumpDiff[] = [];
  const isHeader = (l: string): boolean => /^(sym|node|section|value|file|count) /.test(l) || l === 'end';
  let i = 0;
  let j = 0;
  while (i < la.length && j < lb.length && diffs.length < max) {
    if (la[i] === lb[j]) {
      i++;
      j++;
      continue;
    }
    diffs.push({ lineA: i + 1, lineB: j + 1, a: la.slice(i, i + context), b: lb.slice(j, j + context) });
    // Resynchronise: the next header line in A that also appears as the next matching header in B.
    let ni = i + 1;
    let found = false;
    for (; ni < la.length && !found; ni++) {
      if (!isHeader(la[ni])) continue;
      for (let nj = j + 1; nj < Math.min(lb.length, j + 5000); nj++) {
        if (lb[nj] === la[ni]) {
          i = ni;
          j = nj;
          found = true;
          break;
        }
      }
      if (ni - i > 5000) break;
    }
    if (!found) break;
  }
  if (diffs.length < max && (i < la.length) !== (j < lb.length)) {
    diffs.push({ lineA: i + 1, lineB: j + 1, a: la.slice(i, i + context), b: lb.slice(j, j + context) });
  }
  return diffs;
}
