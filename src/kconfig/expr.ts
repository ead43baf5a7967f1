/**
 * Expression helpers: a line-by-line port of Linux 6.1 scripts/kconfig/expr.c (the parts that
 * menu.c, symbol.c and confdata.c call), plus expr_print() with the C tool's parenthesisation.
 *
 * The C functions rewrite expressions in place through `struct expr **` pointers; here such
 * pointers are {@link Ref} objects (a getter/setter on a parent node's field) so that the
 * rewriting order, and therefore the resulting expression shapes, are exactly the C ones.
 * Functions that return a new expression in C return one here too.
 *
 * Evaluation ({@link exprCalcValue}) needs the symbol values, so this module imports
 * sym_calc_value/sym_get_string_value from ./evaluate.js (a function-level cycle, safe in ESM).
 */
import type { Expr, Sym, Tristate } from './model.js';
import { SymbolType, SYMBOL_CONST, SYMBOL_VALID, no, yes } from './model.js';
import { ctx, symCalcValue, symGetStringValue } from './evaluate.js';

/** A settable reference to an expression slot: `struct expr **` of expr.c. */
export interface Ref {
  get(): Expr;
  set(e: Expr): void;
}

type AndOr = Extract<Expr, { type: 'and' | 'or' }>;
type Comp = Extract<Expr, { type: 'equal' | 'unequal' | 'lth' | 'leq' | 'gth' | 'geq' }>;
type CompType = Comp['type'];

/** `EXPR_OR`, `EXPR_AND`, `EXPR_NOT` of expr.h on tristates (0 = n, 1 = m, 2 = y). */
export const exprOr = (a: Tristate, b: Tristate): Tristate => (a > b ? a : b);
export const exprAnd = (a: Tristate, b: Tristate): Tristate => (a < b ? a : b);
export const exprNot = (a: Tristate): Tristate => (2 - a) as Tristate;

/** expr_alloc_symbol(): a new E_SYMBOL leaf for `sym`. */
export function exprAllocSymbol(sym: Sym): Expr {
  return { type: 'symbol', sym };
}

/** expr_alloc_one(E_NOT, e). */
export function exprAllocNot(e: Expr): Expr {
  return { type: 'not', expr: e };
}

/** expr_alloc_two(E_AND/E_OR, e1, e2). */
export function exprAllocTwo(type: 'and' | 'or', left: Expr, right: Expr): Expr {
  return { type, left, right };
}

/** expr_alloc_comp(): a comparison `s1 <op> s2`. */
export function exprAllocComp(type: CompType, left: Sym, right: Sym): Expr {
  return { type, left, right };
}

/** expr_alloc_and(): `e1 && e2`, where a null operand means "y" and is dropped. */
export function exprAllocAnd(e1: Expr | null, e2: Expr | null): Expr | null {
  if (!e1) return e2;
  return e2 ? { type: 'and', left: e1, right: e2 } : e1;
}

/** expr_alloc_or(): `e1 || e2`, where a null operand is dropped. */
export function exprAllocOr(e1: Expr | null, e2: Expr | null): Expr | null {
  if (!e1) return e2;
  return e2 ? { type: 'or', left: e1, right: e2 } : e1;
}

/** expr_copy(): a deep copy (symbols are shared, as in C). Null stays null. */
export function exprCopy(org: Expr | null): Expr | null {
  if (!org) return null;
  return copyNode(org);
}

function copyNode(e: Expr): Expr {
  switch (e.type) {
    case 'symbol':
      return { type: 'symbol', sym: e.sym };
    case 'not':
      return { type: 'not', expr: copyNode(e.expr) };
    case 'and':
    case 'or':
      return { type: e.type, left: copyNode(e.left), right: copyNode(e.right) };
    case 'list':
      return { type: 'list', sym: e.sym, next: e.next ? copyNode(e.next) : null };
    case 'range':
      return { type: 'range', left: e.left, right: e.right };
    default:
      return { type: e.type, left: e.left, right: e.right };
  }
}

/** expr_is_yes(): null, or the constant `y`. */
export function exprIsYes(e: Expr | null): boolean {
  return !e || (e.type === 'symbol' && e.sym === ctx().tree.symbolYes);
}

/** expr_is_no(): the constant `n`. */
export function exprIsNo(e: Expr | null): boolean {
  return !!e && e.type === 'symbol' && e.sym === ctx().tree.symbolNo;
}

const isComp = (e: Expr): e is Comp =>
  e.type === 'equal' || e.type === 'unequal' || e.type === 'lth' || e.type === 'leq' || e.type === 'gth' || e.type === 'geq';


let transCount = 0;

let constCache: { tree: unknown; yes: Sym; no: Sym; mod: Sym } | null = null;

function symRef(): { yes: Sym; no: Sym; mod: Sym } {
  const t = ctx().tree;
  if (constCache && constCache.tree === t) return constCache;
  constCache = { tree: t, yes: t.symbolYes, no: t.symbolNo, mod: t.symbolMod };
  return constCache;
}

/** __expr_eliminate_eq(): replace equal leaves of two `type` trees by y (&&) or n (||). */
function eliminateEqInner(type: 'and' | 'or', r1: Ref, r2: Ref): void {
  const e1 = r1.get();
  if (e1.type === type) {
    eliminateEqInner(type, childRef(e1, 'left'), r2);
    eliminateEqInner(type, childRef(e1, 'right'), r2);
    return;
  }
  const e2 = r2.get();
  if (e2.type === type) {
    eliminateEqInner(type, r1, childRef(e2, 'left'));
    eliminateEqInner(type, r1, childRef(e2, 'right'));
    return;
  }
  const s = symRef();
  if (e1.type === 'symbol' && e2.type === 'symbol' && e1.sym === e2.sym && (e1.sym === s.yes || e1.sym === s.no)) return;
  if (!exprEq(e1, e2)) return;
  transCount++;
  const c = type === 'or' ? s.no : s.yes;
  r1.set(exprAllocSymbol(c));
  r2.set(exprAllocSymbol(c));
}

function childRef(p: AndOr, side: 'left' | 'right'): Ref {
  return { get: () => p[side], set: (v) => { p[side] = v; } };
}

/**
 * expr_eliminate_eq(): remove operands common to both expressions (in place through the refs).
 * Null expressions are left alone.
 */
export function exprEliminateEq(r1: { get(): Expr | null; set(e: Expr): void }, r2: { get(): Expr | null; set(e: Expr): void }): void {
  const a = r1.get();
  const b = r2.get();
  if (!a || !b) return;
  const R1 = r1 as Ref;
  const R2 = r2 as Ref;
  if (a.type === 'or' || a.type === 'and') eliminateEqInner(a.type, R1, R2);
  const a2 = R1.get();
  const b2 = R2.get();
  if (a2.type !== b2.type && (b2.type === 'or' || b2.type === 'and')) eliminateEqInner(b2.type, R1, R2);
  R1.set(eliminateYn(R1.get()));
  R2.set(eliminateYn(R2.get()));
}

/**
 * expr_eq(): structural equality after simplification; &&/|| operands may appear in any order.
 * A null expression equals `y`.
 */
export function exprEq(e1: Expr | null, e2: Expr | null): boolean {
  if (!e1 || !e2) return exprIsYes(e1) && exprIsYes(e2);
  if (e1.type !== e2.type) return false;
  switch (e1.type) {
    case 'equal':
    case 'geq':
    case 'gth':
    case 'leq':
    case 'lth':
    case 'unequal': {
      const o = e2 as Comp;
      return e1.left === o.left && e1.right === o.right;
    }
    case 'symbol':
      return e1.sym === (e2 as { sym: Sym }).sym;
    case 'not':
      return exprEq(e1.expr, (e2 as { expr: Expr }).expr);
    case 'and':
    case 'or':
      return eqAndOr(e1, e2 as AndOr);
    default:
      return false;
  }
}

/**
 * The leaves of the two levels {@link eqAndOr} compares, in one stack (`eqTop` its height; a
 * nested call pushes above its caller's leaves and pops them), and per leaf whether
 * __expr_eliminate_eq() replaced it by y/n.
 */
const eqLeaf: Expr[] = [];
const eqGone: boolean[] = [];
let eqTop = 0;
/** The next leaf index {@link ynLevelSym} reads. */
let eqNext = 0;

/** Push the leaves of the `type` level under `e` (itself of that type), left to right. */
function pushEqLeaves(e: AndOr, type: 'and' | 'or'): void {
  const l = e.left;
  if (l.type === type) pushEqLeaves(l as AndOr, type);
  else eqLeaf[eqTop++] = l;
  const r = e.right;
  if (r.type === type) pushEqLeaves(r as AndOr, type);
  else eqLeaf[eqTop++] = r;
}

/**
 * expr_eq() of two &&/|| expressions of the same type, without the copies C makes: 6.1 copies
 * both, runs expr_eliminate_eq() on the copies (which replaces each pair of equal leaves of the
 * two top levels by y for && or n for ||), then expr_eliminate_yn(), and compares the results
 * (6.12 builds new nodes instead of rewriting copies: the same answer).
 *
 * The same computation without rewriting: __expr_eliminate_eq() visits the leaf pairs with the
 * first expression's leaves outside and the second's inside, both left to right; a replaced
 * leaf (now y/n) can never be equal to a leaf again (a y/n leaf compared with the same y/n is
 * skipped, with anything else it is unequal), so replacements are marks (`eqGone`) on the
 * original leaves. expr_eliminate_yn() is then simulated by {@link ynLevelSym}, which yields
 * only what the comparison reads: the symbol the result is, or null when it is not a symbol.
 */
function eqAndOr(e1: AndOr, e2: AndOr): boolean {
  const type = e1.type;
  const s = symRef();
  const base = eqTop;
  pushEqLeaves(e1, type);
  const mid = eqTop;
  pushEqLeaves(e2, type);
  const end = eqTop;
  for (let i = base; i < end; i++) eqGone[i] = false;
  for (let i = base; i < mid; i++) {
    const l1 = eqLeaf[i];
    const yn = l1.type === 'symbol' && (l1.sym === s.yes || l1.sym === s.no);
    for (let j = mid; j < end && !eqGone[i]; j++) {
      if (eqGone[j]) continue;
      const l2 = eqLeaf[j];
      if (yn && l2.type === 'symbol' && l2.sym === (l1 as { sym: Sym }).sym) continue;
      if (exprEq(l1, l2)) eqGone[i] = eqGone[j] = true;
    }
  }
  const c = type === 'or' ? s.no : s.yes;
  eqNext = base;
  const r1 = ynLevelSym(e1, type, c);
  eqNext = mid;
  const r2 = ynLevelSym(e2, type, c);
  eqTop = base;
  return r1 !== null && r1 === r2;
}

/**
 * What expr_eliminate_yn() makes of the `type` level under `e` whose leaves, from index
 * `eqNext` on, are marked in `eqGone` as replaced by the constant `c`: the symbol of the result
 * when it is a symbol, else null. Consumes the level's leaf indices.
 */
function ynLevelSym(e: AndOr, type: 'and' | 'or', c: Sym): Sym | null {
  const l = e.left.type === type ? ynLevelSym(e.left as AndOr, type, c) : eqGone[eqNext++] ? c : ynSym(e.left);
  const r = e.right.type === type ? ynLevelSym(e.right as AndOr, type, c) : eqGone[eqNext++] ? c : ynSym(e.right);
  return ynCombine(type, l, r);
}

/** What expr_eliminate_yn() makes of `e`: the symbol of the result when it is one, else null. */
function ynSym(e: Expr): Sym | null {
  if (e.type === 'symbol') return e.sym;
  if (e.type !== 'and' && e.type !== 'or') return null;
  return ynCombine(e.type, ynSym(e.left), ynSym(e.right));
}

/**
 * The rule of expr_eliminate_yn() for a `type` node whose simplified operands are the symbols
 * `l`/`r` (null: not a symbol): the symbol of the result, or null when it is not a symbol (the
 * node itself).
 */
function ynCombine(type: 'and' | 'or', l: Sym | null, r: Sym | null): Sym | null {
  const s = symRef();
  const absorb = type === 'and' ? s.no : s.yes;
  const neutral = type === 'and' ? s.yes : s.no;
  if (l !== null) {
    if (l === absorb) return absorb;
    if (l === neutral) return r;
  }
  if (r !== null) {
    if (r === absorb) return absorb;
    if (r === neutral) return l;
  }
  return null;
}

/**
 * expr_eliminate_yn(): `e && n -> n`, `e && y -> e`, `e || n -> e`, `e || y -> y` recursively.
 * Returns the simplified expression (operands are rewritten in place).
 */
function eliminateYn(e: Expr): Expr {
  const s = symRef();
  if (e.type === 'and' || e.type === 'or') {
    e.left = eliminateYn(e.left);
    e.right = eliminateYn(e.right);
    const absorb = e.type === 'and' ? s.no : s.yes;
    const neutral = e.type === 'and' ? s.yes : s.no;
    if (e.left.type === 'symbol') {
      if (e.left.sym === absorb) return exprAllocSymbol(absorb);
      if (e.left.sym === neutral) return e.right;
    }
    if (e.right.type === 'symbol') {
      if (e.right.sym === absorb) return exprAllocSymbol(absorb);
      if (e.right.sym === neutral) return e.left;
    }
  }
  return e;
}

/**
 * The common start of expr_join_or() and expr_join_and() (expr.c): both leaves must be
 * comparisons, symbols or negations naming the same bool or tristate symbol.
 * @returns that symbol, or null when the two leaves cannot be joined
 */
function joinLeafSymbol(e1: Expr, e2: Expr): Sym | null {
  const sym1 = joinSym1(e1);
  if (!sym1 || sym1 !== joinSym2(e2)) return null;
  return sym1.type === SymbolType.Bool || sym1.type === SymbolType.Tristate ? sym1 : null;
}

/** expr_join_or(): simplification of `e1 || e2` for two leaves, or null. */
function joinOr(e1: Expr, e2: Expr): Expr | null {
  const s = symRef();
  if (exprEq(e1, e2)) return copyNode(e1);
  const sym1 = joinLeafSymbol(e1, e2);
  if (!sym1) return null;
  if (sym1.type === SymbolType.Tristate && e1.type === 'equal' && e2.type === 'equal') {
    const a = e1.right;
    const b = e2.right;
    if ((a === s.yes && b === s.mod) || (a === s.mod && b === s.yes)) return exprAllocComp('unequal', sym1, s.no);
    if ((a === s.yes && b === s.no) || (a === s.no && b === s.yes)) return exprAllocComp('unequal', sym1, s.mod);
    if ((a === s.mod && b === s.no) || (a === s.no && b === s.mod)) return exprAllocComp('unequal', sym1, s.yes);
  }
  if (sym1.type === SymbolType.Bool) { // C also tests sym1 == sym2, already known here
    if ((e1.type === 'not' && e1.expr.type === 'symbol' && e2.type === 'symbol') ||
        (e2.type === 'not' && e2.expr.type === 'symbol' && e1.type === 'symbol')) return exprAllocSymbol(s.yes);
  }
  return null;
}

/** expr_join_and(): simplification of `e1 && e2` for two leaves, or null. */
function joinAnd(e1: Expr, e2: Expr): Expr | null {
  const s = symRef();
  if (exprEq(e1, e2)) return copyNode(e1);
  const sym1 = joinLeafSymbol(e1, e2);
  if (!sym1) return null;
  const r1 = isComp(e1) ? e1.right : null;
  const r2 = isComp(e2) ? e2.right : null;
  if ((e1.type === 'symbol' && e2.type === 'equal' && r2 === s.yes) || (e2.type === 'symbol' && e1.type === 'equal' && r1 === s.yes))
    return exprAllocComp('equal', sym1, s.yes);
  if ((e1.type === 'symbol' && e2.type === 'unequal' && r2 === s.no) || (e2.type === 'symbol' && e1.type === 'unequal' && r1 === s.no))
    return exprAllocSymbol(sym1);
  if ((e1.type === 'symbol' && e2.type === 'unequal' && r2 === s.mod) || (e2.type === 'symbol' && e1.type === 'unequal' && r1 === s.mod))
    return exprAllocComp('equal', sym1, s.yes);
  if (sym1.type === SymbolType.Tristate) {
    if (e1.type === 'equal' && e2.type === 'unequal') {
      const b = e1.right;
      if ((e2.right.flags & SYMBOL_CONST) && (b.flags & SYMBOL_CONST))
        return b !== e2.right ? exprAllocComp('equal', sym1, b) : exprAllocSymbol(s.no);
    }
    if (e1.type === 'unequal' && e2.type === 'equal') {
      const b = e2.right;
      if ((e1.right.flags & SYMBOL_CONST) && (b.flags & SYMBOL_CONST))
        return b !== e1.right ? exprAllocComp('equal', sym1, b) : exprAllocSymbol(s.no);
    }
    if (e1.type === 'unequal' && e2.type === 'unequal') {
      const a = e1.right;
      const b = e2.right;
      if ((a === s.yes && b === s.no) || (a === s.no && b === s.yes)) return exprAllocComp('equal', sym1, s.mod);
      if ((a === s.yes && b === s.mod) || (a === s.mod && b === s.yes)) return exprAllocComp('equal', sym1, s.no);
      if ((a === s.mod && b === s.no) || (a === s.no && b === s.mod)) return exprAllocComp('equal', sym1, s.yes);
    }
  }
  return null;
}

/**
 * expr_eliminate_dups1(): compare all leaves of a `type` level pairwise and join them. A slot
 * is (parent node, side): the parent's `left` or `right` field is the `struct expr *` the C code
 * reaches through `struct expr **` (a level's leaves are always children of its `type` nodes).
 *
 * C recurses: for each leaf slot of the first tree (in order) it walks every leaf slot of the
 * second (in order). Replacements only ever put leaves into leaf slots (y/n, or a joined leaf
 * that is never of type `type`), so the slot lists are fixed for a pass and the recursion is
 * a double loop, visiting the same pairs in the same order (this runs about a million times
 * on the kernel tree).
 *
 * The slots of the levels being walked live in one stack ({@link slotParent}/{@link slotRight},
 * `slotTop` its height): a level pushes its slots above those of the levels it is nested in and
 * pops them when done, so a pass allocates nothing.
 */
const slotParent: AndOr[] = [];
const slotRight: boolean[] = [];
let slotTop = 0;
/** Per slot, for the check of a level before any join: its leaf and that leaf's sym1/sym2. */
const slotLeaf: Expr[] = [];
const slotSym1: (Sym | null)[] = [];
const slotSym2: (Sym | null)[] = [];

/** Push the leaf slots of the `type` level under `e` (itself of that type), in C's order. */
function pushLeafSlots(e: AndOr, type: 'and' | 'or'): void {
  pushSideSlots(e, false, type);
  pushSideSlots(e, true, type);
}

/** {@link pushLeafSlots} for one operand of `e` (right: its right one). */
function pushSideSlots(e: AndOr, right: boolean, type: 'and' | 'or'): void {
  const c = right ? e.right : e.left;
  if (c.type === type) pushLeafSlots(c as AndOr, type);
  else {
    slotParent[slotTop] = e;
    slotRight[slotTop++] = right;
  }
}

/** The expression in slot `i` of the slot stack. */
const slotGet = (i: number): Expr => (slotRight[i] ? slotParent[i].right : slotParent[i].left);

function slotSet(i: number, v: Expr): void {
  if (slotRight[i]) slotParent[i].right = v;
  else slotParent[i].left = v;
}

/**
 * A necessary condition for expr_join_and/or(a, b) (a !== b) to return non-null: both leaves
 * name the same symbol the way the joins look for it (`s1` = joinSym1(a), `s2` = joinSym2(b)),
 * or they have one type whose expr_eq() depends on their operands (not, &&, ||, <, ...).
 * Symbols and =/!= comparisons are expr_eq() only when they name the same symbol, which the
 * first test covers.
 */
function mayJoin(a: Expr, s1: Sym | null, b: Expr, s2: Sym | null): boolean {
  const t = a.type;
  return (s1 !== null && s1 === s2) || (t === b.type && t !== 'symbol' && t !== 'equal' && t !== 'unequal');
}

/**
 * (performance) C re-runs expr_eliminate_dups1() on a nested &&/|| leaf once per leaf it is
 * compared with. A pass is a pure function of the expression trees (and the symbol types, fixed
 * here), so a pass over node X that joined nothing, with no join anywhere since, would join
 * nothing again: it is skipped. `cleanNodes[0..cleanTop)` are the nodes whose last pass was
 * such; every join, and every rewrite between passes, empties the list.
 */
const cleanNodes: Expr[] = [];
let cleanTop = 0;
/** Joins made so far (tells a pass whether anything joined during it). */
let joinCount = 0;

function isClean(x: Expr): boolean {
  for (let i = 0; i < cleanTop; i++) if (cleanNodes[i] === x) return true;
  return false;
}

/** sym1 of expr_join_and/or() for its first operand, or null where they give up. */
function joinSym1(e: Expr): Sym | null {
  switch (e.type) {
    case 'symbol':
      return e.sym;
    case 'equal':
    case 'unequal':
      return e.left;
    case 'not': {
      const t = e.expr;
      if (t.type === 'symbol') return t.sym;
      if (t.type === 'equal' || t.type === 'unequal') return t.left;
      return null;
    }
    default:
      return null;
  }
}

/** sym2 of expr_join_and/or() for its second operand, or null where they give up. */
function joinSym2(e: Expr): Sym | null {
  switch (e.type) {
    case 'symbol':
      return e.sym;
    case 'equal':
    case 'unequal':
      return e.left;
    case 'not':
      return e.expr.type === 'symbol' ? e.expr.sym : null;
    default:
      return null;
  }
}

/** expr_eliminate_dups1(x->type, &x, &x) for an &&/|| node `x`. */
function eliminateDupsLevel(x: AndOr): void {
  if (isClean(x)) return;
  const joins = joinCount;
  const type = x.type;
  const base = slotTop;
  pushLeafSlots(x, type);
  const end = slotTop;
  if (levelMayJoin(base, end)) {
    for (let i = base; i < end; i++) {
      for (let j = base; j < end; j++) eliminateDupsPair(type, i, j);
    }
  } else {
    // No pair of this level can join, whatever the nested passes do: they rewrite only inside
    // &&/|| leaves, which could join only with a leaf of their own type (not the case here).
    // What remains of C's double loop is the nested pass on each &&/|| leaf, run once per
    // other leaf it is compared with; after a pass that changed nothing the rest are no-ops.
    for (let i = base; i < end; i++) {
      const a = slotLeaf[i];
      if (a.type !== 'and' && a.type !== 'or') continue;
      let k = 0;
      for (let j = base; j < end; j++) if (slotLeaf[j] !== a) k++;
      for (; k > 0 && !isClean(a); k--) eliminateDupsLevel(a);
    }
  }
  slotTop = base;
  if (joinCount === joins) cleanNodes[cleanTop++] = x;
}

/**
 * Whether some pair of the leaves in slots [base, end) passes {@link mayJoin} (fills slotLeaf,
 * slotSym1 and slotSym2 for those slots: O(n) symbol lookups, then O(n²) comparisons). Pairs of
 * two slots below `known` are left out (their leaves are known not to join; default: none).
 */
function levelMayJoin(base: number, end: number, known = base): boolean {
  for (let i = base; i < end; i++) {
    const a = slotGet(i);
    slotLeaf[i] = a;
    slotSym1[i] = joinSym1(a);
    slotSym2[i] = joinSym2(a);
  }
  for (let i = base; i < end; i++) {
    const a = slotLeaf[i];
    const s1 = slotSym1[i];
    for (let j = i < known ? known : base; j < end; j++) {
      const b = slotLeaf[j];
      if (a !== b && mayJoin(a, s1, b, slotSym2[j])) return true;
    }
  }
  return false;
}

/** The body of expr_eliminate_dups1() for the leaves in slots `i` and `j` of the slot stack. */
function eliminateDupsPair(type: 'and' | 'or', i: number, j: number): void {
  const e1 = slotGet(i);
  if (e1 === slotGet(j)) return;
  if (e1.type === 'or' || e1.type === 'and') eliminateDupsLevel(e1);
  const a = slotGet(i);
  const b = slotGet(j);
  if (!mayJoin(a, joinSym1(a), b, joinSym2(b))) return;
  const s = symRef();
  const tmp = type === 'or' ? joinOr(a, b) : joinAnd(a, b);
  if (tmp) {
    slotSet(i, exprAllocSymbol(type === 'or' ? s.no : s.yes));
    slotSet(j, tmp);
    transCount++;
    joinCount++;
    cleanTop = 0;
  }
}

/**
 * Whether Linux 6.1's expr_eliminate_dups() would leave `e` exactly as it is: no two leaves of
 * any &&/|| level in it (nested levels included) can join ({@link mayJoin}), so no pass joins
 * anything and nothing is rewritten. Reads only.
 * @returns true when {@link exprEliminateDups}(e) (6.1) would return `e` unchanged
 */
export function exprDupsNoJoin(e: Expr | null): boolean {
  if (!e || (e.type !== 'and' && e.type !== 'or')) return true;
  slotTop = 0;
  return levelNoJoin(e);
}

/**
 * Whether no pass of expr_eliminate_dups() joins anything in the level `x` or the levels nested
 * under its leaves. `leftFixed`: the left operand of `x` is known to join nothing alone (see
 * {@link exprDupsNoJoinAnd}): only the pairs with a leaf of the right operand, and the levels
 * under those leaves, are checked.
 */
function levelNoJoin(x: AndOr, leftFixed = false): boolean {
  const base = slotTop;
  pushSideSlots(x, false, x.type);
  const known = leftFixed ? slotTop : base;
  pushSideSlots(x, true, x.type);
  const end = slotTop;
  let ok = !levelMayJoin(base, end, known);
  for (let i = known; ok && i < end; i++) {
    const a = slotLeaf[i];
    if (a.type === 'and' || a.type === 'or') ok = levelNoJoin(a);
  }
  slotTop = base;
  return ok;
}

/**
 * Whether Linux 6.1's expr_eliminate_dups() would leave `x` = `a && b` exactly as it is, knowing
 * that a pass of it over `a` alone joins nothing (`a` is what expr_eliminate_dups() returned,
 * under the current symbol types; a pass is a pure function of the tree and those types).
 *
 * Until a pass over `x` joins something, it repeats the pass over `a`'s pairs and nested levels
 * (none joins), so it joins nothing when no pair of its top level involving a leaf of `b`
 * passes {@link mayJoin} and no nested level under a leaf of `b` can join ({@link levelNoJoin}).
 * Only those are checked here: about n·m pair tests instead of (n+m)² for n leaves of `a`.
 * Reads only.
 * @param x an `and` node whose left operand is `a` and right operand `b`
 * @returns true when {@link exprEliminateDups}(x) (6.1) would return `x` unchanged
 */
export function exprDupsNoJoinAnd(x: Expr): boolean {
  if (x.type !== 'and') return exprDupsNoJoin(x);
  slotTop = 0;
  return levelNoJoin(x, true);
}

/**
 * expr_eliminate_dups(): remove duplicate and redundant operands (`A || B || A -> A || B`,
 * `A && B && A=y -> A=y && B`). Returns the rewritten expression (null stays null).
 */
export function exprEliminateDups(e: Expr | null): Expr | null {
  if (!e) return e;
  if (ctx().v612) return eliminateDups612(e);
  const old = transCount;
  let cur = e;
  slotTop = 0; // nothing is in flight between calls (a throw could have left slots behind)
  for (;;) {
    transCount = 0;
    cleanTop = 0; // a new expression, or one rewritten by eliminateYn
    if (cur.type === 'or' || cur.type === 'and') eliminateDupsLevel(cur);
    if (!transCount) break;
    cur = eliminateYn(cur);
  }
  cleanTop = 0;
  transCount = old;
  return cur;
}

/**
 * expr_eliminate_yn() of 6.12: as 6.1's, but nothing is rewritten in place: when neither
 * operand of the top && / || reduces to y or n, the expression is returned unchanged (the
 * operands' own simplifications are dropped, as 6.12's immutable expressions do).
 */
function eliminateYn612(e: Expr): Expr {
  if (e.type !== 'and' && e.type !== 'or') return e;
  const s = symRef();
  const l = eliminateYn612(e.left);
  const r = eliminateYn612(e.right);
  if (e.type === 'and') {
    if (l.type === 'symbol') {
      if (l.sym === s.no) return l;
      if (l.sym === s.yes) return r;
    }
    if (r.type === 'symbol') {
      if (r.sym === s.no) return r;
      if (r.sym === s.yes) return l;
    }
  } else {
    if (l.type === 'symbol') {
      if (l.sym === s.no) return r;
      if (l.sym === s.yes) return l;
    }
    if (r.type === 'symbol') {
      if (r.sym === s.no) return l;
      if (r.sym === s.yes) return r;
    }
  }
  return e;
}

interface Box { v: Expr }

/** expr_eliminate_dups1() of 6.12: join the leaves of *ep1 with those of *ep2 (new nodes). */
function eliminateDups1612(type: 'and' | 'or', ep1: Box, ep2: Box): void {
  const e1 = ep1.v;
  if (e1.type === type) {
    const l: Box = { v: e1.left };
    const r: Box = { v: e1.right };
    eliminateDups1612(type, l, ep2);
    eliminateDups1612(type, r, ep2);
    ep1.v = exprAllocTwo(type, l.v, r.v);
    return;
  }
  const e2 = ep2.v;
  if (e2.type === type) {
    const l: Box = { v: e2.left };
    const r: Box = { v: e2.right };
    eliminateDups1612(type, ep1, l);
    eliminateDups1612(type, ep1, r);
    ep2.v = exprAllocTwo(type, l.v, r.v);
    return;
  }
  if (e1.type === 'symbol' && e2.type === 'symbol' && e1.sym !== e2.sym) return; // join gives NULL
  const s = symRef();
  const tmp = type === 'or' ? joinOr(e1, e2) : joinAnd(e1, e2);
  if (tmp) {
    ep1.v = exprAllocSymbol(type === 'or' ? s.no : s.yes);
    ep2.v = tmp;
    transCount++;
  }
}

/**
 * expr_eliminate_dups() of Linux 6.12: simplify both operands recursively, join the leaves of
 * the left operand with those of the right, drop y/n operands; repeat while anything changed.
 */
function eliminateDups612(e0: Expr): Expr {
  let e = e0;
  const old = transCount;
  do {
    transCount = 0;
    if (e.type === 'or' || e.type === 'and') {
      const l: Box = { v: eliminateDups612(e.left) };
      const r: Box = { v: eliminateDups612(e.right) };
      eliminateDups1612(e.type, l, r);
      e = exprAllocTwo(e.type, l.v, r.v);
    }
    e = eliminateYn612(e);
  } while (transCount);
  transCount = old;
  return e;
}

/**
 * Whether `e` holds a `=`/`!=` comparison of a bool symbol with `m`: the only expressions for
 * which {@link exprTransform} (of `e` or of exprTransCompare(e, ...), which keeps comparisons as
 * they are) prints its "boolean symbol X tested for 'm'" notice. Reads only.
 */
export function exprTestsBoolForM(e: Expr | null): boolean {
  if (!e) return false;
  switch (e.type) {
    case 'and':
    case 'or':
      return exprTestsBoolForM(e.left) || exprTestsBoolForM(e.right);
    case 'not':
      return exprTestsBoolForM(e.expr);
    case 'equal':
    case 'unequal':
      return e.left.type === SymbolType.Bool && e.right === symRef().mod;
    default:
      return false;
  }
}

/**
 * expr_transform(): normalise comparisons of bool symbols with constants, push negations inward
 * (`!!a -> a`, `!(a || b) -> !a && !b`, `!a=x -> a!=x`, ...). Prints the kernel's
 * "boolean symbol X tested for 'm'" notice on stdout like the C tool. Returns the result.
 *
 * The order of those notices within one expression: 6.1 transforms an operator's left operand,
 * then its right (two statements). 6.12 transforms both inside one call's argument list,
 * `expr_alloc_two(e->type, expr_transform(e->left.expr), expr_transform(e->right.expr))`, whose
 * order C leaves unspecified; GCC, which builds the kernel's conf, evaluates the right argument
 * first (measured on the C conf built from linux-source-6.12: `A!=m && B=m` prints B's notice,
 * then A's), so 6.12 goes right to left.
 */
export function exprTransform(e: Expr | null): Expr | null {
  if (!e) return null;
  return transform(e, symRef(), ctx().v612);
}

function transform(e: Expr, s: { yes: Sym; no: Sym; mod: Sym }, rightFirst: boolean): Expr {
  if (e.type === 'and' || e.type === 'or') {
    if (rightFirst) {
      e.right = transform(e.right, s, rightFirst);
      e.left = transform(e.left, s, rightFirst);
    } else {
      e.left = transform(e.left, s, rightFirst);
      e.right = transform(e.right, s, rightFirst);
    }
  } else if (e.type === 'not') {
    e.expr = transform(e.expr, s, rightFirst);
  }
  switch (e.type) {
    case 'equal':
      if (e.left.type !== SymbolType.Bool) break;
      if (e.right === s.no) return exprAllocNot(exprAllocSymbol(e.left));
      if (e.right === s.mod) {
        ctx().stdout(`boolean symbol ${e.left.name} tested for 'm'? test forced to 'n'\n`);
        return exprAllocSymbol(s.no);
      }
      if (e.right === s.yes) return exprAllocSymbol(e.left);
      break;
    case 'unequal':
      if (e.left.type !== SymbolType.Bool) break;
      if (e.right === s.no) return exprAllocSymbol(e.left);
      if (e.right === s.mod) {
        ctx().stdout(`boolean symbol ${e.left.name} tested for 'm'? test forced to 'y'\n`);
        return exprAllocSymbol(s.yes);
      }
      if (e.right === s.yes) return exprAllocNot(exprAllocSymbol(e.left));
      break;
    case 'not': {
      const l = e.expr;
      switch (l.type) {
        case 'not':
          return transform(l.expr, s, rightFirst);
        case 'equal':
        case 'unequal':
          return { type: l.type === 'equal' ? 'unequal' : 'equal', left: l.left, right: l.right };
        case 'leq':
        case 'geq':
          return { type: l.type === 'leq' ? 'gth' : 'lth', left: l.left, right: l.right };
        case 'lth':
        case 'gth':
          return { type: l.type === 'lth' ? 'geq' : 'leq', left: l.left, right: l.right };
        case 'or':
          return transform({ type: 'and', left: exprAllocNot(l.left), right: exprAllocNot(l.right) }, s, rightFirst);
        case 'and':
          return transform({ type: 'or', left: exprAllocNot(l.left), right: exprAllocNot(l.right) }, s, rightFirst);
        case 'symbol':
          if (l.sym === s.yes) return exprAllocSymbol(s.no);
          if (l.sym === s.mod) return exprAllocSymbol(s.mod);
          if (l.sym === s.no) return exprAllocSymbol(s.yes);
          break;
        default:
          break;
      }
      break;
    }
    default:
      break;
  }
  return e;
}

/** expr_contains_symbol(): whether `sym` occurs anywhere in `dep`. */
export function exprContainsSymbol(dep: Expr | null, sym: Sym): boolean {
  if (!dep) return false;
  switch (dep.type) {
    case 'and':
    case 'or':
      return exprContainsSymbol(dep.left, sym) || exprContainsSymbol(dep.right, sym);
    case 'symbol':
      return dep.sym === sym;
    case 'not':
      return exprContainsSymbol(dep.expr, sym);
    case 'list':
    case 'range':
      return false;
    default:
      return dep.left === sym || dep.right === sym;
  }
}

/** expr_depends_symbol(): whether `dep` can only be true when `sym` is (an &&-chain with sym, sym=y/m, sym!=n). */
export function exprDependsSymbol(dep: Expr | null, sym: Sym): boolean {
  if (!dep) return false;
  const s = symRef();
  switch (dep.type) {
    case 'and':
      return exprDependsSymbol(dep.left, sym) || exprDependsSymbol(dep.right, sym);
    case 'symbol':
      return dep.sym === sym;
    case 'equal':
      return dep.left === sym && (dep.right === s.yes || dep.right === s.mod);
    case 'unequal':
      return dep.left === sym && dep.right === s.no;
    default:
      return false;
  }
}

/**
 * expr_trans_compare(): insert explicit comparisons of type `type` (equal/unequal) to `sym`
 * (`A -> A!=n`, `A && B -> !(A=n || B=n)` for E_UNEQUAL/n). Returns a new expression.
 */
export function exprTransCompare(e: Expr | null, type: 'equal' | 'unequal', sym: Sym): Expr | null {
  const s = symRef();
  if (!e) {
    const r = exprAllocSymbol(sym);
    return type === 'unequal' ? exprAllocNot(r) : r;
  }
  switch (e.type) {
    case 'and':
    case 'or': {
      const e1 = exprTransCompare(e.left, 'equal', sym) as Expr;
      const e2 = exprTransCompare(e.right, 'equal', sym) as Expr;
      let r: Expr = e;
      if (sym === s.yes) r = exprAllocTwo(e.type, e1, e2);
      if (sym === s.no) r = exprAllocTwo(e.type === 'and' ? 'or' : 'and', e1, e2);
      if (type === 'unequal') r = exprAllocNot(r);
      return r;
    }
    case 'not':
      return exprTransCompare(e.expr, type === 'equal' ? 'unequal' : 'equal', sym);
    case 'unequal':
    case 'lth':
    case 'leq':
    case 'gth':
    case 'geq':
    case 'equal':
      if (type === 'equal') {
        if (sym === s.yes) return copyNode(e);
        if (sym === s.mod) return exprAllocSymbol(s.no);
        if (sym === s.no) return exprAllocNot(copyNode(e));
      } else {
        if (sym === s.yes) return exprAllocNot(copyNode(e));
        if (sym === s.mod) return exprAllocSymbol(s.yes);
        if (sym === s.no) return copyNode(e);
      }
      return null;
    case 'symbol':
      return exprAllocComp(type, e.sym, sym);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// C library number parsing, as expr_parse_string() and symbol.c use it (glibc semantics).

const LLONG_MAX = (1n << 63n) - 1n;
const LLONG_MIN = -(1n << 63n);
const ULLONG_MAX = (1n << 64n) - 1n;

/** Result of {@link strtoll}/{@link strtoull}: value, index just past the number, ERANGE flag. */
export interface StrtolResult {
  value: bigint;
  end: number;
  erange: boolean;
}

const isSpaceC = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

function digitVal(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

function strtoCore(str: string, base: number): { neg: boolean; mag: bigint; end: number; over: boolean } {
  let i = 0;
  while (i < str.length && isSpaceC(str[i])) i++;
  let neg = false;
  if (str[i] === '+' || str[i] === '-') {
    neg = str[i] === '-';
    i++;
  }
  if ((base === 0 || base === 16) && str[i] === '0' && (str[i + 1] === 'x' || str[i + 1] === 'X') && i + 2 < str.length && digitVal(str[i + 2]) < 16) {
    i += 2;
    base = 16;
  } else if (base === 0) {
    base = str[i] === '0' ? 8 : 10;
  }
  const start = i;
  // Digits are accumulated in a double while the value stays exact (below 2^53), then, for
  // longer numbers, in a bigint.
  let num = 0;
  while (i < str.length) {
    const d = digitVal(str[i]);
    if (d >= base) break;
    const next = num * base + d;
    if (next > Number.MAX_SAFE_INTEGER) break;
    num = next;
    i++;
  }
  let mag = BigInt(num);
  let over = false;
  if (i < str.length && digitVal(str[i]) < base) {
    const B = BigInt(base);
    while (i < str.length && digitVal(str[i]) < base) {
      mag = mag * B + BigInt(digitVal(str[i]));
      if (mag > ULLONG_MAX) over = true;
      i++;
    }
  }
  if (i === start) return { neg: false, mag: 0n, end: 0, over: false };
  return { neg, mag, end: i, over };
}

/** C `strtoll(str, &end, base)`: signed 64-bit, saturating with ERANGE. */
export function strtoll(str: string, base: number): StrtolResult {
  const r = strtoCore(str, base);
  if (r.end === 0) return { value: 0n, end: 0, erange: false };
  let v = r.neg ? -r.mag : r.mag;
  let erange = r.over;
  if (r.over) v = r.neg ? LLONG_MIN : LLONG_MAX;
  else if (v > LLONG_MAX) { v = LLONG_MAX; erange = true; }
  else if (v < LLONG_MIN) { v = LLONG_MIN; erange = true; }
  return { value: v, end: r.end, erange };
}

/** C `strtoull(str, &end, base)`: unsigned 64-bit (a leading '-' negates modulo 2^64). */
export function strtoull(str: string, base: number): StrtolResult {
  const r = strtoCore(str, base);
  if (r.end === 0) return { value: 0n, end: 0, erange: false };
  if (r.over) return { value: ULLONG_MAX, end: r.end, erange: true };
  return { value: r.neg ? BigInt.asUintN(64, -r.mag) : r.mag, end: r.end, erange: false };
}

const isXdigit = (c: string | undefined) => !!c && /[0-9a-fA-F]/.test(c);

/** expr_parse_string(): classify a value as number (signed/unsigned) or string. */
function parseString(str: string, type: SymbolType): { kind: 'string' | 'signed' | 'unsigned'; v: bigint } {
  if (type === SymbolType.Bool || type === SymbolType.Tristate) {
    return { kind: 'signed', v: str === 'n' ? 0n : str === 'm' ? 1n : str === 'y' ? 2n : -1n };
  }
  let r: StrtolResult;
  let kind: 'signed' | 'unsigned';
  if (type === SymbolType.Int) { r = strtoll(str, 10); kind = 'signed'; }
  else if (type === SymbolType.Hex) { r = strtoull(str, 16); kind = 'unsigned'; }
  else { r = strtoll(str, 0); kind = 'signed'; }
  const ok = !r.erange && r.end === str.length && r.end > 0 && isXdigit(str[r.end - 1]);
  return ok ? { kind, v: r.value } : { kind: 'string', v: 0n };
}

/**
 * strcmp() of the UTF-8 bytes of two strings (its sign). UTF-8 keeps the order of code points,
 * so below the surrogates (U+D800) the first differing UTF-16 unit decides; otherwise the
 * strings are encoded and compared as bytes.
 */
const cmpStr = (a: string, b: string): number => {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if (x < 0xd800 && y < 0xd800) return x - y;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
};

/**
 * The value of an operand: a symbol leaf directly (the most frequent operand; sym_calc_value()
 * returns at once for a SYMBOL_VALID symbol, so that is tested here), else exprCalcValue().
 */
function operandValue(e: Expr): Tristate {
  if (e.type === 'symbol') {
    const sym = e.sym;
    if (!(sym.flags & SYMBOL_VALID)) symCalcValue(sym);
    return sym.curr.tri;
  }
  return exprCalcValue(e);
}

/**
 * expr_calc_value(): the tristate value of an expression (null is `y`). Comparisons compare as
 * numbers when both sides parse as numbers of their symbol types (hex as unsigned), else as
 * strings (strcmp).
 */
export function exprCalcValue(e: Expr | null): Tristate {
  if (!e) return yes;
  switch (e.type) {
    case 'symbol':
      return operandValue(e);
    // Both operands are always evaluated, left first, as in C (evaluation computes symbols).
    case 'and': {
      const a = operandValue(e.left);
      const b = operandValue(e.right);
      return a < b ? a : b;
    }
    case 'or': {
      const a = operandValue(e.left);
      const b = operandValue(e.right);
      return a > b ? a : b;
    }
    case 'not':
      return (2 - exprCalcValue(e.expr)) as Tristate;
    case 'list':
    case 'range':
      return no;
    default:
      break;
  }
  return compareValue(e);
}

/** expr_calc_value() of a comparison (E_EQUAL ... E_GEQ). */
function compareValue(e: Comp): Tristate {
  const left = e.left;
  const right = e.right;
  symCalcValue(left);
  symCalcValue(right);
  let res: number;
  const lt = left.type;
  const rt = right.type;
  if ((lt === SymbolType.Bool || lt === SymbolType.Tristate) && (rt === SymbolType.Bool || rt === SymbolType.Tristate)) {
    // Both values are "n"/"m"/"y" (sym_get_string_value of the tristate), which
    // expr_parse_string() reads back as the signed numbers 0/1/2: compare the tristates.
    res = left.curr.tri - right.curr.tri;
    return compareResult(e.type, res);
  }
  const str1 = symGetStringValue(left);
  const str2 = symGetStringValue(right);
  let k1: ReturnType<typeof parseString> = { kind: 'string', v: 0n };
  let k2: ReturnType<typeof parseString> = { kind: 'string', v: 0n };
  if (lt !== SymbolType.String || rt !== SymbolType.String) {
    k1 = parseString(str1, lt);
    k2 = parseString(str2, rt);
  }
  if (k1.kind === 'string' || k2.kind === 'string') res = Math.sign(cmpStr(str1, str2));
  else if (k1.kind === 'unsigned' || k2.kind === 'unsigned') {
    const a = BigInt.asUintN(64, k1.v);
    const b = BigInt.asUintN(64, k2.v);
    res = a > b ? 1 : a < b ? -1 : 0;
  } else res = k1.v > k2.v ? 1 : k1.v < k2.v ? -1 : 0;
  return compareResult(e.type, res);
}

/** The value of a comparison whose operands compare as `res` (< 0, 0, > 0). */
function compareResult(type: CompType, res: number): Tristate {
  switch (type) {
    case 'equal': return res ? no : yes;
    case 'geq': return res >= 0 ? yes : no;
    case 'gth': return res > 0 ? yes : no;
    case 'leq': return res <= 0 ? yes : no;
    case 'lth': return res < 0 ? yes : no;
    case 'unequal': return res ? yes : no;
  }
  return no;
}

// ---------------------------------------------------------------------------------------------
// Printing

/** Numeric `enum expr_type` of expr.h, for expr_compare_type(). */
const TYPE_NUM: Record<Expr['type'] | 'none', number> = {
  none: 0, or: 1, and: 2, not: 3, equal: 4, unequal: 5, lth: 6, leq: 7, gth: 8, geq: 9, list: 10, symbol: 11, range: 12,
};

/** expr_compare_type(): > 0 when an operand of type t2 under t1 needs parentheses. */
function compareType(t1: number, t2: number): number {
  if (t1 === t2) return 0;
  const [E_NONE, E_OR, E_AND, E_NOT, E_EQUAL, E_UNEQUAL, E_LTH, E_LEQ, E_GTH, E_GEQ, E_LIST] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  // C switch with fall-through, entered at t1.
  let stage: number;
  switch (t1) {
    case E_LEQ: case E_LTH: case E_GEQ: case E_GTH: stage = 0; break;
    case E_EQUAL: case E_UNEQUAL: stage = 1; break;
    case E_NOT: stage = 2; break;
    case E_AND: stage = 3; break;
    case E_OR: stage = 4; break;
    case E_LIST: stage = 5; break;
    default: return -1;
  }
  if (stage <= 0 && (t2 === E_EQUAL || t2 === E_UNEQUAL)) return 1;
  if (stage <= 1 && t2 === E_NOT) return 1;
  if (stage <= 2 && t2 === E_AND) return 1;
  if (stage <= 3 && t2 === E_OR) return 1;
  if (stage <= 4 && t2 === E_LIST) return 1;
  if (stage <= 5 && t2 === E_NONE) return 1;
  return -1;
}

/** Callback of expr_print(): receives the symbol a token names (or null) and the token text. */
export type ExprPrintFn = (sym: Sym | null, str: string) => void;

/**
 * expr_print(): print `e` token by token with the C tool's parenthesisation (`prevtoken` is the
 * enclosing operator; 'none' at the top). A null expression prints as `y`.
 */
export function exprPrint(e: Expr | null, fn: ExprPrintFn, prevtoken: Expr['type'] | 'none' = 'none'): void {
  if (!e) {
    fn(null, 'y');
    return;
  }
  const paren = compareType(TYPE_NUM[prevtoken], TYPE_NUM[e.type]) > 0;
  if (paren) fn(null, '(');
  const leftName = (s: Sym) => (s.name !== null ? fn(s, s.name) : fn(null, '<choice>'));
  switch (e.type) {
    case 'symbol':
      leftName(e.sym);
      break;
    case 'not':
      fn(null, '!');
      exprPrint(e.expr, fn, 'not');
      break;
    case 'equal':
    case 'unequal':
    case 'leq':
    case 'lth':
    case 'geq':
    case 'gth': {
      const op = { equal: '=', unequal: '!=', leq: '<=', lth: '<', geq: '>=', gth: '>' }[e.type];
      leftName(e.left);
      fn(null, op);
      fn(e.right, e.right.name ?? '');
      break;
    }
    case 'or':
      exprPrint(e.left, fn, 'or');
      fn(null, ' || ');
      exprPrint(e.right, fn, 'or');
      break;
    case 'and':
      exprPrint(e.left, fn, 'and');
      fn(null, ' && ');
      exprPrint(e.right, fn, 'and');
      break;
    case 'list':
      fn(e.sym, e.sym.name ?? '');
      if (e.next) {
        fn(null, ' ^ ');
        exprPrint(e.next, fn, 'list');
      }
      break;
    case 'range':
      fn(null, '[');
      fn(e.left, e.left.name ?? '');
      fn(null, ' ');
      fn(e.right, e.right.name ?? '');
      fn(null, ']');
      break;
  }
  if (paren) fn(null, ')');
}

/** expr_fprint() into a string: the expression as the C tool prints it (`A && (B || C)`). */
export function exprToString(e: Expr | null): string {
  let out = '';
  exprPrint(e, (_s, str) => { out += str; });
  return out;
}

/**
 * expr_gstr_print(): the expression with each symbol followed by ` [=value]` (symbol.c's
 * diagnostics, menuconfig's help). Symbols of unknown type get no value.
 */
export function exprGstrPrint(e: Expr | null): string {
  let out = '';
  exprPrint(e, (sym, str) => {
    out += str;
    if (sym && sym.type !== SymbolType.Unknown) out += ` [=${symGetStringValue(sym)}]`;
  });
  return out;
}

/**
 * expr_gstr_print_revdep(): the top-level `||` operands of a reverse dependency whose value is
 * `prType`, one per line as `  - expr`, preceded by `title` when any is printed.
 */
export function exprGstrPrintRevdep(e: Expr, prType: Tristate, title: string): string {
  let out = '';
  let t: string | null = title;
  const walk = (x: Expr): void => {
    if (x.type === 'or') {
      walk(x.left);
      walk(x.right);
    } else if (exprCalcValue(x) === prType) {
      if (t !== null) {
        out += t;
        t = null;
      }
      out += '  - ';
      out += exprGstrPrint(x);
      out += '\n';
    }
  };
  walk(e);
  return out;
}
