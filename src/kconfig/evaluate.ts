/**
 * Symbol evaluation: a port of Linux 6.1 scripts/kconfig/symbol.c (sym_calc_visibility,
 * sym_calc_value with the SYMBOL_WRITE rules, 6.1 choices, sym_set_*_value, range checks,
 * sym_check_deps with the kernel's recursive-dependency messages).
 *
 * State: the C tool keeps its state in globals (modules_sym, modules_val, the symbol hash
 * table, conf_changed). Here that state lives in an {@link EvalContext} created for a tree by
 * {@link createContext} and made current with {@link useContext}; all functions act on the
 * current context. Evaluation is synchronous, so one context is current at a time.
 *
 * Linux 6.12 (tree.version '6.12', {@link EvalContext.v612}) follows 6.12's symbol.c: a choice
 * is a nameless bool symbol whose menu keeps its members in priority order
 * ({@link EvalContext.choiceList}; sym_calc_choice, choice_set_value), members are found through
 * sym_get_choice_menu(), int/hex without a default are 0/0x0, no SYMBOL_CHANGED /
 * SYMBOL_NEED_SET_CHOICE_VALUES, the 6.12 recursive-dependency messages.
 *
 * A 6.1 choice symbol stores its selected member in `curr.val` / `def[].val` in C (a `struct
 * symbol *` in a `void *`). Here those live in `sym.data` as a {@link ChoiceData}; use
 * {@link symGetChoiceValue} to read the current selection.
 */
import type { KconfigTree, Menu, Property, Sym, Tristate } from './model.js';
import {
  MENU_CHANGED, SymbolType, S_DEF_COUNT, S_DEF_USER, SYMBOL_CHANGED, SYMBOL_CHECK, SYMBOL_CHECKED, SYMBOL_CHOICE, SYMBOL_CHOICEVAL,
  SYMBOL_CONST, SYMBOL_DEF_USER, SYMBOL_NEED_SET_CHOICE_VALUES, SYMBOL_NO_WRITE, SYMBOL_OPTIONAL, SYMBOL_VALID,
  SYMBOL_WRITE, mod, no, yes,
} from './model.js';
import { exprAnd, exprCalcValue, exprGstrPrint, exprGstrPrintRevdep, exprOr, strtoll } from './expr.js';

/** The evaluator's state for one tree: what symbol.c and confdata.c keep in globals. */
export interface EvalContext {
  tree: KconfigTree;
  /** modules_sym (symbol `n` when no symbol has the `modules` attribute). */
  modulesSym: Sym;
  /** modules_val: the last computed value of modules_sym. */
  modulesVal: Tristate;
  /** sym_warnings: number of unmet-dependency warnings printed. */
  symWarnings: number;
  /** conf_changed of confdata.c. */
  confChanged: boolean;
  /** The symbols in `for_all_symbols` order: hash bucket ascending, newest first in a bucket. */
  hashOrder: Sym[];
  /** Where the tool's stdout and stderr text goes (default: collected in `out`/`err`). */
  stdout(s: string): void;
  stderr(s: string): void;
  /** Text collected by the default stdout/stderr sinks. */
  out: string[];
  err: string[];
  /** Environment (getenv) for KCONFIG_* variables. */
  env: Record<string, string | undefined>;
  /** conf_message() sink ("#\n# text\n#\n" on stdout in C); null when silent (`conf -s`). */
  message: ((s: string) => void) | null;
  /** The directory conf runs in (the object tree): relative file names resolve against it. */
  cwd: string;
  /** Files written or touched so far (absolute paths), in order. */
  written: string[];
  /** The tree follows Linux 6.12's scripts/kconfig (choices as menus with priority lists). */
  v612: boolean;
  /** 6.12: `menu->choice_members` of each choice menu, highest priority first. */
  choiceList: Map<Menu, Sym[]>;
  /** 6.12: `sym->choice_link` (the choice menu whose list holds the symbol). */
  choiceLink: Map<Sym, Menu>;
  /** 6.12: memo of sym_get_choice_menu() once the menu tree is final (null until then). */
  choiceMenuMemo: Map<Sym, Menu | null> | null;
}

/** Choice bookkeeping of a 6.1 choice symbol (C: `curr.val`, `def[i].val` as symbol pointers). */
export interface ChoiceData {
  /** The selected member when the choice is y (C `sym->curr.val`). */
  cur: Sym | null;
  /** The member chosen by each value source (C `sym->def[i].val`). */
  def: (Sym | null)[];
}

let current: EvalContext | null = null;

/** The current evaluation context. @throws Error when no tree has been finalised. */
export function ctx(): EvalContext {
  if (!current) throw new Error('kconfig: no tree is being evaluated (call finalizeTree first)');
  return current;
}

/** Make `c` the current context (returns the previous one). */
export function useContext(c: EvalContext | null): EvalContext | null {
  const prev = current;
  current = c;
  return prev;
}

/**
 * strhash() of symbol.c: FNV-1a over the name's bytes as (signed) C chars. The bytes are the
 * name's latin1 encoding, the low byte of each UTF-16 unit (what Buffer.from(name, 'latin1')
 * holds), read here without making the buffer.
 */
export function strhash(name: string): number {
  // 32-bit arithmetic throughout: ^ and Math.imul read their operands as int32, which keeps
  // the low 32 bits that C's unsigned arithmetic computes; the result is read back unsigned.
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) {
    const b = name.charCodeAt(i) & 0xff;
    hash = Math.imul(hash ^ (b >= 0x80 ? b - 256 : b), 0x01000193);
  }
  return hash >>> 0;
}

/** SYMBOL_HASHSIZE of the version's expr.h. */
export function symbolHashSize(version: string): number {
  return version === '6.1' ? 9973 : 16384;
}

/**
 * Create the evaluation context of a parsed tree: modules_sym, the symbol table order, and the
 * constant symbols' fixed values (symbol_yes/mod/no/empty of symbol.c).
 * @param saved the data fields of a context this tree already had (the front-end snapshot,
 *   frontend-cache.ts): assigned over the defaults, and the tree is taken as already prepared
 *   (constants fixed, value slots made, hash order computed)
 */
export function createContext(tree: KconfigTree, env: Record<string, string | undefined> = process.env, saved?: Partial<EvalContext>): EvalContext {
  const out: string[] = [];
  const err: string[] = [];
  const base: EvalContext = {
    tree,
    modulesSym: tree.modulesSym ?? tree.symbolNo,
    modulesVal: no,
    symWarnings: 0,
    confChanged: false,
    hashOrder: [],
    out,
    err,
    stdout: (s) => { out.push(s); },
    stderr: (s) => { err.push(s); },
    env,
    message: null,
    cwd: process.cwd(),
    written: [],
    v612: tree.version !== '6.1',
    choiceList: new Map(),
    choiceLink: new Map(),
    choiceMenuMemo: null,
  };
  if (saved) return Object.assign(base, saved);
  base.hashOrder = prepareSymbols(tree);
  return base;
}

/** Fix the constant symbols, give every other symbol its value slots, and return them in hash-table order. */
function prepareSymbols(tree: KconfigTree): Sym[] {
  const t = tree;
  const fixConst = (s: Sym, val: string, tri: Tristate, type: SymbolType, flags: number) => {
    s.curr = { val, tri };
    s.type = type;
    s.flags |= flags;
  };
  fixConst(t.symbolYes, 'y', yes, SymbolType.Tristate, SYMBOL_CONST | SYMBOL_VALID);
  fixConst(t.symbolMod, 'm', mod, SymbolType.Tristate, SYMBOL_CONST | SYMBOL_VALID);
  fixConst(t.symbolNo, 'n', no, SymbolType.Tristate, SYMBOL_CONST | SYMBOL_VALID);
  fixConst(t.symbolEmpty, '', no, SymbolType.Unknown, SYMBOL_VALID);
  const size = symbolHashSize(tree.version);
  // symbol_hash[] of symbol.c: sym_lookup() puts each new symbol at the head of its bucket's
  // list, so the table's order is bucket by bucket, the newest symbol first. The same lists here:
  // `head` per bucket and `next` per symbol (indices into tree.symbols, -1 ends a list).
  const syms = tree.symbols;
  const head = new Int32Array(size).fill(-1);
  const next = new Int32Array(syms.length);
  for (let i = 0; i < syms.length; i++) {
    const s = syms[i];
    if (s === t.symbolYes || s === t.symbolMod || s === t.symbolNo || s === t.symbolEmpty) continue;
    while (s.def.length < S_DEF_COUNT) s.def.push({ val: null, tri: no });
    if (!s.curr) s.curr = { val: null, tri: no };
    const b = hashBucket(s, size);
    next[i] = head[b];
    head[b] = i;
  }
  const order: Sym[] = [];
  for (let b = 0; b < size; b++) for (let i = head[b]; i >= 0; i = next[i]) order.push(syms[i]);
  return order;
}

/** The bucket of a symbol in symbol.c's hash table of `size` buckets (a nameless symbol: 0). */
function hashBucket(s: Sym, size: number): number {
  return s.name === null ? 0 : strhash(s.name) % size;
}

/**
 * Some symbols of the context in `for_all_symbols` order (the order of {@link EvalContext.hashOrder},
 * which prepareSymbols() made from tree.symbols: bucket ascending, then the newest first), without
 * visiting the others.
 * @param syms the symbols, in creation order (as {@link symbolsAnyOrder} gives them; none of the
 *   four constants)
 */
export function inHashOrder(c: EvalContext, syms: readonly Sym[]): Sym[] {
  const size = symbolHashSize(c.tree.version);
  const keyed = syms.map((s, i) => ({ b: hashBucket(s, size), i }));
  keyed.sort((x, y) => x.b - y.b || y.i - x.i);
  return keyed.map((k) => syms[k.i]);
}

/** The choice bookkeeping of a choice symbol (created on first use). */
export function choiceData(sym: Sym): ChoiceData {
  let d = sym.data as ChoiceData | undefined;
  if (!d || !('cur' in d)) {
    d = { cur: null, def: new Array<Sym | null>(S_DEF_COUNT).fill(null) };
    sym.data = d;
  }
  return d;
}

/** sym_is_choice(): SYMBOL_CHOICE in 6.1; a symbol without a name in 6.12. */
export const symIsChoice = (s: Sym): boolean =>
  (s.flags & SYMBOL_CHOICE) !== 0 || (s.name === null && current !== null && current.v612);
/** sym_is_choice_value(): SYMBOL_CHOICEVAL in 6.1; on a choice's member list in 6.12. */
export const symIsChoiceValue = (s: Sym): boolean =>
  current !== null && current.v612 ? current.choiceLink.has(s) : (s.flags & SYMBOL_CHOICEVAL) !== 0;
/** sym_is_optional(). */
export const symIsOptional = (s: Sym): boolean => (s.flags & SYMBOL_OPTIONAL) !== 0;
/** sym_has_value(): the symbol has a user value (SYMBOL_DEF_USER). */
export const symHasValue = (s: Sym): boolean => (s.flags & SYMBOL_DEF_USER) !== 0;
/** sym_get_tristate_value(). */
export const symGetTristateValue = (s: Sym): Tristate => s.curr.tri;
/** sym_get_choice_value(): the selected member of a choice (null unless the choice is y). */
export const symGetChoiceValue = (s: Sym): Sym | null => choiceData(s).cur;

/** sym_get_type(): the effective type (tristate reads as bool without modules or in a y choice). */
export function symGetType(sym: Sym): SymbolType {
  const type = sym.type;
  if (type !== SymbolType.Tristate) return type;
  const c = ctx();
  if (c.v612) return c.modulesVal === no ? SymbolType.Bool : type;
  if ((sym.flags & SYMBOL_CHOICEVAL) !== 0 && sym.visible === yes) return SymbolType.Bool;
  return c.modulesVal === no ? SymbolType.Bool : type;
}

/** sym_type_name(). */
export function symTypeName(type: SymbolType): string {
  switch (type) {
    case SymbolType.Bool: return 'bool';
    case SymbolType.Tristate: return 'tristate';
    case SymbolType.Int: return 'integer';
    case SymbolType.Hex: return 'hex';
    case SymbolType.String: return 'string';
    case SymbolType.Unknown: return 'unknown';
  }
  return '???';
}

/** prop_get_symbol(): the symbol of an E_SYMBOL property expression (or the head of an E_LIST). */
export function propGetSymbol(prop: Property): Sym | null {
  const e = prop.expr;
  if (e && (e.type === 'symbol' || e.type === 'list')) return e.sym;
  return null;
}

/** sym_get_choice_prop(): the first P_CHOICE property of a symbol. */
export function symGetChoiceProp(sym: Sym): Property | null {
  for (const p of sym.props) if (p.type === 'choice') return p;
  return null;
}

/** The choice symbol a choice value belongs to. */
export function choiceOf(sym: Sym): Sym {
  return propGetSymbol(symGetChoiceProp(sym)!)!;
}

/** The members of a choice, in the order of its P_CHOICE E_LIST. */
export function choiceMembers(choice: Sym): Sym[] {
  const prop = symGetChoiceProp(choice);
  const r: Sym[] = [];
  for (let e = prop?.expr ?? null; e && e.type === 'list'; e = e.next) r.push(e.sym);
  return r;
}

function symGetDefaultProp(sym: Sym): Property | null {
  const props = sym.props;
  for (let i = 0; i < props.length; i++) {
    const prop = props[i];
    if (prop.type !== 'default') continue;
    const vis = prop.visible;
    vis.tri = exprCalcValue(vis.expr);
    if (vis.tri !== no) return prop;
  }
  return null;
}

/** sym_get_range_prop(): the first range whose condition is not n. */
export function symGetRangeProp(sym: Sym): Property | null {
  for (const prop of sym.props) {
    if (prop.type !== 'range') continue;
    prop.visible.tri = exprCalcValue(prop.visible.expr);
    if (prop.visible.tri !== no) return prop;
  }
  return null;
}

function symGetRangeVal(sym: Sym, base: number): bigint {
  symCalcValue(sym);
  if (sym.type === SymbolType.Int) base = 10;
  else if (sym.type === SymbolType.Hex) base = 16;
  return strtoll(sym.curr.val ?? '', base).value;
}

function symValidateRange(sym: Sym): void {
  let base: number;
  if (sym.type === SymbolType.Int) base = 10;
  else if (sym.type === SymbolType.Hex) base = 16;
  else return;
  const prop = symGetRangeProp(sym);
  if (!prop || prop.expr?.type !== 'range') return;
  const val = strtoll(sym.curr.val ?? '', base).value;
  let rangeSym = prop.expr.left;
  let val2 = symGetRangeVal(rangeSym, base);
  if (val >= val2) {
    rangeSym = prop.expr.right;
    val2 = symGetRangeVal(rangeSym, base);
    if (val <= val2) return;
  }
  sym.curr.val = rangeSym.curr.val;
}

/** sym_set_changed(): SYMBOL_CHANGED on the symbol, MENU_CHANGED on its properties' menus. */
export function symSetChanged(sym: Sym): void {
  if (current!.v612) {
    const menus = sym.menus;
    for (let i = 0; i < menus.length; i++) menus[i].flags |= MENU_CHANGED;
    return;
  }
  sym.flags |= SYMBOL_CHANGED;
  const props = sym.props;
  for (let i = 0; i < props.length; i++) props[i].menu.flags |= MENU_CHANGED;
}

/** {@link symbolsAnyOrder} per context (symbols are only made while parsing, before the context). */
const anyOrderMemo = new WeakMap<EvalContext, Sym[]>();

/**
 * The symbols `for_all_symbols` visits (every symbol but the four constants symbol_yes/mod/no/
 * empty, which symbol.c keeps out of its hash table), in the tree's creation order instead of
 * hash order. For passes whose effect does not depend on the order (setting or clearing flags,
 * resetting values): they then touch the objects about in the order they were made, which is
 * several times faster on a kernel tree than visiting them at random, as hash order does.
 */
export function symbolsAnyOrder(c: EvalContext = ctx()): Sym[] {
  let a = anyOrderMemo.get(c);
  if (!a) {
    const t = c.tree;
    const all = t.symbols;
    a = [];
    for (let i = 0; i < all.length; i++) {
      const s = all[i];
      if (s !== t.symbolYes && s !== t.symbolMod && s !== t.symbolNo && s !== t.symbolEmpty) a.push(s);
    }
    anyOrderMemo.set(c, a);
  }
  return a;
}

/** sym_set_all_changed(): {@link symSetChanged} on every symbol (one flat loop, no calls; order-free). */
function symSetAllChanged(): void {
  const c = current!;
  const syms = symbolsAnyOrder(c);
  if (c.v612) {
    for (let i = 0; i < syms.length; i++) {
      const menus = syms[i].menus;
      for (let j = 0; j < menus.length; j++) menus[j].flags |= MENU_CHANGED;
    }
    return;
  }
  for (let i = 0; i < syms.length; i++) {
    const s = syms[i];
    s.flags |= SYMBOL_CHANGED;
    const props = s.props;
    for (let j = 0; j < props.length; j++) props[j].menu.flags |= MENU_CHANGED;
  }
}

/**
 * sym_calc_visibility(): prompt visibility, dir_dep/rev_dep/implied tristates. Written without
 * helper calls (the flag tests of sym_is_choice_value()/sym_get_type() are inline) because it
 * runs once per symbol evaluation. C calls sym_set_changed() at each of the four that changes;
 * here it is called once, at the end (it only sets flags, which nothing reads meanwhile).
 * @returns whether sym_set_changed() was called (so that sym_calc_value() need not repeat it)
 */
export function symCalcVisibility(sym: Sym): boolean {
  const c = ctx();
  const v612 = c.v612;
  const isChoiceValue = v612 ? c.choiceLink.has(sym) : (sym.flags & SYMBOL_CHOICEVAL) !== 0;
  let tri: Tristate = no;
  let choiceSym: Sym | null = null;
  if (!v612 && isChoiceValue) choiceSym = choiceOf(sym);
  const props = sym.props;
  for (let i = 0; i < props.length; i++) {
    const prop = props[i];
    if (prop.text === null) continue;
    const vis = prop.visible;
    vis.tri = exprCalcValue(vis.expr);
    if (choiceSym && sym.type === SymbolType.Tristate && vis.tri === mod && choiceSym.curr.tri === yes) vis.tri = no;
    if (vis.tri > tri) tri = vis.tri;
  }
  if (tri === mod && (sym.type !== SymbolType.Tristate || c.modulesVal === no)) tri = yes;
  let changed = false;
  if (sym.visible !== tri) {
    sym.visible = tri;
    changed = true;
  }
  if (isChoiceValue) {
    if (changed) symSetChanged(sym);
    return changed;
  }
  // Below, the symbol is no choice value: sym_get_type() is bool for bool, and for tristate
  // when modules are off (read after each expression: computing one may change modules_val).
  const type = sym.type;
  const dep = sym.dir_dep;
  tri = dep.expr ? exprCalcValue(dep.expr) : yes;
  if (tri === mod && (type === SymbolType.Bool || (type === SymbolType.Tristate && c.modulesVal === no))) tri = yes;
  if (dep.tri !== tri) {
    dep.tri = tri;
    changed = true;
  }
  const rev = sym.rev_dep;
  tri = rev.expr ? exprCalcValue(rev.expr) : no;
  if (tri === mod && (type === SymbolType.Bool || (type === SymbolType.Tristate && c.modulesVal === no))) tri = yes;
  if (rev.tri !== tri) {
    rev.tri = tri;
    changed = true;
  }
  const imp = sym.implied;
  tri = imp.expr ? exprCalcValue(imp.expr) : no;
  if (tri === mod && (type === SymbolType.Bool || (type === SymbolType.Tristate && c.modulesVal === no))) tri = yes;
  if (imp.tri !== tri) {
    imp.tri = tri;
    changed = true;
  }
  if (changed) symSetChanged(sym);
  return changed;
}

/**
 * sym_choice_default(): the first visible `default` of a choice whose target is visible, else
 * the first visible member, else null.
 */
export function symChoiceDefault(sym: Sym): Sym | null {
  for (const prop of sym.props) {
    if (prop.type !== 'default') continue;
    prop.visible.tri = exprCalcValue(prop.visible.expr);
    if (prop.visible.tri === no) continue;
    const d = propGetSymbol(prop);
    if (d && d.visible !== no) return d;
  }
  for (const m of choiceMembers(sym)) if (m.visible !== no) return m;
  return null;
}

function symCalcChoice(sym: Sym): Sym | null {
  let flags = sym.flags;
  for (const m of choiceMembers(sym)) {
    symCalcVisibility(m);
    if (m.visible !== no) flags &= m.flags;
  }
  sym.flags &= flags | ~SYMBOL_DEF_USER;
  let d = choiceData(sym).def[S_DEF_USER];
  if (d && d.visible !== no) return d;
  d = symChoiceDefault(sym);
  if (d === null) sym.curr.tri = no;
  return d;
}

function symWarnUnmetDep(sym: Sym): void {
  let gs = `\nWARNING: unmet direct dependencies detected for ${sym.name}\n`;
  gs += `  Depends on [${sym.dir_dep.tri === mod ? 'm' : 'n'}]: `;
  gs += exprGstrPrint(sym.dir_dep.expr);
  gs += '\n';
  if (sym.rev_dep.expr) {
    gs += exprGstrPrintRevdep(sym.rev_dep.expr, yes, '  Selected by [y]:\n');
    gs += exprGstrPrintRevdep(sym.rev_dep.expr, mod, '  Selected by [m]:\n');
  }
  ctx().stderr(gs);
  ctx().symWarnings++;
}

/** sym_dep_errors(): true when unmet-dependency warnings were printed and KCONFIG_WERROR is set. */
export function symDepErrors(): boolean {
  const c = ctx();
  return c.symWarnings > 0 && c.env.KCONFIG_WERROR !== undefined;
}

/**
 * sym_calc_value() for a bool/tristate symbol that is not a choice member (the same code in Linux
 * 6.1 and 6.12 symbol.c): the user value limited by the visibility; else, for a symbol that is
 * not a choice, the first visible default and the weak reverse dependencies (imply) limited by the
 * direct dependencies, each marking the symbol to be written (SYMBOL_WRITE); then raised to the
 * reverse dependencies (select), warning when they exceed the direct dependencies.
 * @returns the new tristate value (before the bool m → y rounding, which the caller does)
 */
function calcTristateValue(sym: Sym): Tristate {
  let newTri: Tristate = no;
  if (sym.visible !== no && symHasValue(sym)) {
    newTri = exprAnd(sym.def[S_DEF_USER].tri, sym.visible);
  } else {
    if (sym.rev_dep.tri !== no) sym.flags |= SYMBOL_WRITE;
    if (!symIsChoice(sym)) {
      const prop = symGetDefaultProp(sym);
      if (prop) {
        newTri = exprAnd(exprCalcValue(prop.expr), prop.visible.tri);
        if (newTri !== no) sym.flags |= SYMBOL_WRITE;
      }
      if (sym.implied.tri !== no) {
        sym.flags |= SYMBOL_WRITE;
        newTri = exprOr(newTri, sym.implied.tri);
        newTri = exprAnd(newTri, sym.dir_dep.tri);
      }
    }
  }
  if (sym.dir_dep.tri < sym.rev_dep.tri) symWarnUnmetDep(sym);
  return exprOr(newTri, sym.rev_dep.tri);
}

/**
 * sym_calc_value() for an int/hex/string symbol (the same code in Linux 6.1 and 6.12 symbol.c):
 * the user value when the symbol is visible, else the value of the first visible default's
 * symbol (marking the symbol to be written).
 * @returns the new string value, or undefined to keep the type's initial value
 */
function calcStringValue(sym: Sym): string | null | undefined {
  if (sym.visible !== no && symHasValue(sym)) return sym.def[S_DEF_USER].val;
  const prop = symGetDefaultProp(sym);
  const ds = prop ? propGetSymbol(prop) : null;
  if (!ds) return undefined;
  sym.flags |= SYMBOL_WRITE;
  symCalcValue(ds);
  return ds.curr.val;
}

/**
 * How many times (6.1) a computed choice gave a member SYMBOL_WRITE it did not have, or
 * set_all_choice_values() ran (changing members' user values, invalidating the choice): the only
 * ways sym_calc_value() changes what another symbol it does not compute has that the writers
 * read (SYMBOL_WRITE, the value, SYMBOL_VALID). Its other side effects on other symbols are
 * SYMBOL_CHANGED / MENU_CHANGED flags and modules_val.
 */
let choiceEvents = 0;

/**
 * A count that grows whenever a 6.1 sym_calc_value() changes the SYMBOL_WRITE flag, user value
 * or validity of a symbol other than the ones it computes (a member given SYMBOL_WRITE by its
 * choice, or set_all_choice_values()). confdata.ts uses it to know that computing values during
 * a pass left the symbols met before as they were.
 */
export function symChoiceEvents(): number {
  return choiceEvents;
}

/**
 * sym_calc_value(): compute `sym.curr` (and SYMBOL_WRITE) from visibility, the user value,
 * defaults, selects and implies, exactly as symbol.c of 6.1 does. Memoised by SYMBOL_VALID.
 * `sym.curr` is updated in place (C assigns the struct; no symbol shares its `curr` object).
 * Hot callers test SYMBOL_VALID themselves before calling (as exprCalcValue does).
 */
export function symCalcValue(sym: Sym | null): void {
  if (!sym || sym.flags & SYMBOL_VALID) return;
  const c = ctx();
  if (c.v612) {
    symCalcValue612(sym);
    return;
  }
  // 6.1: sym_is_choice_value() / sym_is_choice() are the SYMBOL_CHOICEVAL / SYMBOL_CHOICE flags.
  const isChoiceValue = (sym.flags & SYMBOL_CHOICEVAL) !== 0;
  if (isChoiceValue && sym.flags & SYMBOL_NEED_SET_CHOICE_VALUES) {
    sym.flags &= ~SYMBOL_NEED_SET_CHOICE_VALUES;
    symCalcValue(choiceOf(sym));
  }
  sym.flags |= SYMBOL_VALID;
  const isChoice = (sym.flags & SYMBOL_CHOICE) !== 0;
  const cd = isChoice ? choiceData(sym) : null;
  const curr = sym.curr;
  const oldVal = curr.val;
  const oldTri = curr.tri;
  const oldCur = cd ? cd.cur : null;
  let newVal: string | null;
  let newTri: Tristate = no;
  const type = sym.type;
  switch (type) {
    case SymbolType.Int:
    case SymbolType.Hex:
    case SymbolType.String:
      newVal = '';
      break;
    case SymbolType.Bool:
    case SymbolType.Tristate:
      newVal = 'n';
      break;
    default:
      curr.val = sym.name;
      curr.tri = no;
      return;
  }
  sym.flags &= ~SYMBOL_WRITE;
  const marked = symCalcVisibility(sym);
  if (sym.visible !== no) sym.flags |= SYMBOL_WRITE;
  // set default if recursively called
  curr.val = newVal;
  curr.tri = no;
  if (cd) cd.cur = null;

  if (type === SymbolType.Bool || type === SymbolType.Tristate) {
    if (isChoiceValue && sym.visible === yes) {
      newTri = choiceData(choiceOf(sym)).cur === sym ? yes : no;
    } else {
      newTri = calcTristateValue(sym);
    }
    if (newTri === mod && symGetType(sym) === SymbolType.Bool) newTri = yes;
  } else {
    const v = calcStringValue(sym);
    if (v !== undefined) newVal = v;
  }

  curr.val = newVal;
  curr.tri = newTri;
  if (cd) cd.cur = null;
  if (isChoice && newTri === yes) cd!.cur = symCalcChoice(sym);
  if (type === SymbolType.Int || type === SymbolType.Hex) symValidateRange(sym);

  if (oldVal !== curr.val || oldTri !== curr.tri || (cd && oldCur !== cd.cur)) {
    if (!marked) symSetChanged(sym); // (else done: sym_set_changed() only sets flags)
    if (c.modulesSym === sym) {
      symSetAllChanged();
      c.modulesVal = curr.tri;
    }
  }

  if (isChoice) {
    for (const m of choiceMembers(sym)) {
      if (sym.flags & SYMBOL_WRITE && m.visible !== no && !(m.flags & SYMBOL_WRITE)) {
        m.flags |= SYMBOL_WRITE;
        choiceEvents++;
      }
      if (sym.flags & SYMBOL_CHANGED) symSetChanged(m);
    }
  }
  if (sym.flags & SYMBOL_NO_WRITE) sym.flags &= ~SYMBOL_WRITE;
  if (sym.flags & SYMBOL_NEED_SET_CHOICE_VALUES) setAllChoiceValues(sym);
}

/**
 * set_all_choice_values() of confdata.c: members without a user value get user value n; the
 * choice gets SYMBOL_DEF_USER and is recomputed on next use.
 */
export function setAllChoiceValues(csym: Sym): void {
  choiceEvents++;
  for (const m of choiceMembers(csym)) if (!symHasValue(m)) m.def[S_DEF_USER].tri = no;
  csym.flags |= SYMBOL_DEF_USER;
  csym.flags &= ~(SYMBOL_VALID | SYMBOL_NEED_SET_CHOICE_VALUES);
}

/** sym_clear_all_valid(): invalidate every value, mark the configuration changed, recompute modules. */
export function symClearAllValid(): void {
  const c = ctx();
  symClearAllFlags(SYMBOL_VALID);
  c.confChanged = true;
  symCalcValue(c.modulesSym);
}

/**
 * Clear the flags `mask` on every symbol `for_all_symbols` visits (not the four constants), as C's
 * `for_all_symbols(i, sym) sym->flags &= ~mask` loops do; the order does not matter, so the
 * symbols are visited in creation order ({@link symbolsAnyOrder}).
 */
export function symClearAllFlags(mask: number): void {
  const syms = symbolsAnyOrder();
  const keep = ~mask;
  for (let i = 0; i < syms.length; i++) syms[i].flags &= keep;
}

/** sym_tristate_within_range(): whether the user may set `val` (respecting selects and visibility). */
export function symTristateWithinRange(sym: Sym, val: Tristate): boolean {
  if (ctx().v612) {
    const t = symGetType(sym);
    if (sym.visible === no || (t !== SymbolType.Bool && t !== SymbolType.Tristate)) return false;
    if (t === SymbolType.Bool && val === mod) return false;
    if (sym.visible <= sym.rev_dep.tri) return false;
    return val >= sym.rev_dep.tri && val <= sym.visible;
  }
  const type = symGetType(sym);
  if (sym.visible === no) return false;
  if (type !== SymbolType.Bool && type !== SymbolType.Tristate) return false;
  if (type === SymbolType.Bool && val === mod) return false;
  if (sym.visible <= sym.rev_dep.tri) return false;
  if (symIsChoiceValue(sym) && sym.visible === yes) return val === yes;
  return val >= sym.rev_dep.tri && val <= sym.visible;
}

/** sym_set_tristate_value(): set the user value; false when out of range. */
export function symSetTristateValue(sym: Sym, val: Tristate): boolean {
  const oldval = sym.curr.tri;
  if (ctx().v612) {
    if (!symTristateWithinRange(sym, val)) return false;
    if (!(sym.flags & SYMBOL_DEF_USER) || sym.def[S_DEF_USER].tri !== val) {
      sym.def[S_DEF_USER].tri = val;
      sym.flags |= SYMBOL_DEF_USER;
      symSetChanged(sym);
    }
    if (oldval !== val) symClearAllValid();
    return true;
  }
  if (oldval !== val && !symTristateWithinRange(sym, val)) return false;
  if (!(sym.flags & SYMBOL_DEF_USER)) {
    sym.flags |= SYMBOL_DEF_USER;
    symSetChanged(sym);
  }
  if (symIsChoiceValue(sym) && val === yes) {
    const cs = choiceOf(sym);
    choiceData(cs).def[S_DEF_USER] = sym;
    cs.flags |= SYMBOL_DEF_USER;
    for (const m of choiceMembers(cs)) if (m.visible !== no) m.flags |= SYMBOL_DEF_USER;
  }
  sym.def[S_DEF_USER].tri = val;
  if (oldval !== val) symClearAllValid();
  return true;
}

/** sym_toggle_tristate_value(): n -> m -> y -> n, skipping values out of range. */
export function symToggleTristateValue(sym: Sym): Tristate {
  if (ctx().v612) {
    const choice = symGetChoiceMenu(sym);
    if (choice) {
      choiceSetValue(choice, sym);
      return yes;
    }
  }
  const oldval = sym.curr.tri;
  let newval = oldval;
  do {
    newval = newval === no ? mod : newval === mod ? yes : no;
    if (symSetTristateValue(sym, newval)) break;
  } while (oldval !== newval);
  return newval;
}

const isDigit = (ch: string | undefined) => !!ch && ch >= '0' && ch <= '9';
const isXdigit = (ch: string | undefined) => !!ch && /^[0-9a-fA-F]$/.test(ch);

/** sym_string_valid(): whether `str` is a syntactically valid value for the symbol's type. */
export function symStringValid(sym: Sym, str: string): boolean {
  switch (sym.type) {
    case SymbolType.String:
      return true;
    case SymbolType.Int: {
      let i = 0;
      let ch = str[i++];
      if (ch === '-') ch = str[i++];
      if (!isDigit(ch)) return false;
      if (ch === '0' && i < str.length) return false;
      for (; i < str.length; i++) if (!isDigit(str[i])) return false;
      return true;
    }
    case SymbolType.Hex: {
      let i = 0;
      if (str[0] === '0' && (str[1] === 'x' || str[1] === 'X')) i = 2;
      if (!isXdigit(str[i])) return false;
      for (i++; i < str.length; i++) if (!isXdigit(str[i])) return false;
      return true;
    }
    case SymbolType.Bool:
    case SymbolType.Tristate:
      return 'yYmMnN'.includes(str[0] ?? '\0') && str.length > 0;
    default:
      return false;
  }
}

/** sym_string_within_range(): valid and inside the active `range`. */
export function symStringWithinRange(sym: Sym, str: string): boolean {
  switch (sym.type) {
    case SymbolType.String:
      return symStringValid(sym, str);
    case SymbolType.Int:
    case SymbolType.Hex: {
      if (!symStringValid(sym, str)) return false;
      const prop = symGetRangeProp(sym);
      if (!prop || prop.expr?.type !== 'range') return true;
      const base = sym.type === SymbolType.Int ? 10 : 16;
      const val = strtoll(str, base).value;
      return val >= symGetRangeVal(prop.expr.left, base) && val <= symGetRangeVal(prop.expr.right, base);
    }
    case SymbolType.Bool:
    case SymbolType.Tristate:
      switch (str[0]) {
        case 'y': case 'Y': return symTristateWithinRange(sym, yes);
        case 'm': case 'M': return symTristateWithinRange(sym, mod);
        case 'n': case 'N': return symTristateWithinRange(sym, no);
      }
      return false;
    default:
      return false;
  }
}

/** sym_set_string_value(): set a user value from text (hex gets a `0x` prefix); false if invalid. */
export function symSetStringValue(sym: Sym, newval: string): boolean {
  if (sym.type === SymbolType.Bool || sym.type === SymbolType.Tristate) {
    switch (newval[0]) {
      case 'y': case 'Y': return symSetTristateValue(sym, yes);
      case 'm': case 'M': return symSetTristateValue(sym, mod);
      case 'n': case 'N': return symSetTristateValue(sym, no);
    }
    return false;
  }
  if (!symStringWithinRange(sym, newval)) return false;
  if (!(sym.flags & SYMBOL_DEF_USER)) {
    sym.flags |= SYMBOL_DEF_USER;
    symSetChanged(sym);
  }
  const oldval = sym.def[S_DEF_USER].val;
  let val: string;
  if (sym.type === SymbolType.Hex && (newval[0] !== '0' || (newval[1] !== 'x' && newval[1] !== 'X'))) val = `0x${newval}`;
  else if (oldval === null || oldval !== newval) val = newval;
  else return true;
  sym.def[S_DEF_USER].val = val;
  symClearAllValid();
  return true;
}

/** sym_get_string_default(): the value the symbol would have without a user value (savedefconfig). */
export function symGetStringDefault(sym: Sym): string {
  const c = ctx();
  symCalcVisibility(sym);
  symCalcValue(c.modulesSym);
  let val: Tristate = no;
  let str = '';
  const prop = symGetDefaultProp(sym);
  if (prop) {
    if (sym.type === SymbolType.Bool || sym.type === SymbolType.Tristate) {
      val = exprAnd(exprCalcValue(prop.expr), prop.visible.tri);
    } else {
      const ds = propGetSymbol(prop);
      if (ds) {
        symCalcValue(ds);
        str = ds.curr.val ?? '';
      }
    }
  }
  val = exprOr(val, sym.rev_dep.tri);
  if (val === mod && !symIsChoiceValue(sym) && c.modulesSym.curr.tri === no) val = yes;
  if (sym.type === SymbolType.Bool && val === mod) val = yes;
  if (val < sym.implied.tri) val = sym.implied.tri;
  switch (sym.type) {
    case SymbolType.Bool:
    case SymbolType.Tristate:
      return val === no ? 'n' : val === mod ? 'm' : 'y';
    case SymbolType.Int:
      return str === '' && c.v612 ? '0' : str;
    case SymbolType.Hex:
      return str === '' && c.v612 ? '0x0' : str;
    case SymbolType.String:
      return str;
    default:
      return '';
  }
}

/** sym_get_string_value(): "n"/"m"/"y" for bool/tristate, else the current string value. */
export function symGetStringValue(sym: Sym): string {
  if (sym.type === SymbolType.Bool || sym.type === SymbolType.Tristate) {
    const v = sym.curr.tri;
    return v === no ? 'n' : v === mod ? 'm' : 'y';
  }
  return sym.curr.val ?? '';
}

/** sym_is_changeable(): visible above what selects force. */
export function symIsChangeable(sym: Sym): boolean {
  if (ctx().v612 && symIsChoice(sym)) return false;
  return sym.visible > sym.rev_dep.tri;
}

/** sym_find(): a non-constant symbol by name (y/m/n give the constants). */
export function symFind(name: string): Sym | null {
  const t = ctx().tree;
  if (name === 'y') return t.symbolYes;
  if (name === 'm') return t.symbolMod;
  if (name === 'n') return t.symbolNo;
  const s = t.byName.get(name);
  return s && !(s.flags & SYMBOL_CONST) ? s : null;
}

// ---------------------------------------------------------------------------------------------
// Recursive dependency check (sym_check_deps)

type StackExpr = 'dir_dep' | 'rev_dep' | 'implied' | 'prop_expr' | null;
interface DepStack {
  sym: Sym;
  prop: Property | null;
  expr: StackExpr;
}
let depStack: DepStack[] = [];

function depStackInsert(sym: Sym): DepStack {
  const s: DepStack = { sym, prop: null, expr: null };
  depStack.push(s);
  return s;
}
function depStackRemove(): void {
  depStack.pop();
}

function propTypeName(t: Property['type']): string {
  return t === 'unknown' ? 'unknown' : t;
}

function symCheckPrintRecursive(lastSymIn: Sym): void {
  const c = ctx();
  if (c.v612) {
    symCheckPrintRecursive612(lastSymIn);
    return;
  }
  let lastSym = lastSymIn;
  let pushedCv = false;
  if (symIsChoiceValue(lastSym)) {
    depStackInsert(lastSym);
    pushedCv = true;
    lastSym = choiceOf(lastSym);
  }
  let start = -1;
  for (let i = depStack.length - 1; i >= 0; i--) if (depStack[i].sym === lastSym) { start = i; break; }
  if (start < 0) {
    c.stderr('unexpected recursive dependency error\n');
    if (pushedCv) depStackRemove();
    return;
  }
  let menu = null as null | import('./model.js').Menu;
  const nm = (s: Sym) => s.name ?? '<choice>';
  for (let i = start; i < depStack.length; i++) {
    const st = depStack[i];
    const sym = st.sym;
    const nextSym = i + 1 < depStack.length ? depStack[i + 1].sym : lastSym;
    let prop: Property | null = st.prop ?? sym.props[0] ?? null;
    if (symIsChoice(sym) || symIsChoiceValue(sym)) {
      for (const p of sym.props) {
        prop = p;
        menu = p.menu;
        if (p.menu) break;
      }
    }
    const loc = (p: Property | null) => (p ? `${p.filename}:${p.lineno}` : '?:0');
    if (st.sym === lastSym) c.stderr(`${loc(prop)}:error: recursive dependency detected!\n`);
    if (symIsChoice(sym)) {
      c.stderr(`${menu!.file}:${menu!.lineno}:\tchoice ${nm(sym)} contains symbol ${nm(nextSym)}\n`);
    } else if (symIsChoiceValue(sym)) {
      c.stderr(`${menu!.file}:${menu!.lineno}:\tsymbol ${nm(sym)} is part of choice ${nm(nextSym)}\n`);
    } else if (st.expr === 'dir_dep') {
      c.stderr(`${loc(prop)}:\tsymbol ${nm(sym)} depends on ${nm(nextSym)}\n`);
    } else if (st.expr === 'rev_dep') {
      c.stderr(`${loc(prop)}:\tsymbol ${nm(sym)} is selected by ${nm(nextSym)}\n`);
    } else if (st.expr === 'implied') {
      c.stderr(`${loc(prop)}:\tsymbol ${nm(sym)} is implied by ${nm(nextSym)}\n`);
    } else if (st.expr) {
      c.stderr(`${loc(prop)}:\tsymbol ${nm(sym)} ${propTypeName(prop!.type)} value contains ${nm(nextSym)}\n`);
    } else {
      c.stderr(`${loc(prop)}:\tsymbol ${nm(sym)} ${propTypeName(prop!.type)} is visible depending on ${nm(nextSym)}\n`);
    }
  }
  c.stderr('For a resolution refer to Documentation/kbuild/kconfig-language.rst\n' +
    'subsection "Kconfig recursive dependency limitations"\n\n');
  if (pushedCv) depStackRemove();
}

function symCheckExprDeps(e: import('./model.js').Expr | null): Sym | null {
  if (!e) return null;
  switch (e.type) {
    case 'or':
    case 'and':
      return symCheckExprDeps(e.left) ?? symCheckExprDeps(e.right);
    case 'not':
      return symCheckExprDeps(e.expr);
    case 'symbol':
      return symCheckLeaf(e.sym);
    case 'list':
    case 'range':
      ctx().stderr(`Oops! How to check ${e.type === 'list' ? 10 : 12}?\n`);
      return null;
    default:
      return symCheckLeaf(e.left) ?? symCheckLeaf(e.right);
  }
}

/**
 * sym_check_deps() for a symbol met in an expression: the common answer (already checked, not
 * on the stack: null) without the call, since nearly every symbol of a dependency has been
 * checked before.
 */
function symCheckLeaf(sym: Sym): Sym | null {
  return (sym.flags & (SYMBOL_CHECK | SYMBOL_CHECKED)) === SYMBOL_CHECKED ? null : symCheckDeps(sym);
}

function symCheckSymDeps(sym: Sym): Sym | null {
  const stack = depStackInsert(sym);
  let sym2: Sym | null = null;
  out: {
    stack.expr = 'dir_dep';
    sym2 = symCheckExprDeps(sym.dir_dep.expr);
    if (sym2) break out;
    stack.expr = 'rev_dep';
    sym2 = symCheckExprDeps(sym.rev_dep.expr);
    if (sym2) break out;
    stack.expr = 'implied';
    sym2 = symCheckExprDeps(sym.implied.expr);
    if (sym2) break out;
    stack.expr = null;
    for (const prop of sym.props) {
      if (prop.type === 'choice' || prop.type === 'select' || prop.type === 'imply') continue;
      stack.prop = prop;
      sym2 = symCheckExprDeps(prop.visible.expr);
      if (sym2) break;
      if (prop.type !== 'default' || symIsChoice(sym)) continue;
      stack.expr = 'prop_expr';
      sym2 = symCheckExprDeps(prop.expr);
      if (sym2) break;
      stack.expr = null;
    }
  }
  depStackRemove();
  return sym2;
}

function symCheckChoiceDeps612(choice: Sym): Sym | null {
  depStackInsert(choice);
  const choiceMenu = choice.menus[0];
  const subs = [...subEntries(choiceMenu)];
  for (const m of subs) if (m.sym) m.sym.flags |= SYMBOL_CHECK | SYMBOL_CHECKED;
  choice.flags |= SYMBOL_CHECK | SYMBOL_CHECKED;
  let sym2 = symCheckSymDeps(choice);
  choice.flags &= ~SYMBOL_CHECK;
  if (!sym2) {
    for (const m of subs) {
      if (!m.sym) continue;
      sym2 = symCheckSymDeps(m.sym);
      if (sym2) break;
    }
  }
  for (const m of subs) if (m.sym) m.sym.flags &= ~SYMBOL_CHECK;
  if (sym2 && symGetChoiceMenu(sym2) === choiceMenu) sym2 = choice;
  depStackRemove();
  return sym2;
}

/** sym_check_print_recursive() of 6.12 (new message format, choices by their menus). */
function symCheckPrintRecursive612(lastSymIn: Sym): void {
  const c = ctx();
  let lastSym = lastSymIn;
  let pushedCv = false;
  const choice = symGetChoiceMenu(lastSym);
  if (choice) {
    depStackInsert(lastSym);
    pushedCv = true;
    lastSym = choice.sym!;
  }
  let start = -1;
  for (let i = depStack.length - 1; i >= 0; i--) if (depStack[i].sym === lastSym) { start = i; break; }
  if (start < 0) {
    c.stderr('unexpected recursive dependency error\n');
    return;
  }
  const nm = (s: Sym) => s.name ?? '<choice>';
  for (let i = start; i < depStack.length; i++) {
    const st = depStack[i];
    const sym = st.sym;
    const nextSym = i + 1 < depStack.length ? depStack[i + 1].sym : lastSym;
    const type = st.prop ? st.prop.type : 'unknown';
    if (sym === lastSym) c.stderr('error: recursive dependency detected!\n');
    if (symIsChoice(nextSym)) {
      const cm = nextSym.menus[0];
      c.stderr(`\tsymbol ${nm(sym)} is part of choice block at ${cm.file}:${cm.lineno}\n`);
    } else if (st.expr === 'dir_dep') {
      c.stderr(`\tsymbol ${nm(sym)} depends on ${nextSym.name}\n`);
    } else if (st.expr === 'rev_dep') {
      c.stderr(`\tsymbol ${sym.name} is selected by ${nextSym.name}\n`);
    } else if (st.expr === 'implied') {
      c.stderr(`\tsymbol ${sym.name} is implied by ${nextSym.name}\n`);
    } else if (st.expr) {
      c.stderr(`\tsymbol ${nm(sym)} ${propTypeName(type)} value contains ${nextSym.name}\n`);
    } else {
      c.stderr(`\tsymbol ${nm(sym)} ${propTypeName(type)} is visible depending on ${nextSym.name}\n`);
    }
  }
  c.stderr('For a resolution refer to Documentation/kbuild/kconfig-language.rst\n' +
    'subsection "Kconfig recursive dependency limitations"\n\n');
  if (pushedCv) depStackRemove();
}

function symCheckChoiceDeps(choice: Sym): Sym | null {
  if (ctx().v612) return symCheckChoiceDeps612(choice);
  depStackInsert(choice);
  const members = choiceMembers(choice);
  for (const m of members) m.flags |= SYMBOL_CHECK | SYMBOL_CHECKED;
  choice.flags |= SYMBOL_CHECK | SYMBOL_CHECKED;
  let sym2 = symCheckSymDeps(choice);
  choice.flags &= ~SYMBOL_CHECK;
  if (!sym2) {
    for (const m of members) {
      sym2 = symCheckSymDeps(m);
      if (sym2) break;
    }
  }
  for (const m of members) m.flags &= ~SYMBOL_CHECK;
  if (sym2 && symIsChoiceValue(sym2) && choiceOf(sym2) === choice) sym2 = choice;
  depStackRemove();
  return sym2;
}

/**
 * sym_check_deps(): detect a recursive dependency through `sym`, printing the kernel's
 * "recursive dependency detected!" chain on stderr. Returns the symbol closing the cycle, or null.
 */
export function symCheckDeps(sym: Sym): Sym | null {
  if (sym.flags & SYMBOL_CHECK) {
    symCheckPrintRecursive(sym);
    return sym;
  }
  if (sym.flags & SYMBOL_CHECKED) return null;
  let sym2: Sym | null;
  if (ctx().v612) {
    const choice = symGetChoiceMenu(sym);
    if (choice) {
      depStackInsert(sym);
      sym2 = symCheckDeps(choice.sym!);
      depStackRemove();
      return sym2;
    }
  }
  if (!ctx().v612 && symIsChoiceValue(sym)) {
    depStackInsert(sym);
    sym2 = symCheckDeps(choiceOf(sym));
    depStackRemove();
  } else if (symIsChoice(sym)) {
    sym2 = symCheckChoiceDeps(sym);
  } else {
    sym.flags |= SYMBOL_CHECK | SYMBOL_CHECKED;
    sym2 = symCheckSymDeps(sym);
    sym.flags &= ~SYMBOL_CHECK;
  }
  return sym2;
}

/** Reset the recursion stack (used before a fresh sym_check_deps pass). */
export function resetDepStack(): void {
  depStack = [];
}

// ---------------------------------------------------------------------------------------------
// Linux 6.12 choices (symbol.c of 6.12): a choice is a nameless bool symbol; its menu keeps the
// members in priority order (menu->choice_members); members carry the menu dependencies.

/** menu_next() of 6.12's menu.c: the next node of a depth-first walk of `root`'s subtree. */
function menuNext(menu: Menu, root: Menu): Menu | null {
  if (menu.list) return menu.list;
  let m: Menu | null = menu;
  while (m && m !== root && !m.next) m = m.parent;
  if (!m || m === root) return null;
  return m.next;
}

/** menu_for_each_sub_entry(): every node under `root` in depth-first order. */
export function* subEntries(root: Menu): Generator<Menu> {
  for (let m = menuNext(root, root); m; m = menuNext(m, root)) yield m;
}

/**
 * sym_get_choice_menu() (6.12): the choice menu above the symbol's first node with a prompt,
 * or null. Memoised once the menu tree is final ({@link EvalContext.choiceMenuMemo}).
 */
export function symGetChoiceMenu(sym: Sym): Menu | null {
  const c = ctx();
  const memo = c.choiceMenuMemo;
  if (memo) {
    const r = memo.get(sym);
    if (r !== undefined) return r;
  }
  let menu: Menu | null = null;
  for (const m of sym.menus) if (m.prompt) { menu = m; break; }
  let res: Menu | null = null;
  if (menu) {
    do menu = menu.parent; while (menu && !menu.sym);
    if (menu && menu.sym && symIsChoice(menu.sym)) res = menu;
  }
  memo?.set(sym, res);
  return res;
}

/** sym_choice_default() (6.12): the first visible default whose target is visible, else the first visible member. */
export function symChoiceDefault612(choice: Menu): Sym | null {
  for (const prop of choice.sym!.props) {
    if (prop.type !== 'default') continue;
    prop.visible.tri = exprCalcValue(prop.visible.expr);
    if (prop.visible.tri === no) continue;
    const d = propGetSymbol(prop);
    if (d && d.visible !== no) return d;
  }
  for (const m of subEntries(choice)) if (m.sym && m.sym.visible !== no) return m.sym;
  return null;
}

/**
 * sym_calc_choice() (6.12): the chosen member (first visible member with user value y in
 * priority order, else the default unless the user set it to n, else the first visible member
 * without a user value, else the last visible member in priority order); sets every visible
 * member's value (y for the chosen one, n for the others), SYMBOL_VALID and SYMBOL_WRITE.
 */
export function symCalcChoice612(choice: Menu): Sym | null {
  const c = ctx();
  const list = c.choiceList.get(choice) ?? [];
  let res: Sym | null = null;
  for (const s of list) {
    symCalcVisibility(s);
    if (s.visible === no) continue;
    if (symHasValue(s) && s.def[S_DEF_USER].tri === yes) {
      res = s;
      break;
    }
  }
  if (!res) {
    res = symChoiceDefault612(choice);
    if (res && symHasValue(res) && res.def[S_DEF_USER].tri === no) res = null;
  }
  if (!res) {
    for (const m of subEntries(choice)) {
      const s = m.sym;
      if (!s || s.visible === no || symHasValue(s)) continue;
      res = s;
      break;
    }
  }
  if (!res) {
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].visible === no) continue;
      res = list[i];
      break;
    }
  }
  for (const m of subEntries(choice)) {
    const s = m.sym;
    if (!s || s.visible === no) continue;
    const val: Tristate = s === res ? yes : no;
    if (s.curr.tri !== val) symSetChanged(s);
    s.curr.tri = val;
    s.flags |= SYMBOL_VALID | SYMBOL_WRITE;
  }
  return res;
}

/** list_move(): put `sym` first in its choice's priority list (highest priority). */
export function choiceMoveFirst(choice: Menu, sym: Sym): void {
  choiceMove(choice, sym, true);
}

/** list_move_tail(): put `sym` last in its choice's priority list (lowest priority). */
export function choiceMoveLast(choice: Menu, sym: Sym): void {
  choiceMove(choice, sym, false);
}

/** Take `sym` out of the priority list it is on and put it at the head or the tail of `choice`'s. */
function choiceMove(choice: Menu, sym: Sym, atHead: boolean): void {
  const c = ctx();
  const list = c.choiceList.get(choice);
  if (!list) return;
  const old = c.choiceLink.get(sym);
  if (old) {
    const l = c.choiceList.get(old)!;
    const i = l.indexOf(sym);
    if (i >= 0) l.splice(i, 1);
  }
  if (atHead) list.unshift(sym);
  else list.push(sym);
  c.choiceLink.set(sym, choice);
}

/**
 * choice_set_value() (6.12): the user picks `sym` in `choice`: every visible member gets user
 * value y (sym) or n, moving to the head of the priority list in menu order.
 */
export function choiceSetValue(choice: Menu, sym: Sym): void {
  let changed = false;
  for (const m of subEntries(choice)) {
    const s = m.sym;
    if (!s || s.visible === no) continue;
    const val: Tristate = s === sym ? yes : no;
    if (s.curr.tri !== val) changed = true;
    s.def[S_DEF_USER].tri = val;
    s.flags |= SYMBOL_DEF_USER;
    choiceMoveFirst(choice, s);
  }
  if (changed) symClearAllValid();
}

/** sym_calc_value() of 6.12's symbol.c (`sym.curr` updated in place, as in the 6.1 path). */
function symCalcValue612(sym: Sym): void {
  const c = ctx();
  sym.flags |= SYMBOL_VALID;
  const oldVal = sym.curr.val;
  const oldTri = sym.curr.tri;
  let newVal: string | null;
  let newTri: Tristate = no;
  switch (sym.type) {
    case SymbolType.Int: newVal = '0'; break;
    case SymbolType.Hex: newVal = '0x0'; break;
    case SymbolType.String: newVal = ''; break;
    case SymbolType.Bool:
    case SymbolType.Tristate: newVal = 'n'; break;
    default:
      sym.curr.val = sym.name;
      sym.curr.tri = no;
      return;
  }
  sym.flags &= ~SYMBOL_WRITE;
  const marked = symCalcVisibility(sym);
  if (sym.visible !== no) sym.flags |= SYMBOL_WRITE;
  sym.curr.val = newVal;
  sym.curr.tri = newTri;
  switch (symGetType(sym)) {
    case SymbolType.Bool:
    case SymbolType.Tristate: {
      const choiceMenu = symGetChoiceMenu(sym);
      if (choiceMenu) {
        symCalcChoice612(choiceMenu);
        newTri = sym.curr.tri;
      } else {
        newTri = calcTristateValue(sym);
      }
      if (newTri === mod && symGetType(sym) === SymbolType.Bool) newTri = yes;
      break;
    }
    case SymbolType.String:
    case SymbolType.Hex:
    case SymbolType.Int: {
      const v = calcStringValue(sym);
      if (v !== undefined) newVal = v;
      break;
    }
    default:
      break;
  }
  sym.curr.val = newVal;
  sym.curr.tri = newTri;
  symValidateRange(sym);
  if (oldVal !== sym.curr.val || oldTri !== sym.curr.tri) {
    if (!marked) symSetChanged(sym);
    if (c.modulesSym === sym) {
      symSetAllChanged();
      c.modulesVal = sym.curr.tri;
    }
  }
  if (symIsChoice(sym)) sym.flags &= ~SYMBOL_WRITE;
}
