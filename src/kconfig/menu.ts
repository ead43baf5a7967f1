/**
 * Menu finalisation and menu queries: a port of Linux 6.1 scripts/kconfig/menu.c
 * (menu_finalize, rewrite_m, sym_check_prop, menu_is_visible, menu_get_prompt,
 * menu_get_parent_menu) and of the tail of conf_parse() in parser.y (modules_sym default,
 * "Main menu" prompt, sym_check_deps over the symbol table).
 *
 * Input: a {@link KconfigTree} as parseKconfig() returns it (parser.y + menu_add_* state,
 * before menu_finalize). Output: the same tree, finalised in place: dependencies propagated to
 * menus and properties, `select`/`imply` turned into rev_dep/implied, choices' member lists
 * built, automatic submenus created and `if` blocks flattened.
 *
 * Linux 6.12 (tree.version '6.12'): _menu_finalize() of 6.12's menu.c (choice members carry the
 * menu dependencies directly, no P_CHOICE/E_LIST, no choice reverse dependency, no automatic
 * submenus inside a choice), the members' priority lists as parser.y builds them, and the tail
 * of 6.12's conf_parse() (sym_check_deps over the menu tree, choice_check_sanity).
 */
import type { Expr, KconfigTree, Menu, Property, PropType, Sym } from './model.js';
import { KconfigError, SymbolType, SYMBOL_CHOICEVAL, SYMBOL_DEF_USER, SYMBOL_WARNED } from './model.js';
import {
  exprAllocAnd, exprAllocComp, exprAllocOr, exprAllocSymbol, exprCalcValue, exprContainsSymbol, exprCopy,
  exprDependsSymbol, exprDupsNoJoin, exprDupsNoJoinAnd, exprEliminateDups, exprEliminateEq, exprEq, exprGstrPrint, exprGstrPrintRevdep, exprIsYes,
  exprTestsBoolForM, exprTransCompare, exprTransform,
} from './expr.js';
import {
  createContext, ctx, propGetSymbol, resetDepStack, symCalcValue, symCheckDeps, symGetChoiceProp, symGetRangeProp,
  symGetStringValue,
  symIsChoice, symIsChoiceValue, symIsOptional, symStringValid, symTypeName, useContext,
  symGetChoiceMenu, subEntries,
  type EvalContext,
} from './evaluate.js';

function menuWarn(menu: Menu, msg: string): void {
  ctx().stderr(`${menu.file}:${menu.lineno}:warning: ${msg}\n`);
}

function propWarn(prop: Property, msg: string): void {
  ctx().stderr(`${prop.filename}:${prop.lineno}:warning: ${msg}\n`);
}

/** rewrite_m(): `m` becomes `m && MODULES` so that it is n without modules. In place. */
function rewriteM(e: Expr | null): Expr | null {
  if (!e) return e;
  const c = ctx();
  return rewriteMNode(e, c.tree.symbolMod, c.modulesSym);
}

/** rewrite_m() of a node: `mod` is symbol_mod, `modules` modules_sym. */
function rewriteMNode(e: Expr, mod: Sym, modules: Sym): Expr {
  switch (e.type) {
    case 'not':
      e.expr = rewriteMNode(e.expr, mod, modules);
      break;
    case 'or':
    case 'and':
      e.left = rewriteMNode(e.left, mod, modules);
      e.right = rewriteMNode(e.right, mod, modules);
      break;
    case 'symbol':
      if (e.sym === mod) return { type: 'and', left: e, right: exprAllocSymbol(modules) };
      break;
    default:
      break;
  }
  return e;
}

/** menu_set_type() on the entry `entry`: set an unknown type, or warn about a redefinition. */
function menuSetType(entry: Menu, type: SymbolType): void {
  const sym = entry.sym!;
  if (sym.type === type) return;
  if (sym.type === SymbolType.Unknown) {
    sym.type = type;
    dupsFixed.clear(); // the joins read the types
    return;
  }
  menuWarn(entry, `ignoring type redefinition of '${sym.name ?? '<choice>'}' from '${symTypeName(sym.type)}' to '${symTypeName(type)}'`);
}

/** menu_add_prop() for properties created during finalisation (P_CHOICE of choice values). */
function addProp(entry: Menu, type: PropType, expr: Expr | null, file: string, lineno: number): Property {
  const prop: Property = { type, text: null, visible: { expr: null, tri: 0 }, expr, menu: entry, filename: file, lineno };
  if (entry.sym) entry.sym.props.push(prop);
  return prop;
}

function menuValidateNumber(sym: Sym, sym2: Sym): boolean {
  return sym2.type === SymbolType.Int || sym2.type === SymbolType.Hex ||
    (sym2.type === SymbolType.Unknown && symStringValid(sym, sym2.name ?? ''));
}

/** sym_check_prop(): the kernel's property warnings (default/select/imply/range misuse). */
function symCheckProp(sym: Sym): void {
  for (const prop of sym.props) {
    switch (prop.type) {
      case 'default': {
        if ((sym.type === SymbolType.String || sym.type === SymbolType.Int || sym.type === SymbolType.Hex) && prop.expr?.type !== 'symbol')
          propWarn(prop, `default for config symbol '${sym.name}' must be a single symbol`);
        if (prop.expr?.type !== 'symbol') break;
        const sym2 = propGetSymbol(prop)!;
        if (sym.type === SymbolType.Hex || sym.type === SymbolType.Int) {
          if (!menuValidateNumber(sym, sym2)) propWarn(prop, `'${sym.name}': number is invalid`);
        }
        if (symIsChoice(sym) && ctx().v612) {
          const choice = symGetChoiceMenu(sym2);
          if (!choice || choice.sym !== sym)
            propWarn(prop, `choice default symbol '${sym2.name}' is not contained in the choice`);
        } else if (symIsChoice(sym)) {
          const cp = symGetChoiceProp(sym2);
          if (!cp || propGetSymbol(cp) !== sym)
            propWarn(prop, `choice default symbol '${sym2.name}' is not contained in the choice`);
        }
        break;
      }
      case 'select':
      case 'imply': {
        const use = prop.type;
        const sym2 = propGetSymbol(prop)!;
        if (sym.type !== SymbolType.Bool && sym.type !== SymbolType.Tristate)
          propWarn(prop, `config symbol '${sym.name}' uses ${use}, but is not bool or tristate`);
        else if (sym2.type !== SymbolType.Unknown && sym2.type !== SymbolType.Bool && sym2.type !== SymbolType.Tristate)
          propWarn(prop, `'${sym2.name}' has wrong type. '${use}' only accept arguments of bool and tristate type`);
        break;
      }
      case 'range':
        if (sym.type !== SymbolType.Int && sym.type !== SymbolType.Hex) propWarn(prop, 'range is only allowed for int or hex symbols');
        if (prop.expr?.type === 'range' && (!menuValidateNumber(sym, prop.expr.left) || !menuValidateNumber(sym, prop.expr.right)))
          propWarn(prop, 'range is invalid');
        break;
      default:
        break;
    }
  }
}

/**
 * The first loop of menu_finalize() over a parent's children, the same in Linux 6.1 and 6.12:
 * the child's dependency becomes `parentdep && dep` (with `m` rewritten to `m && MODULES`,
 * transformed, duplicates eliminated), each of its properties' visibility `dep && visible`, and
 * a `select`/`imply` adds `sym && visibility` to the target's rev_dep/implied. In place.
 * @param parentdep the parent's dependency (6.1: the choice symbol for a choice's members)
 * @param copy rewrite copies of the child's dependency and visibilities (6.12, whose expressions
 *   are shared and immutable) instead of the expressions themselves (6.1); see also
 *   {@link andEliminateDups}
 */
function finalizeChildDeps(menu: Menu, parentdep: Expr | null, copy: boolean): void {
  let basedep = rewriteM(copy ? exprCopy(menu.dep) : menu.dep);
  basedep = exprTransform(basedep);
  basedep = andEliminateDups(parentdep, basedep, copy);
  menu.dep = basedep;
  if (!copy && basedep) dupsFixed.add(basedep);

  const props: Property[] = menu.sym ? menu.sym.props : menu.prompt ? [menu.prompt] : [];
  // Iterate over a snapshot length: C walks the linked list, which finalisation of this node
  // does not extend.
  for (let i = 0; i < props.length; i++) {
    const prop = props[i];
    if (prop.menu !== menu) continue;
    let dep = rewriteM(copy ? exprCopy(prop.visible.expr) : prop.visible.expr);
    dep = exprTransform(dep);
    dep = andEliminateDups(basedep, dep, copy);
    prop.visible.expr = dep;
    if (prop.type === 'select' || prop.type === 'imply') {
      const es = propGetSymbol(prop)!;
      const target = prop.type === 'select' ? es.rev_dep : es.implied;
      target.expr = exprAllocOr(target.expr, exprAllocAnd(exprAllocSymbol(menu.sym!), copy ? exprCopy(dep) : dep));
    }
  }
}

/**
 * (performance, 6.1) Menu dependencies that are fixed points of expr_eliminate_dups() under the
 * current symbol types: a pass of it over them joins nothing. Every dependency
 * {@link andEliminateDups} returns is one (either nothing would join, or it is what
 * expr_eliminate_dups() returned after a pass that joined nothing), and stays one: it is not
 * rewritten in place afterwards, and a pass is a pure function of the tree and the symbol types
 * (the joins test bool/tristate), so the set is emptied when menu_set_type() changes a type.
 * Filled and emptied by one {@link finalizeTree}.
 */
const dupsFixed = new Set<Expr>();

/**
 * expr_eliminate_dups(expr_alloc_and(expr_copy(a), b)) as menu_finalize() writes it.
 *
 * (performance, 6.1 only: `copy` false) The copy of `a` exists because the elimination rewrites
 * in place; when it would rewrite nothing ({@link exprDupsNoJoin}), `a` itself is used, shared.
 * That is safe because after menu_finalize()'s first loop nothing rewrites these expressions in
 * place: later steps read them, copy them, or build new nodes on top (expr_trans_compare() makes
 * a new tree). The kernel tree's ~300,000 copied nodes per run were most of the front end's
 * garbage-collection work. 6.12 (`copy` true) keeps the copies: its elimination always rebuilds.
 *
 * `a` is nearly always the parent's dependency, a fixed point ({@link dupsFixed}), or a single
 * leaf (a choice symbol), which no pass changes. Then `a` alone (b null: three in four calls)
 * is the result, the elimination of a copy of it joining nothing; and for `a && b` only the
 * pairs with a leaf of `b` need checking ({@link exprDupsNoJoinAnd}).
 */
function andEliminateDups(a: Expr | null, b: Expr | null, copy: boolean): Expr | null {
  if (!copy) {
    if (a && ((a.type !== 'and' && a.type !== 'or') || dupsFixed.has(a))) {
      if (!b) return a;
      const shared: Expr = { type: 'and', left: a, right: b };
      if (exprDupsNoJoinAnd(shared)) return shared;
    } else {
      const shared = exprAllocAnd(a, b);
      if (exprDupsNoJoin(shared)) return shared;
    }
  }
  return exprEliminateDups(exprAllocAnd(exprCopy(a), b));
}

/**
 * menu_finalize(): a node without a prompt (an `if` block, a promptless entry with children) has
 * its children lifted into `parent`'s list right after it, as both Linux 6.1 and 6.12 menu.c do.
 */
function liftPromptlessChildren(menu: Menu, parent: Menu): void {
  if (!menu.list || (menu.prompt && menu.prompt.text)) return;
  let last: Menu = menu.list;
  for (;;) {
    last.parent = parent;
    if (!last.next) break;
    last = last.next;
  }
  last.next = menu.next;
  menu.next = menu.list;
  menu.list = null;
}

/** menu_finalize(): see the module comment. Recursive over `parent`'s subtree. */
export function menuFinalize(parent: Menu): void {
  const c = ctx();
  if (c.v612) {
    menuFinalize612(parent, false);
    return;
  }
  const sym = parent.sym;
  if (parent.list) {
    let parentdep: Expr | null;
    if (sym && symIsChoice(sym)) {
      if (sym.type === SymbolType.Unknown) {
        for (let menu: Menu | null = parent.list; menu; menu = menu.next) {
          if (menu.sym && menu.sym.type !== SymbolType.Unknown) {
            menuSetType(parent, menu.sym.type);
            break;
          }
        }
      }
      for (let menu: Menu | null = parent.list; menu; menu = menu.next) {
        if (menu.sym && menu.sym.type === SymbolType.Unknown) menuSetType(menu, sym.type);
      }
      parentdep = exprAllocSymbol(sym);
    } else {
      parentdep = parent.dep;
    }

    for (let menu: Menu | null = parent.list; menu; menu = menu.next) finalizeChildDeps(menu, parentdep, false);
    for (let menu: Menu | null = parent.list; menu; menu = menu.next) menuFinalize(menu);
  } else if (sym) {
    // (performance) `basedep` is used only when the next node depends on `sym`; for most
    // symbols none does and the loop stops at once. Computing it has no visible effect unless
    // expr_transform() prints its "tested for 'm'" notice, so it is skipped when neither is the
    // case. When it is needed it is computed here, before the loop, as C does (the loop's
    // menu_finalize() calls can set symbol types, which the transformation reads).
    const visible = parent.prompt ? parent.prompt.visible.expr : null;
    const first = parent.next;
    let basedep: Expr | null = null;
    if ((first && exprContainsSymbol(first.prompt ? first.prompt.visible.expr : first.dep, sym)) || exprTestsBoolForM(visible)) {
      basedep = exprTransCompare(visible, 'unequal', c.tree.symbolNo);
      basedep = exprEliminateDups(exprTransform(basedep));
    }
    let lastMenu: Menu | null = null;
    for (let menu: Menu | null = parent.next; menu; menu = menu.next) {
      let dep: Expr | null = menu.prompt ? menu.prompt.visible.expr : menu.dep;
      if (!exprContainsSymbol(dep, sym)) break;
      if (!exprDependsSymbol(dep, sym)) {
        dep = exprTransCompare(dep, 'unequal', c.tree.symbolNo);
        dep = exprEliminateDups(exprTransform(dep));
        const r1 = { v: dep, get: () => r1.v, set: (x: Expr) => { r1.v = x; } };
        const r2 = { v: exprCopy(basedep), get: () => r2.v, set: (x: Expr) => { r2.v = x; } };
        exprEliminateEq(r1, r2);
        if (!exprIsYes(r2.v)) break;
      }
      menuFinalize(menu);
      menu.parent = parent;
      lastMenu = menu;
    }
    if (lastMenu) {
      parent.list = parent.next;
      parent.next = lastMenu.next;
      lastMenu.next = null;
    }
    sym.dir_dep.expr = exprAllocOr(sym.dir_dep.expr, parent.dep);
  }

  for (let menu: Menu | null = parent.list; menu; menu = menu.next) {
    if (sym && symIsChoice(sym) && menu.sym && !symIsChoiceValue(menu.sym)) {
      const msym = menu.sym;
      msym.flags |= SYMBOL_CHOICEVAL;
      if (!menu.prompt) menuWarn(menu, 'choice value must have a prompt');
      for (const prop of msym.props) {
        if (prop.type === 'default') propWarn(prop, 'defaults for choice values not supported');
        if (prop.menu === menu) continue;
        if (prop.type === 'prompt' && prop.menu.parent?.sym !== sym) propWarn(prop, 'choice value used outside its choice group');
      }
      if (sym.type === SymbolType.Tristate && msym.type !== SymbolType.Tristate) {
        const basedep = exprAllocComp('equal', sym, c.tree.symbolYes);
        menu.dep = exprAllocAnd(basedep, menu.dep);
        for (const prop of msym.props) {
          if (prop.menu !== menu) continue;
          prop.visible.expr = exprAllocAnd(exprCopy(basedep), prop.visible.expr);
        }
      }
      addProp(menu, 'choice', exprAllocSymbol(sym), menu.file, menu.lineno);
      const cprop = symGetChoiceProp(sym)!;
      const node: Expr = { type: 'list', sym: msym, next: null };
      if (!cprop.expr) cprop.expr = node;
      else {
        let e = cprop.expr;
        while (e.type === 'list' && e.next) e = e.next;
        if (e.type === 'list') e.next = node;
      }
    }
    liftPromptlessChildren(menu, parent);
  }

  if (sym && !(sym.flags & SYMBOL_WARNED)) {
    if (sym.type === SymbolType.Unknown) menuWarn(parent, 'config symbol defined without type');
    if (symIsChoice(sym) && !parent.prompt) menuWarn(parent, 'choice must have a prompt');
    symCheckProp(sym);
    sym.flags |= SYMBOL_WARNED;
  }

  if (sym && !symIsOptional(sym) && parent.prompt) {
    sym.rev_dep.expr = exprAllocOr(sym.rev_dep.expr, exprAllocAnd(parent.prompt.visible.expr, exprAllocSymbol(c.tree.symbolMod)));
  }
}

/**
 * _menu_finalize() of Linux 6.12's menu.c: as 6.1 but choices are plain parents (their members
 * carry the menu dependencies directly, no P_CHOICE list, no choice type inference, no
 * `<visibility> && m` reverse dependency), and no automatic submenus inside a choice.
 * Expressions are copied before rewriting: 6.12's are immutable (hash-consed), ours are
 * rewritten in place and may be shared (menu visibility).
 */
function menuFinalize612(parent: Menu, insideChoice: boolean): void {
  const c = ctx();
  const sym = parent.sym;
  if (parent.list) {
    for (let menu: Menu | null = parent.list; menu; menu = menu.next) finalizeChildDeps(menu, parent.dep, true);
    const inChoice = !!sym && symIsChoice(sym);
    for (let menu: Menu | null = parent.list; menu; menu = menu.next) menuFinalize612(menu, inChoice);
  } else if (!insideChoice && sym) {
    let basedep: Expr | null = parent.prompt ? exprCopy(parent.prompt.visible.expr) : null;
    basedep = exprTransCompare(basedep, 'unequal', c.tree.symbolNo);
    basedep = exprEliminateDups(exprTransform(basedep));
    let lastMenu: Menu | null = null;
    for (let menu: Menu | null = parent.next; menu; menu = menu.next) {
      let dep: Expr | null = exprCopy(menu.prompt ? menu.prompt.visible.expr : menu.dep);
      if (!exprContainsSymbol(dep, sym)) break;
      if (!exprDependsSymbol(dep, sym)) {
        dep = exprTransCompare(dep, 'unequal', c.tree.symbolNo);
        dep = exprEliminateDups(exprTransform(dep));
        const r1 = { v: dep, get: () => r1.v, set: (x: Expr) => { r1.v = x; } };
        const r2 = { v: exprCopy(basedep), get: () => r2.v, set: (x: Expr) => { r2.v = x; } };
        exprEliminateEq(r1, r2);
        if (!exprIsYes(r2.v)) break;
      }
      menuFinalize612(menu, false);
      menu.parent = parent;
      lastMenu = menu;
    }
    if (lastMenu) {
      parent.list = parent.next;
      parent.next = lastMenu.next;
      lastMenu.next = null;
    }
    sym.dir_dep.expr = exprAllocOr(sym.dir_dep.expr, exprCopy(parent.dep));
  }
  for (let menu: Menu | null = parent.list; menu; menu = menu.next) {
    liftPromptlessChildren(menu, parent);
  }
  if (sym && !(sym.flags & SYMBOL_WARNED)) {
    if (sym.type === SymbolType.Unknown) menuWarn(parent, 'config symbol defined without type');
    symCheckProp(sym);
    sym.flags |= SYMBOL_WARNED;
  }
}

/**
 * 6.12's choice member lists as parser.y builds them (menu->choice_members): every `config`
 * entry met while a choice block is open joins that choice's list, in parse order, unless it
 * is already on a list; the end of any choice block closes the open choice.
 */
function buildChoiceLists612(c: EvalContext): void {
  let current: Menu | null = null;
  const walk = (m: Menu): void => {
    for (let menu: Menu | null = m.list; menu; menu = menu.next) {
      const s = menu.sym;
      if (s && symIsChoice(s)) {
        c.choiceList.set(menu, []);
        current = menu;
        walk(menu);
        current = null;
        continue;
      }
      if (s && current && !menu.isMenuconfig && !c.choiceLink.has(s)) {
        c.choiceList.get(current)!.push(s);
        c.choiceLink.set(s, current);
      }
      if (menu.list) walk(menu);
    }
  };
  walk(c.tree.rootMenu);
}

/** Options of {@link finalizeTree}. */
export interface FinalizeOptions {
  /** Environment the tool reads (KCONFIG_*, CONFIG_); default process.env. */
  env?: Record<string, string | undefined>;
  /** Sinks for the tool's stdout/stderr text (default: collected in the context). */
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}

/**
 * The tail of conf_parse() (parser.y): default modules_sym to `n`, give the root menu the
 * "Main menu" prompt when there is no `mainmenu`, menu_finalize() the whole tree, and run
 * sym_check_deps() over the symbol table. Creates and activates the evaluation context.
 * @returns the new current {@link EvalContext}.
 * @throws KconfigError at the first recursive dependency (after printing the kernel's chain).
 */
export function finalizeTree(tree: KconfigTree, opts: FinalizeOptions = {}): EvalContext {
  const c = createContext(tree, opts.env ?? process.env);
  if (opts.stdout) c.stdout = opts.stdout;
  if (opts.stderr) c.stderr = opts.stderr;
  useContext(c);
  const root = tree.rootMenu;
  if (!root.prompt) {
    root.prompt = { type: 'menu', text: 'Main menu', visible: { expr: null, tri: 0 }, expr: null, menu: root, filename: root.file, lineno: root.lineno };
  }
  if (c.v612) {
    buildChoiceLists612(c);
    menuFinalize(root);
    c.choiceMenuMemo = new Map();
    resetDepStack();
    let errors = 0;
    let first: Sym | null = null;
    for (const menu of subEntries(root)) {
      const s = menu.sym;
      if (s && symCheckDeps(s)) {
        errors++;
        first ??= s;
      }
      if (s && symIsChoice(s)) {
        for (const child of subEntries(menu)) {
          if (!child.sym) continue;
          for (const prop of child.sym.props) {
            if (prop.type === 'default') {
              c.stderr(`${prop.filename}:${prop.lineno}: error: defaults for choice values not supported\n`);
              errors++;
              first ??= child.sym;
            }
            if (prop.menu !== child && prop.type === 'prompt' && prop.menu.parent !== child.parent) {
              c.stderr(`${prop.filename}:${prop.lineno}: error: choice value has a prompt outside its choice group\n`);
              errors++;
              first ??= child.sym;
            }
          }
        }
      }
    }
    if (errors) {
      const m = first!.menus[0] ?? root;
      throw new KconfigError(m.file, m.lineno, 1, `recursive dependency or invalid choice involving ${first!.name ?? '<choice>'}`);
    }
    c.confChanged = true;
    return c;
  }
  dupsFixed.clear();
  try {
    menuFinalize(root);
  } finally {
    dupsFixed.clear();
  }
  resetDepStack();
  let errors = 0;
  let first: Sym | null = null;
  for (const s of c.hashOrder) {
    const r = symCheckDeps(s);
    if (r) {
      errors++;
      first ??= r;
    }
  }
  if (errors) {
    const m = first!.menus[0] ?? root;
    throw new KconfigError(m.file, m.lineno, 1, `recursive dependency detected involving ${first!.name ?? '<choice>'}`);
  }
  c.confChanged = true;
  return c;
}

/**
 * menu_is_visible(): whether a menu node shows (its prompt's visibility; for a symbol whose own
 * prompt is hidden, whether any child is visible, which sets SYMBOL_DEF_USER as C does).
 */
export function menuIsVisible(menu: Menu): boolean {
  if (!menu.prompt) return false;
  if (menu.visibility) {
    if (exprCalcValue(menu.visibility) === 0) return false;
  }
  const sym = menu.sym;
  let visible;
  if (sym) {
    symCalcValue(sym);
    visible = menu.prompt.visible.tri;
  } else {
    visible = menu.prompt.visible.tri = exprCalcValue(menu.prompt.visible.expr);
  }
  if (visible !== 0) return true;
  if (!sym || sym.curr.tri === 0) return false;
  for (let child = menu.list; child; child = child.next) {
    if (menuIsVisible(child)) {
      if (!ctx().v612) sym.flags |= SYMBOL_DEF_USER;
      return true;
    }
  }
  return false;
}

/** menu_is_empty(): no visible child. */
export function menuIsEmpty(menu: Menu): boolean {
  for (let child = menu.list; child; child = child.next) if (menuIsVisible(child)) return false;
  return true;
}

/** menu_get_prompt(): the prompt text, else the symbol name, else null. */
export function menuGetPrompt(menu: Menu): string | null {
  if (menu.prompt) return menu.prompt.text;
  if (menu.sym) return menu.sym.name;
  return null;
}

/** menu_get_parent_menu(): the nearest enclosing node with a P_MENU prompt (or the root). */
export function menuGetParentMenu(menu: Menu): Menu {
  const root = ctx().tree.rootMenu;
  let m: Menu | null = menu;
  for (; m && m !== root; m = m.parent) {
    if (m.prompt?.type === 'menu') break;
  }
  return m ?? root;
}

const NOHELP_TEXT = 'There is no help available for this option.';

function getDepStr(expr: Expr | null, prefix: string): string {
  return exprIsYes(expr) ? '' : `${prefix}${exprGstrPrint(expr)}\n`;
}

function getPromptStr(prop: Property): string {
  let r = `  Prompt: ${prop.text}\n`;
  r += getDepStr(prop.menu.dep, '  Depends on: ');
  if (!exprEq(prop.menu.dep, prop.visible.expr)) r += getDepStr(prop.visible.expr, '  Visible if: ');
  const root = ctx().tree.rootMenu;
  const submenu: Menu[] = [];
  for (let menu: Menu | null = prop.menu; menu && menu !== root && submenu.length < 8; menu = menu.parent) {
    menuIsVisible(menu);
    submenu.push(menu);
  }
  r += '  Location:\n';
  for (let i = submenu.length - 1, j = 4; i >= 0; i--, j += 2) {
    const menu = submenu[i];
    r += `${' '.repeat(j)}-> ${menuGetPrompt(menu)}`;
    if (menu.sym) r += ` (${menu.sym.name ?? '<choice>'} [=${symGetStringValue(menu.sym)}])`;
    r += '\n';
  }
  return r;
}

function getSymbolPropsStr(sym: Sym, tok: PropType, prefix: string): string {
  let r = '';
  let hit = false;
  for (const prop of sym.props) {
    if (prop.type !== tok) continue;
    r += hit ? ' && ' : prefix;
    hit = true;
    r += exprGstrPrint(prop.expr);
  }
  return hit ? `${r}\n` : r;
}

/** get_symbol_str() of menu.c: the "Symbol:/Type/Defined at/Prompt/Location/Selected by" block. */
export function getSymbolStr(sym: Sym): string {
  let r = '';
  if (sym.name) {
    r += `Symbol: ${sym.name} [=${symGetStringValue(sym)}]\n`;
    r += `Type  : ${symTypeName(sym.type)}\n`;
    if (sym.type === SymbolType.Int || sym.type === SymbolType.Hex) {
      const prop = symGetRangeProp(sym);
      if (prop) r += `Range : ${exprGstrPrint(prop.expr)}\n`;
    }
  }
  // 6.1 finds the symbol's nodes through its P_SYMBOL properties, 6.12 through sym->menus.
  const nodes = ctx().v612 ? sym.menus : sym.props.filter((p) => p.type === 'symbol').map((p) => p.menu);
  for (const m of nodes) {
    if (!m.prompt) continue;
    r += `Defined at ${m.file}:${m.lineno}\n`;
    r += getPromptStr(m.prompt);
  }
  for (const m of nodes) {
    if (m.prompt) continue;
    r += `Defined at ${m.file}:${m.lineno}\n`;
    r += getDepStr(m.dep, '  Depends on: ');
  }
  r += getSymbolPropsStr(sym, 'select', 'Selects: ');
  if (sym.rev_dep.expr) {
    r += exprGstrPrintRevdep(sym.rev_dep.expr, 2, 'Selected by [y]:\n');
    r += exprGstrPrintRevdep(sym.rev_dep.expr, 1, 'Selected by [m]:\n');
    r += exprGstrPrintRevdep(sym.rev_dep.expr, 0, 'Selected by [n]:\n');
  }
  r += getSymbolPropsStr(sym, 'imply', 'Implies: ');
  if (sym.implied.expr) {
    r += exprGstrPrintRevdep(sym.implied.expr, 2, 'Implied by [y]:\n');
    r += exprGstrPrintRevdep(sym.implied.expr, 1, 'Implied by [m]:\n');
    r += exprGstrPrintRevdep(sym.implied.expr, 0, 'Implied by [n]:\n');
  }
  return `${r}\n\n`;
}

/**
 * menu_get_ext_help(): the help conf/menuconfig show for a node: `CONFIG_X:` and the help text
 * (or "There is no help available for this option."), then {@link getSymbolStr}.
 */
export function menuGetExtHelp(menu: Menu): string {
  const sym = menu.sym;
  let helpText = NOHELP_TEXT;
  let r = '';
  if (menu.help !== null && menu.help !== undefined) {
    if (sym?.name) r += `${ctx().env.CONFIG_ ?? 'CONFIG_'}${sym.name}:\n\n`;
    helpText = menu.help;
  }
  r += `${helpText}\n`;
  if (sym) r += getSymbolStr(sym);
  return r;
}
