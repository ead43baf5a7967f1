/**
 * The line grammar (grammar/kconfig.ohm) and its semantics: canonical token text of one logical
 * line (see preprocess.ts tokenizeLine) -> a statement AST that parse.ts turns into the model
 * as parser.y's actions do.
 *
 * The grammar is loaded from the precompiled recipe `dist/grammar/kconfig.recipe.json`
 * (scripts/precompile-grammar.mjs: `{source, recipe}`) when its source equals
 * grammar/kconfig.ohm, and compiled from the .ohm otherwise. Results are cached by exact canonical text (many lines
 * repeat: `bool`, `help`, `default y`, `depends on PCI`, ...).
 *
 * Nothing is done at import time: ohm-js (its CommonJS build, so that it can be loaded
 * synchronously) and the grammar are loaded on the first line whose shape is not already known
 * (with the shape table of parse-cache.ts, a warm parse never loads them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as ohm from 'ohm-js';
import { KEYWORDS } from './lexer.js';

/** A symbol reference in an expression: a word (T_WORD) or a quoted string (T_WORD_QUOTE). */
export interface SymRef {
  /** The word or the string's text (unescaped). */
  w: string;
  /**
   * True for a quoted string (sym_lookup(..., SYMBOL_CONST)); absent for a word (statements
   * are stored in the parse cache, where the key would be paid for about 200,000 times).
   */
  q?: true;
}

/**
 * Expression syntax tree, before symbols are looked up. A word (T_WORD, the common case) is
 * the plain string; `{t: 'sym'}` is a quoted string (T_WORD_QUOTE, `s.q` true). Statements of
 * the kernel tree hold some 150,000 words, and the parse cache stores them as JSON: a string
 * there is a fifth of the size of the object and makes no objects when parsed.
 */
export type ExprAst =
  | string
  | { t: 'sym'; s: SymRef }
  | { t: 'not'; e: ExprAst }
  | { t: 'and' | 'or'; l: ExprAst; r: ExprAst }
  | { t: 'equal' | 'unequal' | 'lth' | 'leq' | 'gth' | 'geq'; l: SymRef; r: SymRef };

/** One statement of parser.y, as the line grammar recognises it. */
export type Stmt =
  | { k: 'config'; name: string }
  | { k: 'menuconfig'; name: string }
  | { k: 'help' }
  | { k: 'type'; type: 'bool' | 'tristate' | 'string' | 'hex' | 'int'; prompt: string | null; cond: ExprAst | null }
  | { k: 'depends'; expr: ExprAst }
  | { k: 'select' | 'imply'; name: string; cond: ExprAst | null }
  | { k: 'default'; kw: 'default' | 'def_bool' | 'def_tristate'; expr: ExprAst; cond: ExprAst | null }
  | { k: 'range'; a: SymRef; b: SymRef; cond: ExprAst | null }
  | { k: 'prompt'; text: string; cond: ExprAst | null }
  | { k: 'if'; expr: ExprAst }
  | { k: 'endif' | 'endmenu' | 'endchoice' | 'optional' | 'modules' }
  | { k: 'source'; kw: 'source' | 'rsource' | 'osource' | 'orsource'; path: string }
  | { k: 'comment' | 'menu' | 'mainmenu'; text: string }
  | { k: 'choice'; name: string | null }
  | { k: 'visible'; cond: ExprAst | null };

let ohmLib: typeof ohm | null = null;
/** ohm-js, loaded on first use. */
const ohmRuntime = (): typeof ohm => (ohmLib ??= createRequire(import.meta.url)('ohm-js') as typeof ohm);

const grammarPath = fileURLToPath(new URL('../../grammar/kconfig.ohm', import.meta.url));
const recipePath = fileURLToPath(new URL('../grammar/kconfig.recipe.json', import.meta.url));

/**
 * Load the grammar: the precompiled recipe when it matches grammar/kconfig.ohm, else compile.
 * @returns the Ohm grammar object
 */
export function loadGrammar(): ohm.Grammar {
  const source = readFileSync(grammarPath, 'utf8');
  if (existsSync(recipePath)) {
    try {
      const stored = JSON.parse(readFileSync(recipePath, 'utf8')) as { source?: string; recipe?: string };
      if (stored.source === source && typeof stored.recipe === 'string') {
        // makeRecipe is exported by ohm-js but missing from its type declarations.
        const make = (ohmRuntime() as unknown as { makeRecipe: (r: string) => ohm.Grammar }).makeRecipe;
        return make(stored.recipe);
      }
    } catch {
      // fall through to compiling the source
    }
  }
  return ohmRuntime().grammar(source);
}

let grammarAndSemantics: { grammar: ohm.Grammar; semantics: ohm.Semantics } | null = null;
/** The grammar and its `ast` operation, made on first use. */
function grammarOnce(): { grammar: ohm.Grammar; semantics: ohm.Semantics } {
  if (!grammarAndSemantics) {
    const grammar = loadGrammar();
    grammarAndSemantics = { grammar, semantics: grammar.createSemantics().addOperation('ast', AST_ACTIONS) };
  }
  return grammarAndSemantics;
}

const unquote = (s: string): string => s.slice(1, -1).replace(/\\(.)/g, '$1');

/**
 * Lines are matched in "shape" form: every word and string token replaced by `_` or `""`
 * (see {@link shapeOf}), so `depends on PCI && HAS_IOMEM` and `depends on USB && OF` share one
 * match. Word and string leaves of the template AST hold the token's ordinal in the line
 * (token ordinal = number of single spaces before it), and {@link parseLine} fills them in.
 */
interface Leaf {
  i: number;
}
const ordinal = (node: ohm.Node): Leaf => {
  const src = node.source;
  const before = src.sourceString.slice(0, src.startIdx);
  let n = 0;
  for (let k = 0; k < before.length; k++) if (before.charCodeAt(k) === 32) n++;
  return { i: n };
};

type N = ohm.Node;
const AST_ACTIONS: ohm.ActionDict<unknown> = {
  Line(l: N) { return l.ast(); },
  line(s: N, _e: N) { return s.ast(); },
  config(_k: N, _s: N, w: N) { return { k: 'config', name: w.ast() }; },
  menuconfig(_k: N, _s: N, w: N) { return { k: 'menuconfig', name: w.ast() }; },
  help(_k: N) { return { k: 'help' }; },
  type(t: N, p: N) {
    const po = p.ast() as [Leaf, unknown] | null;
    return { k: 'type', type: t.sourceString, prompt: po ? po[0] : null, cond: po ? po[1] : null };
  },
  promptOpt(sp: N, s: N, c: N) {
    if (sp.numChildren === 0) return null;
    return [s.child(0).ast(), c.child(0).ast()];
  },
  ifOpt(_sp: N, _if: N, _sp2: N, e: N) { return e.numChildren ? e.child(0).ast() : null; },
  depends(_k: N, _s: N, _on: N, _s2: N, e: N) { return { k: 'depends', expr: e.ast() }; },
  select(_k: N, _s: N, w: N, c: N) { return { k: 'select', name: w.ast(), cond: c.ast() }; },
  imply(_k: N, _s: N, w: N, c: N) { return { k: 'imply', name: w.ast(), cond: c.ast() }; },
  default(_k: N, _s: N, e: N, c: N) { return { k: 'default', kw: 'default', expr: e.ast(), cond: c.ast() }; },
  defType(k: N, _s: N, e: N, c: N) { return { k: 'default', kw: k.sourceString, expr: e.ast(), cond: c.ast() }; },
  range(_k: N, _s: N, a: N, _s2: N, b: N, c: N) { return { k: 'range', a: a.ast(), b: b.ast(), cond: c.ast() }; },
  prompt(_k: N, _s: N, t: N, c: N) { return { k: 'prompt', text: t.ast(), cond: c.ast() }; },
  ifStmt(_k: N, _s: N, e: N) { return { k: 'if', expr: e.ast() }; },
  endif(_k: N) { return { k: 'endif' }; },
  endmenu(_k: N) { return { k: 'endmenu' }; },
  endchoice(_k: N) { return { k: 'endchoice' }; },
  optional(_k: N) { return { k: 'optional' }; },
  modules(_k: N) { return { k: 'modules' }; },
  source(_k: N, _s: N, t: N) { return { k: 'source', kw: 'source', path: t.ast() }; },
  extSource(k: N, _s: N, t: N) { return { k: 'source', kw: k.sourceString, path: t.ast() }; },
  comment(_k: N, _s: N, t: N) { return { k: 'comment', text: t.ast() }; },
  menu(_k: N, _s: N, t: N) { return { k: 'menu', text: t.ast() }; },
  mainmenu(_k: N, _s: N, t: N) { return { k: 'mainmenu', text: t.ast() }; },
  choice(_k: N, _s: N, w: N) { return { k: 'choice', name: w.numChildren ? w.child(0).ast() : null }; },
  visible(_k: N, c: N) { return { k: 'visible', cond: c.ast() }; },
  expr_or(l: N, _s: N, _o: N, _s2: N, r: N) { return { t: 'or', l: l.ast(), r: r.ast() }; },
  andExpr_and(l: N, _s: N, _o: N, _s2: N, r: N) { return { t: 'and', l: l.ast(), r: r.ast() }; },
  unary_not(_o: N, _s: N, e: N) { return { t: 'not', e: e.ast() }; },
  unary_paren(_o: N, _s: N, e: N, _s2: N, _c: N) { return e.ast(); },
  unary_cmp(l: N, _s: N, op: N, _s2: N, r: N) {
    const t = CMP[op.sourceString];
    return { t, l: l.ast(), r: r.ast() };
  },
  unary_sym(s: N) { return { t: 'sym', s: s.ast() }; },
  symbol(s: N) { return s.ast(); },
  word(w: N) { return ordinal(w); },
  str(q: N, _b: N, _c: N) { return ordinal(q); },
};

const CMP: Record<string, string> = { '<': 'lth', '<=': 'leq', '>': 'gth', '>=': 'geq', '=': 'equal', '!=': 'unequal' };

const cache = new Map<string, unknown>();

/** Counters of the line cache, for benchmarks. */
export const grammarStats = { matches: 0, cacheHits: 0, exactHits: 0 };

/** Statements by exact canonical text (the returned objects are shared: never mutate them). */
const exactCache = new Map<string, Stmt | null>();

/** True for a token that is a word (T_WORD) in canonical text: a plain non-keyword word or an expanded word. */
const isWordToken = (t: string): boolean => t.charCodeAt(0) === 1 || (/^[A-Za-z0-9_-]+$/.test(t) && !KEYWORDS.has(t));

const EXT_SOURCE = new Set(['rsource', 'osource', 'orsource']);

/**
 * The shape of a canonical token list: words replaced by `_`, strings by `""` (a first
 * token rsource/osource/orsource is kept).
 * @param tokens canonical tokens (tokenizeLine().tokens)
 */
export function shapeOf(tokens: readonly string[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (i) out += ' ';
    const c = t.charCodeAt(0);
    // Kconfiglib's rsource/osource/orsource stay themselves as a first token (grammar: extSource).
    out += c === 34 ? '""' : i === 0 && EXT_SOURCE.has(t) ? t : isWordToken(t) ? '_' : t;
  }
  return out;
}

/** The value of token `t` as a word (T_WORD) or string (T_WORD_QUOTE). */
function leafValue(t: string): SymRef {
  const c = t.charCodeAt(0);
  if (c === 34) return { w: unquote(t), q: true };
  if (c === 1) return { w: t.slice(1, -1) };
  return { w: t };
}

function inst(x: unknown, tokens: readonly string[], asText: boolean): unknown {
  if (x === null) return null;
  const o = x as Record<string, unknown>;
  if (typeof o.i === 'number') {
    const v = leafValue(tokens[o.i]);
    return asText ? v.w : v;
  }
  if (typeof o.t === 'string') {
    // expression node
    switch (o.t) {
      case 'sym': {
        const r = inst(o.s, tokens, false) as SymRef;
        return r.q ? { t: 'sym', s: r } : r.w;
      }
      case 'not': return { t: 'not', e: inst(o.e, tokens, false) };
      default: return { t: o.t, l: inst(o.l, tokens, false), r: inst(o.r, tokens, false) };
    }
  }
  const r: Record<string, unknown> = {};
  for (const key of Object.keys(o)) {
    const v = o[key];
    if (v === null || typeof v !== 'object') r[key] = v;
    else if (key === 'a' || key === 'b') r[key] = inst(v, tokens, false);
    else r[key] = inst(v, tokens, key === 'name' || key === 'prompt' || key === 'text' || key === 'path');
  }
  return r;
}

/**
 * Forget the statements cached by exact line text (the shape table stays): a process that
 * parses once frees them once the parse is done.
 */
export function clearLineCache(): void {
  exactCache.clear();
}

/** The shape table (shape -> template AST or null), to persist it (parse-cache.ts). */
export function exportShapes(): [string, unknown][] {
  return [...cache.entries()];
}

/** Load a persisted shape table: shapes in it need no grammar match in this process. */
export function importShapes(entries: [string, unknown][]): void {
  for (const [k, v] of entries) if (!cache.has(k)) cache.set(k, v);
}

/**
 * Parse one canonical line.
 * @param tokens canonical tokens of the line (tokenizeLine().tokens), at least one
 * @returns the statement, or null when the line is not a statement of the language (a syntax
 *   error; the caller knows the context and reports parser.y's message)
 */
export function parseLine(tokens: readonly string[]): Stmt | null {
  const key = tokens.join(' ');
  const exact = exactCache.get(key);
  if (exact !== undefined) {
    grammarStats.exactHits++;
    return exact;
  }
  const stmt = parseShape(tokens);
  if (exactCache.size >= 500_000) exactCache.clear(); // bound the memory of long-lived processes
  exactCache.set(key, stmt);
  return stmt;
}

function parseShape(tokens: readonly string[]): Stmt | null {
  const shape = shapeOf(tokens);
  let tpl = cache.get(shape);
  if (tpl === undefined) {
    grammarStats.matches++;
    const { grammar, semantics } = grammarOnce();
    const m = grammar.match(shape, 'line');
    tpl = m.succeeded() ? semantics(m).ast() : null;
    cache.set(shape, tpl);
  } else grammarStats.cacheHits++;
  return tpl === null ? null : (inst(tpl, tokens, false) as Stmt);
}
