/**
 * The Kconfig data model: symbols, properties, expressions and menu nodes.
 *
 * This mirrors scripts/kconfig/expr.h and lkc.h of Linux 6.1 closely on purpose: the parser
 * (src/kconfig/parse.ts) builds these structures exactly as parser.y's actions do, and the
 * evaluator (menu finalisation, symbol.c, confdata.c) consumes them. Field names follow the C
 * structures so that a reader can hold this code against scripts/kconfig/*.c line by line.
 *
 * Version notes: where Linux 6.12 differs (choices are bool-only and nameless, no `optional`),
 * the difference is handled by the consumer according to {@link KconfigTree.version}; the model
 * is shared.
 */

/** Tristate value as in expr.h `enum tristate`: 0 = n, 1 = m, 2 = y. */
export type Tristate = 0 | 1 | 2;
export const no: Tristate = 0;
export const mod: Tristate = 1;
export const yes: Tristate = 2;

/** `enum symbol_type` of expr.h. */
export enum SymbolType {
  Unknown = 0,
  Bool = 1,
  Tristate = 2,
  Int = 3,
  Hex = 4,
  String = 5,
}

/**
 * Index into {@link Sym.def}: `S_DEF_USER` (.config), `S_DEF_AUTO` (auto.conf). C's enum also
 * has S_DEF_DEF3 and S_DEF_DEF4, "reserved for UI usage", which nothing in scripts/kconfig
 * (6.1 or 6.12) reads or writes: their slots are not allocated here (two objects fewer per
 * symbol to build and to collect on every run).
 */
export const S_DEF_USER = 0;
export const S_DEF_AUTO = 1;
export const S_DEF_COUNT = 2;

/** Symbol flags (expr.h `SYMBOL_*`), kept as the same bit values. */
export const SYMBOL_CONST = 0x0001;
export const SYMBOL_CHECK = 0x0008;
export const SYMBOL_CHOICE = 0x0010;
export const SYMBOL_CHOICEVAL = 0x0020;
export const SYMBOL_VALID = 0x0080;
export const SYMBOL_OPTIONAL = 0x0100;
export const SYMBOL_WRITE = 0x0200;
export const SYMBOL_CHANGED = 0x0400;
export const SYMBOL_WRITTEN = 0x0800;
export const SYMBOL_NO_WRITE = 0x1000;
export const SYMBOL_CHECKED = 0x2000;
export const SYMBOL_WARNED = 0x8000;
export const SYMBOL_DEF = 0x10000;
export const SYMBOL_DEF_USER = 0x10000;
export const SYMBOL_DEF_AUTO = 0x20000;
export const SYMBOL_DEF3 = 0x40000;
export const SYMBOL_DEF4 = 0x80000;
export const SYMBOL_NEED_SET_CHOICE_VALUES = 0x100000;

/** Menu flags (expr.h `MENU_*`). */
export const MENU_CHANGED = 0x0001;
export const MENU_ROOT = 0x0002;

/**
 * An expression node, `struct expr` of expr.h. Leaves of comparisons hold symbols (constant
 * symbols for quoted strings; plain words such as `0x100` are ordinary, non-const symbols, as
 * sym_lookup() makes them).
 */
export type Expr =
  | { type: 'symbol'; sym: Sym }
  | { type: 'not'; expr: Expr }
  | { type: 'and' | 'or'; left: Expr; right: Expr }
  | { type: 'equal' | 'unequal' | 'lth' | 'leq' | 'gth' | 'geq'; left: Sym; right: Sym }
  /** `E_RANGE`: the expression of a `range` property. */
  | { type: 'range'; left: Sym; right: Sym }
  /** `E_LIST`: the member list of a P_CHOICE property (6.1); `next` chains like the C list. */
  | { type: 'list'; sym: Sym; next: Expr | null };

/** `struct expr_value`: an expression plus its last computed tristate. */
export interface ExprValue {
  expr: Expr | null;
  tri: Tristate;
}

/** `struct symbol_value`: the string value (for int/hex/string and names) and the tristate. */
export interface SymbolValue {
  val: string | null;
  tri: Tristate;
}

/** `enum prop_type` of expr.h. */
export type PropType =
  | 'unknown'
  | 'prompt'
  | 'comment'
  | 'menu'
  | 'default'
  | 'choice'
  | 'select'
  | 'imply'
  | 'range'
  | 'symbol';

/** A property of a symbol or menu node, `struct property` of expr.h. */
export interface Property {
  type: PropType;
  /** Prompt text, for prompt/comment/menu properties; null otherwise. */
  text: string | null;
  /** The `if` condition (and, after menu finalisation, the inherited dependencies). */
  visible: ExprValue;
  /** The property's expression: default value, selected symbol, range, choice list. */
  expr: Expr | null;
  /** The menu node the property was declared in. */
  menu: Menu;
  /** Source location of the declaring line (1-based line, file as given to `source`). */
  filename: string;
  lineno: number;
}

/** A Kconfig symbol, `struct symbol` of expr.h. Choices are symbols too (SYMBOL_CHOICE). */
export interface Sym {
  /** Null for a choice symbol (6.1 choices may be named: then it is the name). */
  name: string | null;
  type: SymbolType;
  curr: SymbolValue;
  /** Values by source: S_DEF_USER (.config), S_DEF_AUTO (auto.conf); S_DEF_COUNT slots. */
  def: SymbolValue[];
  visible: Tristate;
  flags: number;
  /** Properties in declaration order (C keeps a singly linked list in the same order). */
  props: Property[];
  /** Direct dependencies (`depends on`, plus inherited menu/if dependencies), after finalisation. */
  dir_dep: ExprValue;
  /** Reverse dependencies: the OR of `X && cond` for every `select` of this symbol. */
  rev_dep: ExprValue;
  /** Weak reverse dependencies: the OR for every `imply` of this symbol. */
  implied: ExprValue;
  /** Menu nodes that define this symbol (a symbol may be defined in several places). */
  menus: Menu[];
  /** Free slot for the evaluator (e.g. choice bookkeeping); the parser leaves it undefined. */
  data?: unknown;
}

/** A menu node, `struct menu` of expr.h: config entries, menus, comments, choices, if blocks. */
export interface Menu {
  /** Next sibling, parent and first child, as in the C tree. */
  next: Menu | null;
  parent: Menu | null;
  list: Menu | null;
  /** The symbol of a config/menuconfig/choice entry; null for menu, comment, if, root. */
  sym: Sym | null;
  /** The prompt property (P_PROMPT for symbols, P_MENU for menus, P_COMMENT for comments). */
  prompt: Property | null;
  /** `visible if` of a menu. */
  visibility: Expr | null;
  /** `depends on` of this node (an `if` block's condition for an if node). */
  dep: Expr | null;
  flags: number;
  /** Help text with the indentation stripped as the kernel's lexer does, or null. */
  help: string | null;
  /** The file that declares this node and the 1-based line of its keyword. */
  file: string;
  lineno: number;
  /** True for a `menuconfig` entry (6.1 stores this as menu->prompt... / "menuconfig" in C). */
  isMenuconfig?: boolean;
  /** Free slot for later stages (the evaluator, the TUI). */
  data?: unknown;
}

/**
 * The result of parsing a whole Kconfig tree (conf_parse() in parser.y).
 */
export interface KconfigTree {
  /** Kernel version whose language and semantics apply: '6.1' or '6.12'. */
  version: KconfigVersion;
  /** The root menu node (`rootmenu` in C); its prompt is the `mainmenu` text. */
  rootMenu: Menu;
  /**
   * Every symbol in creation order, including constant symbols (y, m, n, quoted strings),
   * as sym_lookup() creates them. Choice symbols are included.
   */
  symbols: Sym[];
  /** Non-constant named symbols by name (sym_find()). */
  byName: Map<string, Sym>;
  /** The symbol marked with the `modules` attribute (modules_sym), or null. */
  modulesSym: Sym | null;
  /** Files read, in the order they were opened (the main Kconfig first). */
  files: string[];
  /** Environment variables referenced by the macro language, with the values seen (env_list). */
  env: Map<string, string>;
  /** The built-in constant symbols. */
  symbolYes: Sym;
  symbolMod: Sym;
  symbolNo: Sym;
  symbolEmpty: Sym;
}

/** Kernel versions whose Kconfig semantics kbuildts implements. */
export type KconfigVersion = '6.1' | '6.12';

/** An error with a source location; rendered `file:line:col: message` by the CLI. */
export class KconfigError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number,
    public readonly col: number,
    public readonly detail: string,
  ) {
    super(`${file}:${line}:${col}: ${detail}`);
    this.name = 'KconfigError';
  }
}
