/**
 * The configuration modes of Linux 6.1 scripts/kconfig/conf.c: what `conf --<mode> Kconfig`
 * does after parsing (reading the input configuration, conf_set_all_new_symbols,
 * conf_rewrite_tristates, check_conf/conf for oldconfig-like modes, writing .config and the
 * autoconf outputs).
 *
 * Interactive modes (oldconfig, syncconfig, oldaskconfig) read answers from
 * {@link ConfModeOptions.input} (a string standing for stdin; at its end every question takes
 * its default, as conf does at end of file).
 *
 * Linux 6.12 (tree.version '6.12'), as 6.12's conf.c: conf_set_all_new_symbols makes one pass
 * over the menu tree (entries with a prompt only; randconfig draws `rand() % 100` per symbol and
 * a random permutation of a choice's members where its entry is met), conf_choice lists the
 * members and calls choice_set_value(); a new int/hex without a valid answer at the end of the
 * input stops with "no value for new symbol".
 */
import type { Menu, Sym, Tristate } from './model.js';
import {
  S_DEF_USER, SymbolType, SYMBOL_CHOICE, SYMBOL_CHOICEVAL, SYMBOL_NEED_SET_CHOICE_VALUES, SYMBOL_VALID, SYMBOL_DEF_USER, mod, no, yes,
} from './model.js';
import {
  choiceData, choiceMembers, ctx, inHashOrder, setAllChoiceValues, symCalcValue, symClearAllValid, symDepErrors, symGetChoiceValue,
  symGetStringValue, symGetType, symHasValue, symIsChangeable, symIsChoice, symIsChoiceValue, symSetStringValue,
  symSetTristateValue, symTristateWithinRange, symbolsAnyOrder,
  choiceMoveLast, choiceSetValue, subEntries, symCalcChoice612,
} from './evaluate.js';
import {
  confErrors, confGetChanged, confRead, confReadSimple, confWrite, confWriteAutoconf, confWriteDefconfig,
  printSymbolForListconfig,
} from './confdata.js';
import { strtoll } from './expr.js';
import { menuGetExtHelp, menuGetParentMenu, menuGetPrompt, menuIsVisible } from './menu.js';

/** The modes of conf.c's `enum input_mode`, by their option names. */
export const CONF_MODES = [
  'oldaskconfig', 'syncconfig', 'oldconfig', 'allnoconfig', 'allyesconfig', 'allmodconfig', 'alldefconfig',
  'randconfig', 'defconfig', 'savedefconfig', 'listnewconfig', 'helpnewconfig', 'olddefconfig',
  'yes2modconfig', 'mod2yesconfig', 'mod2noconfig',
] as const;
/** One of {@link CONF_MODES}. */
export type ConfMode = (typeof CONF_MODES)[number];

/** Options of {@link runConfMode}. */
export interface ConfModeOptions {
  mode: ConfMode;
  /** The file argument of --defconfig=FILE / --savedefconfig=FILE. */
  file?: string;
  /** `conf -s`: no "configuration written to" messages. */
  silent?: boolean;
  /** Stdin for interactive modes (default: empty, i.e. end of file at once). */
  input?: string;
  /**
   * randconfig: the seed {@link randconfigSeed} gave and the caller printed before the parse, as
   * conf.c does (set_randconfig_seed() runs while the options are read, before conf_parse(), so
   * `KCONFIG_SEED=0x...` comes before anything the parse prints). Absent: chosen and printed here.
   */
  seed?: number;
}

/**
 * Thrown for conf's fatal conditions (exit status 1). `verbatim`: the message is the text conf
 * itself prints on stderr before it exits (without the final newline), so that the CLI prints it
 * as it is (src/cli/errors.ts); otherwise it is kbuildts's own words for a condition on which conf
 * exits silently (KCONFIG_WERROR), printed as a kbuildts message.
 */
export class ConfModeError extends Error {
  readonly userError = true;
  constructor(msg: string, readonly verbatim = false) {
    super(msg);
    this.name = 'ConfModeError';
  }
}

// ---------------------------------------------------------------------------------------------
// glibc random(3) (TYPE_3, as srand/rand use it), for randconfig.

class GlibcRand {
  private r: number[] = [];
  private i = 0;
  constructor(seed: number) {
    const r = this.r;
    r[0] = seed | 0;
    if (r[0] === 0) r[0] = 1;
    for (let i = 1; i < 31; i++) {
      const hi = Math.trunc(r[i - 1] / 127773);
      const lo = r[i - 1] % 127773;
      let word = 16807 * lo - 2836 * hi;
      if (word < 0) word += 2147483647;
      r[i] = word;
    }
    for (let i = 31; i < 34; i++) r[i] = r[i - 31];
    for (let i = 34; i < 344; i++) r[i] = (r[i - 31] + r[i - 3]) | 0;
    this.i = 344;
  }
  next(): number {
    const r = this.r;
    const v = (r[this.i - 31] + r[this.i - 3]) | 0;
    r.push(v);
    this.i++;
    if (r.length > 4096) {
      this.r = r.slice(r.length - 64);
      this.i = this.r.length;
    }
    return (v >>> 1) & 0x7fffffff;
  }
}

let rng: GlibcRand | null = null;

/**
 * set_randconfig_seed() of conf.c (6.1 and 6.12) without its printf: the seed of a randconfig run,
 * from KCONFIG_SEED when it is a whole number (strtol base 0: decimal, 0x hex or 0 octal, taken
 * as an unsigned int), else from the time of day as (tv_sec + 1) * (tv_usec + 1).
 * @param env the environment conf sees
 * @returns the seed (0 <= seed < 2^32); print it as `KCONFIG_SEED=0x%X` ({@link seedLine})
 */
export function randconfigSeed(env: Record<string, string | undefined>): number {
  const text = env.KCONFIG_SEED;
  if (text) {
    const r = strtoll(text, 0);
    if (r.end === text.length && r.end > 0) return Number(BigInt.asUintN(32, r.value));
  }
  const now = Date.now() * 1000 + Math.floor(Math.random() * 1000);
  const sec = Math.floor(now / 1e6);
  const usec = now % 1e6;
  return Number(BigInt.asUintN(32, BigInt(sec + 1) * BigInt(usec + 1)));
}

/** What set_randconfig_seed() prints for `seed` (on stdout). */
export const seedLine = (seed: number): string => `KCONFIG_SEED=0x${seed.toString(16).toUpperCase()}\n`;

function rand(): number {
  if (!rng) rng = new GlibcRand(1);
  return rng.next();
}

function randomizeChoiceValues(csym: Sym): boolean {
  if (csym.curr.tri !== yes) return false;
  const members = choiceMembers(csym);
  const def = rand() % members.length;
  members.forEach((sym, cnt) => {
    if (def === cnt) {
      sym.def[S_DEF_USER].tri = yes;
      choiceData(csym).def[S_DEF_USER] = sym;
    } else sym.def[S_DEF_USER].tri = no;
    sym.flags |= SYMBOL_DEF_USER;
    sym.flags &= ~SYMBOL_VALID;
  });
  csym.flags |= SYMBOL_DEF_USER;
  csym.flags &= ~SYMBOL_VALID;
  return true;
}

type DefMode = 'default' | 'yes' | 'mod' | 'no' | 'random';

/** conf_set_all_new_symbols(): give every symbol without a value the mode's answer. */
function confSetAllNewSymbols(mode: DefMode): boolean {
  const c = ctx();
  let pby = 50;
  let pty = 33;
  let ptm = 33;
  let hasChanged = false;
  if (mode === 'random') {
    const env = c.env.KCONFIG_PROBABILITY;
    const p: number[] = [];
    let rest = env ?? '';
    while (rest) {
      const m = /^\s*[+-]?\d*/.exec(rest)!;
      const tmp = parseInt(m[0], 10) || 0;
      if (tmp >= 0 && tmp <= 100) p.push(tmp);
      else throw new ConfModeError('KCONFIG_PROBABILITY: Numerical result out of range', true);
      rest = rest.slice(m[0].length);
      rest = rest[0] === ':' ? rest.slice(1) : rest;
      if (p.length >= 3 || m[0].length === 0) break;
    }
    if (p.length === 1) { pby = p[0]; ptm = Math.trunc(pby / 2); pty = pby - ptm; }
    else if (p.length === 2) { pty = p[0]; ptm = p[1]; pby = pty + ptm; }
    else if (p.length === 3) { pby = p[0]; pty = p[1]; ptm = p[2]; }
    if (pty + ptm > 100) throw new ConfModeError('KCONFIG_PROBABILITY: Numerical result out of range', true);
  }
  if (c.v612) {
    confSetAllNewSymbols612(mode, pby, pty, ptm);
    return false;
  }
  // 6.1 from here: sym_is_choice() / sym_is_choice_value() are the SYMBOL_CHOICE /
  // SYMBOL_CHOICEVAL flags. The loops test the flags inline (they visit every symbol). Those
  // whose effect does not depend on the order (all but randconfig's draws and the choices'
  // computation) visit the symbols in creation order (faster than hash order, see symbolsAnyOrder).
  const syms = c.hashOrder;
  const first = mode === 'random' ? syms : symbolsAnyOrder(c);
  for (let i = 0; i < first.length; i++) {
    const sym = first[i];
    if (sym.flags & (SYMBOL_DEF_USER | SYMBOL_VALID)) continue;
    // sym_get_type() is bool or tristate exactly when the declared type is.
    if (sym.type !== SymbolType.Bool && sym.type !== SymbolType.Tristate) continue;
    hasChanged = true;
    switch (mode) {
      case 'yes': sym.def[S_DEF_USER].tri = yes; break;
      case 'mod': sym.def[S_DEF_USER].tri = mod; break;
      case 'no': sym.def[S_DEF_USER].tri = no; break;
      case 'random': {
        sym.def[S_DEF_USER].tri = no;
        const cnt = rand() % 100;
        if (sym.type === SymbolType.Tristate) {
          if (cnt < pty) sym.def[S_DEF_USER].tri = yes;
          else if (cnt < pty + ptm) sym.def[S_DEF_USER].tri = mod;
        } else if (cnt < pby) sym.def[S_DEF_USER].tri = yes;
        break;
      }
      default:
        continue;
    }
    if (!(sym.flags & SYMBOL_CHOICE && mode === 'random')) sym.flags |= SYMBOL_DEF_USER;
  }
  symClearAllValid();
  // The last loop visits the choices (SYMBOL_CHOICE never changes) in hash order; outside
  // randconfig, the one before (in creation order) finds them, so that it need not visit every
  // symbol.
  let choices = syms;
  if (mode !== 'random') {
    const found: Sym[] = [];
    for (const csym of symbolsAnyOrder(c)) {
      const f = csym.flags;
      if (f & SYMBOL_CHOICE) found.push(csym);
      if ((f & SYMBOL_CHOICE && !(f & SYMBOL_DEF_USER)) || f & SYMBOL_CHOICEVAL) csym.flags = f | SYMBOL_NEED_SET_CHOICE_VALUES;
    }
    choices = inHashOrder(c, found);
  }
  for (let i = 0; i < choices.length; i++) {
    const csym = choices[i];
    if ((csym.flags & (SYMBOL_DEF_USER | SYMBOL_CHOICE)) !== SYMBOL_CHOICE) continue;
    symCalcValue(csym);
    if (mode === 'random') hasChanged = randomizeChoiceValues(csym) || hasChanged;
    else {
      setAllChoiceValues(csym);
      hasChanged = true;
    }
  }
  return hasChanged;
}

/**
 * randomize_choice_values() of 6.12: give `cnt` members without a user value, drawn one by
 * one in a random order, user value y, each moved to the tail of the priority list.
 */
function randomizeChoiceValues612(choice: Menu): void {
  let cnt = 0;
  for (const m of subEntries(choice)) if (m.sym && !symHasValue(m.sym)) cnt++;
  while (cnt > 0) {
    let x = rand() % cnt;
    for (const m of subEntries(choice)) {
      const sym = m.sym;
      if (sym && !symHasValue(sym)) x--;
      if (x < 0) {
        sym!.def[S_DEF_USER].tri = yes;
        sym!.flags |= SYMBOL_DEF_USER;
        choiceMoveLast(choice, sym!);
        break;
      }
    }
    cnt--;
  }
}

/**
 * conf_set_all_new_symbols() of 6.12: one pass over the menu tree in order; entries with a
 * prompt whose bool/tristate symbol has no user value get the mode's answer; a choice is
 * randomised where its entry is met (randconfig only).
 */
function confSetAllNewSymbols612(mode: DefMode, pby: number, pty: number, ptm: number): void {
  for (const menu of subEntries(ctx().tree.rootMenu)) {
    const sym = menu.sym;
    if (!sym || !menu.prompt || symHasValue(sym) || (sym.type !== SymbolType.Bool && sym.type !== SymbolType.Tristate) ||
      symIsChoiceValue(sym)) continue;
    if (symIsChoice(sym)) {
      if (mode === 'random') randomizeChoiceValues612(menu);
      continue;
    }
    let val: Tristate;
    switch (mode) {
      case 'yes': val = yes; break;
      case 'mod': val = mod; break;
      case 'no': val = no; break;
      case 'random': {
        val = no;
        const cnt = rand() % 100;
        if (sym.type === SymbolType.Tristate) {
          if (cnt < pty) val = yes;
          else if (cnt < pty + ptm) val = mod;
        } else if (cnt < pby) val = yes;
        break;
      }
      default:
        continue;
    }
    sym.def[S_DEF_USER].tri = val;
    sym.flags |= SYMBOL_DEF_USER;
  }
  symClearAllValid();
}

/** conf_rewrite_tristates(): user values old_val of tristate symbols become new_val. */
function confRewriteTristates(oldVal: Tristate, newVal: Tristate): void {
  for (const sym of symbolsAnyOrder()) { // (order-free: each symbol's own user value)
    if (symGetType(sym) === SymbolType.Tristate && sym.def[S_DEF_USER].tri === oldVal) sym.def[S_DEF_USER].tri = newVal;
  }
  symClearAllValid();
}

// ---------------------------------------------------------------------------------------------
// The line-oriented front end (conf(), check_conf()), for oldconfig/syncconfig/listnewconfig.

interface Dialog {
  mode: ConfMode;
  input: string[];
  indent: number;
  cnt: number;
  rootEntry: Menu | null;
  line: string;
  /** feof(stdin): a read reached the end of the input. */
  eof?: boolean;
}

function out(s: string): void {
  ctx().stdout(s);
}

const pad = (n: number): string => ' '.repeat(Math.max(0, n));

/**
 * Interactive answers (conf on a terminal, src/tui/oldconfig.ts): when set, each question of
 * the dialog is answered by `ask(menu)` — the node being asked, its question already printed —
 * instead of a line of {@link ConfModeOptions.input}: a line ending in "\n", or null for end of file.
 */
let confAsk: ((menu: Menu) => string | null) | null = null;
let asking: Menu | null = null;
/** Install (or remove, with null) the interactive answerer of the line-oriented dialog. */
export function setConfAsk(ask: ((menu: Menu) => string | null) | null): void {
  confAsk = ask;
}

function readLine(d: Dialog): void {
  const l = confAsk ? (confAsk(asking!) ?? undefined) : d.input.shift();
  if (l === undefined || (!confAsk && !l.endsWith('\n'))) d.eof = true;
  if (l === undefined) {
    ctx().stderr('\nError in reading or end of file.\n');
    out(d.line); // line keeps its previous content, as with a failed fgets, and is echoed
    return;
  }
  d.line = l;
  if (!confAsk) out(l); // !tty_stdio: conf echoes the answer (a terminal shows it itself)
}

function confAskvalue(d: Dialog, sym: Sym, def: string | null): boolean {
  if (!symHasValue(sym)) out('(NEW) ');
  d.line = '\n';
  if (!symIsChangeable(sym)) {
    out(`${def ?? ''}\n`);
    return false;
  }
  if ((d.mode === 'oldconfig' || d.mode === 'syncconfig') && symHasValue(sym)) {
    out(`${def ?? ''}\n`);
    return false;
  }
  readLine(d);
  return true;
}

const strip = (s: string): string => s.replace(/^\s+/, '').replace(/\s+$/, '');

function confString(d: Dialog, menu: Menu): void {
  asking = menu;
  const sym = menu.sym!;
  for (;;) {
    out(`${pad(d.indent - 1)}${menu.prompt!.text} (${sym.name}) `);
    let def: string | null = symGetStringValue(sym);
    out(`[${def}] `);
    if (!confAskvalue(d, sym, def)) return;
    if (d.line[0] === '\n') {
      /* keep def */
    } else if (d.line[0] === '?' && d.line[1] === '\n') {
      printHelp(menu);
      def = null;
    } else {
      def = d.line.slice(0, -1);
    }
    if (def !== null && symSetStringValue(sym, def)) return;
    if (ctx().v612 && d.eof) {
      // 6.12 as shipped here: stop instead of re-asking forever at the end of the input.
      ctx().stderr(`\nerror: no value for new symbol '${sym.name}' at end of input\n`);
      throw new ConfModeError(`no value for new symbol '${sym.name}' at end of input`);
    }
  }
}

function confSym(d: Dialog, menu: Menu): void {
  asking = menu;
  const sym = menu.sym!;
  for (;;) {
    out(`${pad(d.indent - 1)}${menu.prompt!.text} `);
    if (sym.name) out(`(${sym.name}) `);
    const oldval = sym.curr.tri;
    let s = '[' + (oldval === no ? 'N' : oldval === mod ? 'M' : 'Y');
    if (oldval !== no && symTristateWithinRange(sym, no)) s += '/n';
    if (oldval !== mod && symTristateWithinRange(sym, mod)) s += '/m';
    if (oldval !== yes && symTristateWithinRange(sym, yes)) s += '/y';
    out(`${s}/?] `);
    if (!confAskvalue(d, sym, symGetStringValue(sym))) return;
    const line = strip(d.line);
    let newval: Tristate;
    const c0 = line[0];
    if (c0 === 'n' || c0 === 'N') {
      newval = no;
      if (line.length > 1 && line.slice(1) !== 'o') continue;
    } else if (c0 === 'm' || c0 === 'M') {
      newval = mod;
      if (line.length > 1) continue;
    } else if (c0 === 'y' || c0 === 'Y') {
      newval = yes;
      if (line.length > 1 && line.slice(1) !== 'es') continue;
    } else if (c0 === undefined) {
      newval = oldval;
    } else if (c0 === '?') {
      printHelp(menu);
      continue;
    } else continue;
    if (symSetTristateValue(sym, newval)) return;
    printHelp(menu);
  }
}

/**
 * conf_choice()'s question, the same in Linux 6.1 and 6.12 conf.c: `choice[1-N?]: `, answered
 * with the default in oldconfig/syncconfig when no member is new, else read from the input; `?`
 * shows the choice's help, `N?` the member's.
 * @param cnt the number of visible members; def the 1-based default; isNew whether a member is new
 * @returns the member's menu node, or null when the question must be asked again
 */
function askChoiceMember(d: Dialog, menu: Menu, cnt: number, def: number, isNew: boolean): Menu | null {
  out(`${pad(d.indent - 1)}choice`);
  if (cnt === 1) {
    out('[1]: 1\n');
  } else {
    out(`[1-${cnt}?]: `);
    if ((d.mode === 'oldconfig' || d.mode === 'syncconfig') && !isNew) {
      cnt = def;
      out(`${cnt}\n`);
    } else if (d.mode === 'oldconfig' || d.mode === 'syncconfig' || d.mode === 'oldaskconfig') {
      readLine(d);
      const l = strip(d.line);
      d.line = l;
      if (l[0] === '?') {
        printHelp(menu);
        return null;
      }
      if (!l[0]) cnt = def;
      else if (/^[0-9]/.test(l)) cnt = parseInt(l, 10);
      else return null;
    }
  }
  let child: Menu | null;
  for (child = menu.list; child; child = child.next) {
    if (!child.sym || !menuIsVisible(child)) continue;
    if (!--cnt) break;
  }
  if (!child) return null;
  if (d.line && d.line.endsWith('?')) {
    printHelp(child);
    return null;
  }
  return child;
}

/** conf_choice() of 6.12: list the visible members, read the pick, choice_set_value(). */
function confChoice612(d: Dialog, menu: Menu): void {
  asking = menu;
  let isNew = false;
  for (;;) {
    out(`${pad(d.indent - 1)}${menuGetPrompt(menu)}\n`);
    const defSym = symCalcChoice612(menu);
    let cnt = 0;
    let def = 0;
    d.line = '';
    for (let child = menu.list; child; child = child.next) {
      if (!menuIsVisible(child)) continue;
      if (!child.sym) {
        out(`${pad(d.indent - 1)}* ${menuGetPrompt(child)}\n`);
        continue;
      }
      cnt++;
      if (child.sym === defSym) {
        def = cnt;
        out(`${pad(d.indent - 1)}>`);
      } else out(pad(d.indent));
      out(` ${cnt}. ${menuGetPrompt(child)} (${child.sym.name})`);
      if (!symHasValue(child.sym)) {
        isNew = true;
        out(' (NEW)');
      }
      out('\n');
    }
    const child = askChoiceMember(d, menu, cnt, def, isNew);
    if (!child) continue;
    choiceSetValue(menu, child.sym!);
    return;
  }
}

function confChoice(d: Dialog, menu: Menu): boolean {
  asking = menu;
  const sym = menu.sym!;
  const isNew = !symHasValue(sym);
  if (symIsChangeable(sym)) {
    confSym(d, menu);
    symCalcValue(sym);
    if (sym.curr.tri === no) return true;
    if (sym.curr.tri === mod) return false;
  } else {
    if (sym.curr.tri === no) return true;
    if (sym.curr.tri === mod) {
      out(`${pad(d.indent - 1)}${menuGetPrompt(menu)}\n`);
      return false;
    }
  }
  for (;;) {
    out(`${pad(d.indent - 1)}${menuGetPrompt(menu)}\n`);
    const defSym = symGetChoiceValue(sym);
    let cnt = 0;
    let def = 0;
    d.line = '';
    for (let child = menu.list; child; child = child.next) {
      if (!menuIsVisible(child)) continue;
      if (!child.sym) {
        out(`${pad(d.indent - 1)}* ${menuGetPrompt(child)}\n`);
        continue;
      }
      cnt++;
      if (child.sym === defSym) {
        def = cnt;
        out(`${pad(d.indent - 1)}>`);
      } else out(pad(d.indent));
      out(` ${cnt}. ${menuGetPrompt(child)}`);
      if (child.sym.name) out(` (${child.sym.name})`);
      if (!symHasValue(child.sym)) out(' (NEW)');
      out('\n');
    }
    const child = askChoiceMember(d, menu, cnt, def, isNew);
    if (!child) continue;
    symSetTristateValue(child.sym!, yes);
    for (let ch = child.list; ch; ch = ch.next) {
      d.indent += 2;
      conf(d, ch);
      d.indent -= 2;
    }
    return true;
  }
}

function conf(d: Dialog, menu: Menu): void {
  if (!menuIsVisible(menu)) return;
  const sym = menu.sym;
  const prop = menu.prompt;
  if (prop) {
    if (prop.type === 'menu' && d.mode !== 'oldaskconfig' && d.rootEntry !== menu) {
      checkConf(d, menu);
      return;
    }
    if (prop.type === 'menu' || prop.type === 'comment') {
      const prompt = menuGetPrompt(menu);
      if (prompt) out(`${pad(d.indent - 1)}*\n${pad(d.indent - 1)}* ${prompt}\n${pad(d.indent - 1)}*\n`);
    }
  }
  if (sym) {
    if (symIsChoice(sym) && ctx().v612) {
      confChoice612(d, menu);
      return;
    } else if (symIsChoice(sym)) {
      confChoice(d, menu);
      if (sym.curr.tri !== mod) return;
    } else if (sym.type === SymbolType.Int || sym.type === SymbolType.Hex || sym.type === SymbolType.String) confString(d, menu);
    else confSym(d, menu);
  }
  if (sym) d.indent += 2;
  for (let child = menu.list; child; child = child.next) conf(d, child);
  if (sym) d.indent -= 2;
}

function checkConf(d: Dialog, menu: Menu): void {
  if (!menuIsVisible(menu)) return;
  const sym = menu.sym;
  if (sym && !symHasValue(sym) && (symIsChangeable(sym) || (!ctx().v612 && symIsChoice(sym) && sym.curr.tri === yes))) {
    if (d.mode === 'listnewconfig') {
      if (sym.name) out(printSymbolForListconfig(sym));
    } else if (d.mode === 'helpnewconfig') {
      out('-----\n');
      printHelp(menu);
      out('-----\n');
    } else {
      if (!d.cnt++) out('*\n* Restart config...\n*\n');
      d.rootEntry = menuGetParentMenu(menu);
      conf(d, d.rootEntry);
    }
  }
  for (let child = menu.list; child; child = child.next) checkConf(d, child);
}

/** print_help() of conf.c: the extended help of a node between blank lines. */
function printHelp(menu: Menu): void {
  out(`\n${menuGetExtHelp(menu)}\n`);
}

/**
 * Run one conf.c mode on the finalised tree of the current context, as `conf [-s] --<mode>
 * Kconfig` does after conf_parse(): read the input, apply the mode, write .config (except for
 * savedefconfig/listnewconfig/helpnewconfig) and conf_write_autoconf(sync) — which, outside
 * syncconfig, only writes the autoconf files when include/config/auto.conf does not exist.
 * @throws ConfModeError with conf's message where conf exits 1 (missing defconfig file,
 *   KCONFIG_ALLCONFIG file missing, KCONFIG_WERROR with warnings, write errors).
 */
export function runConfMode(opts: ConfModeOptions): void {
  const c = ctx();
  const mode = opts.mode;
  const sync = mode === 'syncconfig';
  rng = null;
  if (opts.silent || sync) c.message = null;
  else if (!c.message) c.message = (s) => c.stdout(s);
  if (mode === 'randconfig') {
    let seed = opts.seed;
    if (seed === undefined) {
      seed = randconfigSeed(c.env);
      c.stdout(seedLine(seed));
    }
    rng = new GlibcRand(seed);
  }

  switch (mode) {
    case 'defconfig': {
      const f = opts.file ?? '';
      if (confRead(f)) throw new ConfModeError(`***\n*** Can't find default configuration "${f}"!\n***`, true);
      break;
    }
    case 'savedefconfig':
    case 'syncconfig':
    case 'oldaskconfig':
    case 'oldconfig':
    case 'listnewconfig':
    case 'helpnewconfig':
    case 'olddefconfig':
    case 'yes2modconfig':
    case 'mod2yesconfig':
    case 'mod2noconfig':
      confRead(null);
      break;
    case 'allnoconfig':
    case 'allyesconfig':
    case 'allmodconfig':
    case 'alldefconfig':
    case 'randconfig': {
      let name = c.env.KCONFIG_ALLCONFIG;
      if (name === undefined) break;
      if (name !== '' && name !== '1') {
        if (confReadSimple(name, S_DEF_USER)) throw new ConfModeError(`*** Can't read seed configuration "${name}"!`, true);
        break;
      }
      name = { allnoconfig: 'allno.config', allyesconfig: 'allyes.config', allmodconfig: 'allmod.config', alldefconfig: 'alldef.config', randconfig: 'allrandom.config' }[mode];
      if (confReadSimple(name, S_DEF_USER) && confReadSimple('all.config', S_DEF_USER))
        throw new ConfModeError(`*** KCONFIG_ALLCONFIG set, but no "${name}" or "all.config" file found`, true);
      break;
    }
  }
  if (confErrors()) throw new ConfModeError('warnings while reading the configuration (KCONFIG_WERROR)');
  let noConfWrite = false;
  if (sync) {
    const n = c.env.KCONFIG_NOSILENTUPDATE;
    if (n) {
      if (confGetChanged()) throw new ConfModeError('\n*** The configuration requires explicit update.\n', true);
      noConfWrite = true;
    }
  }
  const d: Dialog = { mode, input: splitInput(opts.input ?? ''), indent: 1, cnt: 0, rootEntry: null, line: '' };
  switch (mode) {
    case 'allnoconfig': confSetAllNewSymbols('no'); break;
    case 'allyesconfig': confSetAllNewSymbols('yes'); break;
    case 'allmodconfig': confSetAllNewSymbols('mod'); break;
    case 'alldefconfig': confSetAllNewSymbols('default'); break;
    case 'randconfig': while (confSetAllNewSymbols('random')); break;
    case 'defconfig': confSetAllNewSymbols('default'); break;
    case 'savedefconfig': break;
    case 'yes2modconfig': confRewriteTristates(yes, mod); break;
    case 'mod2yesconfig': confRewriteTristates(mod, yes); break;
    case 'mod2noconfig': confRewriteTristates(mod, no); break;
    case 'oldaskconfig':
    case 'oldconfig':
    case 'listnewconfig':
    case 'helpnewconfig':
    case 'syncconfig':
      if (mode === 'oldaskconfig') {
        d.rootEntry = c.tree.rootMenu;
        conf(d, c.tree.rootMenu);
        d.mode = 'oldconfig';
      }
      do {
        d.cnt = 0;
        checkConf(d, c.tree.rootMenu);
      } while (d.cnt);
      break;
    default:
      break;
  }
  if (symDepErrors()) throw new ConfModeError('unmet dependencies (KCONFIG_WERROR)');
  if (mode === 'savedefconfig') {
    confWriteDefconfig(opts.file ?? 'defconfig');
  } else if (mode !== 'listnewconfig' && mode !== 'helpnewconfig') {
    if (!noConfWrite) confWrite(null);
    confWriteAutoconf(sync);
  }
}

function splitInput(s: string): string[] {
  const r: string[] = [];
  let start = 0;
  for (;;) {
    const nl = s.indexOf('\n', start);
    if (nl < 0) {
      if (start < s.length) r.push(s.slice(start));
      break;
    }
    r.push(s.slice(start, nl + 1));
    start = nl + 1;
  }
  return r;
}
