/**
 * Reading and writing configurations: a port of Linux 6.1 scripts/kconfig/confdata.c
 * (conf_read_simple, conf_read, conf_write, conf_write_defconfig, conf_write_autoconf with
 * auto.conf, autoconf.h, rustc_cfg, auto.conf.cmd and the include/config/<SYMBOL> stamps).
 *
 * File names are resolved as conf does when make runs it in the object tree: relative to the
 * context's `cwd`, and for reading, then under `$srctree` (zconf_fopen()). Environment
 * variables honoured: KCONFIG_CONFIG, KCONFIG_AUTOCONFIG, KCONFIG_AUTOHEADER, KCONFIG_RUSTCCFG,
 * KCONFIG_OVERWRITECONFIG, KCONFIG_DEFCONFIG_LIST, KCONFIG_WARN_UNKNOWN_SYMBOLS, KCONFIG_WERROR,
 * CONFIG_ (the symbol prefix).
 *
 * Writes are atomic as in C: .config goes to `<name>.<pid>.tmp`, is compared with the old file
 * (no rewrite when identical), the old one is kept as `<name>.old`; the autoconf files go to
 * `<file>.tmp` and are renamed. As in C, the autoconf files are rewritten on every sync even
 * when identical (make relies on auto.conf being newer than .config).
 *
 * Linux 6.12 (tree.version '6.12'), as 6.12's confdata.c: reading skips blank lines, warns
 * `unexpected data` on other non-CONFIG_ lines, accepts CRLF, keeps out-of-range values (clamped
 * in evaluation) and moves a choice member read to the head of its choice's priority list;
 * savedefconfig leaves out a member that is the choice default and y; auto.conf.cmd starts with
 * `autoconfig := ...` and lists the files in parse order.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { statOrNull } from '../util/stat.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Sym, Tristate } from './model.js';
import {
  S_DEF_AUTO, S_DEF_USER, SymbolType, SYMBOL_CHANGED, SYMBOL_CHOICE, SYMBOL_CHOICEVAL, SYMBOL_DEF, SYMBOL_DEF_AUTO, SYMBOL_NO_WRITE,
  SYMBOL_DEF_USER, SYMBOL_VALID, SYMBOL_WRITE, SYMBOL_WRITTEN, mod, no, yes,
} from './model.js';
import { exprOr } from './expr.js';
import {
  choiceData, choiceOf, ctx, symCalcValue, symChoiceDefault, symChoiceEvents, symClearAllFlags, symClearAllValid, symFind,
  symGetStringDefault, symGetStringValue, symIsChangeable, symIsChoice, symbolsAnyOrder,
  symIsChoiceValue, symIsOptional, symStringValid, symStringWithinRange,
  choiceMoveFirst, subEntries, symChoiceDefault612, symGetChoiceMenu,
} from './evaluate.js';
import { menuGetPrompt, menuIsVisible } from './menu.js';

/** confdata.c's file-scope state (conf_filename, conf_lineno, conf_warnings), per context. */
interface ConfState {
  filename: string;
  lineno: number;
  warnings: number;
  depfilePrefix: string;
  /** `depfilePrefix` resolved against the context's cwd (set with it by confTouchDeps). */
  depfileDir: string | null;
}
const states = new WeakMap<object, ConfState>();
function st(): ConfState {
  const c = ctx();
  let s = states.get(c);
  if (!s) {
    s = { filename: '', lineno: 0, warnings: 0, depfilePrefix: '', depfileDir: null };
    states.set(c, s);
  }
  return s;
}

function configPrefix(): string {
  return ctx().env.CONFIG_ ?? 'CONFIG_';
}

function confWarning(msg: string): void {
  const s = st();
  ctx().stderr(`${s.filename}:${s.lineno}:warning: ${msg}\n`);
  s.warnings++;
}

function confMessage(msg: string): void {
  const m = ctx().message;
  if (m) m(`#\n# ${msg}\n#\n`);
}

/** conf_errors(): warnings were printed while reading and KCONFIG_WERROR is set. */
export function confErrors(): boolean {
  return st().warnings > 0 && ctx().env.KCONFIG_WERROR !== undefined;
}

/** conf_get_configname(): $KCONFIG_CONFIG or ".config". */
export function confGetConfigname(): string {
  return ctx().env.KCONFIG_CONFIG ?? '.config';
}
function confGetAutoconfigName(): string {
  return ctx().env.KCONFIG_AUTOCONFIG ?? 'include/config/auto.conf';
}
function confGetAutoheaderName(): string {
  return ctx().env.KCONFIG_AUTOHEADER ?? 'include/generated/autoconf.h';
}
function confGetRustccfgName(): string {
  return ctx().env.KCONFIG_RUSTCCFG ?? 'include/generated/rustc_cfg';
}

/** Resolve a name as conf sees it from its working directory. */
function inCwd(name: string): string {
  return resolve(ctx().cwd, name);
}

/** zconf_fopen(): read `name` relative to cwd, else `$srctree/name`; null when neither exists. */
export function zconfRead(name: string): Buffer | null {
  const tryRead = (p: string): Buffer | null => {
    try {
      return readFileSync(p);
    } catch {
      return null;
    }
  };
  let b = tryRead(inCwd(name));
  if (!b && !isAbsolute(name)) {
    const st = ctx().env.srctree;
    if (st !== undefined) b = tryRead(inCwd(`${st}/${name}`));
  }
  return b;
}

/** conf_set_changed(): mark the in-memory configuration as differing from .config (or not). */
export function confSetChanged(val: boolean): void {
  ctx().confChanged = val;
}
/** conf_get_changed(): whether the configuration differs from what .config holds. */
export function confGetChanged(): boolean {
  return ctx().confChanged;
}

function confSetSymVal(sym: Sym, def: number, defFlags: number, pIn: string): boolean {
  let p = pIn;
  switch (sym.type) {
    case SymbolType.Tristate:
    case SymbolType.Bool:
      if (sym.type === SymbolType.Tristate && p[0] === 'm') {
        sym.def[def].tri = mod;
        sym.flags |= defFlags;
        return false;
      }
      if (p[0] === 'y') {
        sym.def[def].tri = yes;
        sym.flags |= defFlags;
        return false;
      }
      if (p[0] === 'n') {
        sym.def[def].tri = no;
        sym.flags |= defFlags;
        return false;
      }
      if (def !== S_DEF_AUTO) confWarning(`symbol value '${p}' invalid for ${sym.name}`);
      return true;
    case SymbolType.String:
    case SymbolType.Int:
    case SymbolType.Hex:
      if (sym.type === SymbolType.String && def !== S_DEF_AUTO) {
        if (p[0] !== '"') return false;
        p = p.slice(1);
        let out = '';
        let i = 0;
        let closed = false;
        while (i < p.length) {
          const ch = p[i];
          if (ch === '"') {
            closed = true;
            break;
          }
          if (ch === '\\') {
            i++;
            if (i < p.length) out += p[i];
            i++;
            continue;
          }
          out += ch;
          i++;
        }
        if (!closed) {
          confWarning('invalid string found');
          return true;
        }
        p = out;
      }
      if (symStringValid(sym, p)) {
        sym.def[def].val = p;
        sym.flags |= defFlags;
      } else {
        if (def !== S_DEF_AUTO) confWarning(`symbol value '${p}' invalid for ${sym.name}`);
        return true;
      }
      return false;
    default:
      return false;
  }
}

/** Split file contents into lines as compat_getline() returns them (each with its '\n'). */
function getLines(buf: Buffer): string[] {
  const text = buf.toString('latin1'); // bytes, as getline() reads them
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) lines.push(text.slice(start));
      break;
    }
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  return lines;
}

/**
 * conf_read_simple(): load values from a configuration file into `sym.def[def]`.
 * `name` null means KCONFIG_CONFIG (or .config), falling back to the KCONFIG_DEFCONFIG_LIST
 * files. Prints the kernel's `file:line:warning:` messages on the context's stderr.
 * @returns 0 when a file was read, 1 when none could be opened.
 */
export function confReadSimple(name: string | null, def: number): number {
  const c = ctx();
  const warnUnknown = c.env.KCONFIG_WARN_UNKNOWN_SYMBOLS;
  let buf: Buffer | null;
  let fname: string;
  if (name !== null) {
    fname = name;
    buf = zconfRead(name);
  } else {
    fname = confGetConfigname();
    buf = zconfRead(fname);
    if (!buf) {
      confSetChanged(true);
      const env = c.env.KCONFIG_DEFCONFIG_LIST;
      if (env === undefined) return 1;
      for (const n of env.split(/[ \t\n\v\f\r]+/).filter((x) => x.length > 0)) {
        buf = zconfRead(n);
        if (buf) {
          confMessage(`using defaults found in ${n}`);
          fname = n;
          break;
        }
      }
    }
  }
  if (!buf) return 1;

  const state = st();
  state.filename = fname;
  state.lineno = 0;
  state.warnings = 0;
  const defFlags = SYMBOL_DEF << def;
  if (c.v612) {
    readLines612(buf, def, defFlags, warnUnknown);
    return 0;
  }
  const syms = symbolsAnyOrder(c); // (the reset does not depend on the order)
  for (let i = 0; i < syms.length; i++) {
    const sym = syms[i];
    sym.flags = (sym.flags | SYMBOL_CHANGED) & ~(defFlags | SYMBOL_VALID);
    if (sym.flags & SYMBOL_CHOICE) { // sym_is_choice() of 6.1
      sym.flags |= defFlags;
      choiceData(sym).def[def] = null;
    }
    const d = sym.def[def];
    d.val = null;
    d.tri = no;
  }
  const prefix = configPrefix();
  for (const line of getLines(buf)) {
    state.lineno++;
    let symName: string;
    let val: string;
    if (line[0] === '#') {
      if (line[1] !== ' ') continue;
      const p = line.slice(2);
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      const sp = rest.indexOf(' ');
      if (sp < 0) continue;
      symName = rest.slice(0, sp);
      if (!rest.slice(sp + 1).startsWith('is not set')) continue;
      val = 'n';
    } else if (line.startsWith(prefix)) {
      const rest = line.slice(prefix.length);
      const eq = rest.indexOf('=');
      if (eq < 0) continue;
      symName = rest.slice(0, eq);
      val = rest.slice(eq + 1);
      const nl = val.indexOf('\n');
      if (nl >= 0) {
        val = val.slice(0, nl);
        if (val.endsWith('\r')) val = val.slice(0, -1);
      }
    } else {
      if (line[0] !== '\r' && line[0] !== '\n') {
        const m = /^[^\r\n]*/.exec(line)![0];
        confWarning(`unexpected data: ${m}`);
      }
      continue;
    }
    const sym = symFind(symName);
    if (!sym) {
      if (def === S_DEF_AUTO) {
        confTouchDep(symName);
      } else {
        if (warnUnknown !== undefined) confWarning(`unknown symbol: ${symName}`);
        confSetChanged(true);
      }
      continue;
    }
    if (sym.flags & defFlags) confWarning(`override: reassigning to symbol ${sym.name}`);
    if (confSetSymVal(sym, def, defFlags, val)) continue;
    if (symIsChoiceValue(sym)) {
      const cs = choiceOf(sym);
      switch (sym.def[def].tri) {
        case no:
          break;
        case mod:
          if (cs.def[def].tri === yes) {
            confWarning(`${sym.name} creates inconsistent choice state`);
            cs.flags &= ~defFlags;
          }
          break;
        case yes:
          if (cs.def[def].tri !== no) confWarning(`override: ${sym.name} changes choice state`);
          choiceData(cs).def[def] = sym;
          break;
      }
      cs.def[def].tri = exprOr(cs.def[def].tri, sym.def[def].tri);
    }
  }
  return 0;
}

/**
 * The loading part of 6.12's conf_read_simple(): lines with '\n' (and a '\r' before it)
 * stripped, blank lines skipped, `unexpected data` for other lines that are not
 * `CONFIG_X=...` or `# CONFIG_X is not set`; a choice member read as a user value moves to
 * the head of its choice's priority list (the last one read wins).
 */
function readLines612(buf: Buffer, def: number, defFlags: number, warnUnknown: string | undefined): void {
  const c = ctx();
  const state = st();
  // (The resets do not depend on the order.)
  for (const sym of symbolsAnyOrder(c)) {
    sym.flags &= ~defFlags;
    const d = sym.def[def];
    d.val = null;
    d.tri = no;
  }
  if (def === S_DEF_USER) symClearAllFlags(SYMBOL_VALID);
  const prefix = configPrefix();
  const text = buf.toString('latin1');
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  for (let line of raw) {
    state.lineno++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const nul = line.indexOf('\0');
    if (nul >= 0) line = line.slice(0, nul);
    if (!line) continue;
    let symName: string;
    let val: string;
    if (line[0] === '#') {
      if (line[1] !== ' ') continue;
      const p = line.slice(2);
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      const sp = rest.indexOf(' ');
      if (sp < 0) continue;
      symName = rest.slice(0, sp);
      if (rest.slice(sp + 1) !== 'is not set') continue;
      val = 'n';
    } else {
      if (!line.startsWith(prefix)) {
        confWarning(`unexpected data: ${line}`);
        continue;
      }
      const rest = line.slice(prefix.length);
      const eq = rest.indexOf('=');
      if (eq < 0) {
        confWarning(`unexpected data: ${line}`);
        continue;
      }
      symName = rest.slice(0, eq);
      val = rest.slice(eq + 1);
    }
    const sym = symFind(symName);
    if (!sym) {
      if (def === S_DEF_AUTO) confTouchDep(symName);
      else {
        if (warnUnknown !== undefined) confWarning(`unknown symbol: ${symName}`);
        confSetChanged(true);
      }
      continue;
    }
    if (sym.flags & defFlags) confWarning(`override: reassigning to symbol ${sym.name}`);
    if (confSetSymVal(sym, def, defFlags, val)) continue;
    if (def !== S_DEF_USER) continue;
    const choice = symGetChoiceMenu(sym);
    if (choice) choiceMoveFirst(choice, sym);
  }
}

/**
 * conf_read(): read the user configuration (`name`, or KCONFIG_CONFIG/.config and the
 * defconfig list when null), compute all values and reset invisible or out-of-range values as
 * the kernel does. @returns 0 when a file was read, 1 otherwise.
 */
export function confRead(name: string | null): number {
  const c = ctx();
  confSetChanged(false);
  if (confReadSimple(name, S_DEF_USER)) {
    symCalcValue(c.modulesSym);
    return 1;
  }
  symCalcValue(c.modulesSym);
  // The loops visit every symbol: sym_is_choice(), sym_has_value() and sym_is_choice_value()
  // are tested inline (6.12: a choice is a symbol without a name).
  const syms = c.hashOrder;
  if (c.v612) {
    // 6.12: user values are kept as read (out-of-range int/hex is clamped in evaluation).
    for (let i = 0; i < syms.length; i++) {
      const sym = syms[i];
      if (!(sym.flags & SYMBOL_VALID)) symCalcValue(sym);
      const flags = sym.flags;
      if (flags & SYMBOL_CHOICE || sym.name === null) continue;
      if (flags & SYMBOL_DEF_USER && flags & SYMBOL_WRITE) {
        if (sym.type === SymbolType.Bool || sym.type === SymbolType.Tristate) {
          if (sym.def[S_DEF_USER].tri === sym.curr.tri) continue;
        } else if (sym.curr.val === sym.def[S_DEF_USER].val) continue;
      } else if (!(flags & SYMBOL_DEF_USER) && !(flags & SYMBOL_WRITE)) continue;
      confSetChanged(true);
    }
    if (st().warnings) confSetChanged(true);
    return 0;
  }
  let unsaved = 0;
  for (let i = 0; i < syms.length; i++) {
    const sym = syms[i];
    if (!(sym.flags & SYMBOL_VALID)) symCalcValue(sym);
    const flags = sym.flags;
    if (flags & (SYMBOL_CHOICE | SYMBOL_NO_WRITE)) continue;
    if (flags & SYMBOL_DEF_USER && flags & SYMBOL_WRITE) {
      if (sym.type === SymbolType.Bool || sym.type === SymbolType.Tristate) {
        if (sym.def[S_DEF_USER].tri === sym.curr.tri) continue;
      } else if (sym.curr.val === sym.def[S_DEF_USER].val) continue;
    } else if (!(flags & SYMBOL_DEF_USER) && !(flags & SYMBOL_WRITE)) continue;
    unsaved++;
  }
  for (let i = 0; i < syms.length; i++) {
    const sym = syms[i];
    if ((sym.flags & (SYMBOL_DEF_USER | SYMBOL_CHOICEVAL)) === SYMBOL_DEF_USER) {
      if (sym.visible === no && !unsaved) sym.flags &= ~SYMBOL_DEF_USER;
      if (sym.type === SymbolType.String || sym.type === SymbolType.Int || sym.type === SymbolType.Hex) {
        if (symStringWithinRange(sym, sym.def[S_DEF_USER].val ?? '')) continue;
        sym.flags &= ~(SYMBOL_VALID | SYMBOL_DEF_USER);
        unsaved++;
      }
    }
  }
  if (st().warnings || unsaved) confSetChanged(true);
  return 0;
}

interface CommentStyle {
  decoration: string;
  prefix: string;
  postfix: string;
}
const stylePound: CommentStyle = { decoration: '#', prefix: '#', postfix: '#' };
const styleC: CommentStyle = { decoration: ' *', prefix: '/*', postfix: ' */' };

function heading(cs: CommentStyle | null): string {
  if (!cs) return '';
  const text = ctx().tree.rootMenu.prompt?.text ?? '';
  return `${cs.prefix}\n${cs.decoration} Automatically generated file; DO NOT EDIT.\n${cs.decoration} ${text}\n${cs.postfix}\n`;
}

/** escape_string_value(): quote and backslash-escape `"` and `\`. */
export function escapeStringValue(s: string): string {
  if (s.indexOf('"') < 0 && s.indexOf('\\') < 0) return `"${s}"`;
  return `"${s.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}

type OutputN = 'n' | 'unset' | 'none';

/**
 * print_symbol_for_dotconfig/listconfig/autoconf: the symbol's line (`prefix` is CONFIG_, given
 * by the writers that print every symbol so that it is looked up once).
 */
function printSymbol(sym: Sym, outputN: OutputN, escape: boolean, prefix: string = configPrefix()): string {
  if (sym.type === SymbolType.Unknown) return '';
  let val = symGetStringValue(sym);
  if ((sym.type === SymbolType.Bool || sym.type === SymbolType.Tristate) && outputN !== 'n' && val[0] === 'n') {
    return outputN === 'unset' ? `# ${prefix}${sym.name} is not set\n` : '';
  }
  if (sym.type === SymbolType.String && escape) val = escapeStringValue(val);
  return `${prefix}${sym.name}=${val}\n`;
}

/** print_symbol_for_dotconfig(): a .config line (`# CONFIG_X is not set` for n). */
export const printSymbolForDotconfig = (sym: Sym): string => printSymbol(sym, 'unset', true);
/** print_symbol_for_listconfig(): a listnewconfig line (`CONFIG_X=n` for n). */
export const printSymbolForListconfig = (sym: Sym): string => printSymbol(sym, 'n', true);

function makeParentDir(path: string): void {
  const d = dirname(inCwd(path));
  mkdirSync(d, { recursive: true, mode: 0o755 }); // make_parent_dir(): mkdir(p, 0755)
}

function recordWrite(p: string): void {
  ctx().written.push(p);
}

/** A write error in the configuration outputs (user-facing; exit status 1). */
export class ConfWriteError extends Error {
  readonly userError = true;
  constructor(msg: string) {
    super(msg);
    this.name = 'ConfWriteError';
  }
}

/** Run a file operation; turn a system error into a {@link ConfWriteError} naming the file. */
function io<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfWriteError) throw e;
    throw new ConfWriteError(`${what}: ${(e as Error).message}`);
  }
}

/**
 * conf_write_defconfig(): write the minimal configuration (savedefconfig) to `filename`:
 * only changeable symbols whose value differs from the default, choice defaults omitted.
 */
export function confWriteDefconfig(filename: string): void {
  const c = ctx();
  let out = '';
  symClearAllValid();
  if (c.v612) {
    for (const menu of subEntries(c.tree.rootMenu)) {
      const sym = menu.sym;
      if (!sym || symIsChoice(sym)) continue;
      symCalcValue(sym);
      if (!(sym.flags & SYMBOL_WRITE)) continue;
      sym.flags &= ~SYMBOL_WRITE;
      if (!symIsChangeable(sym)) continue;
      if (symGetStringValue(sym) === symGetStringDefault(sym)) continue;
      const choice = symGetChoiceMenu(sym);
      if (choice && sym === symChoiceDefault612(choice) && sym.curr.tri === yes) continue;
      out += printSymbolForDotconfig(sym);
    }
  }
  let menu = c.v612 ? null : c.tree.rootMenu.list;
  while (menu) {
    const sym = menu.sym;
    skip: {
      if (!sym) {
        if (!menuIsVisible(menu)) break skip;
      } else if (!symIsChoice(sym)) {
        symCalcValue(sym);
        if (!(sym.flags & SYMBOL_WRITE)) break skip;
        sym.flags &= ~SYMBOL_WRITE;
        if (!symIsChangeable(sym)) break skip;
        if (symGetStringValue(sym) === symGetStringDefault(sym)) break skip;
        if (symIsChoiceValue(sym)) {
          const cs = choiceOf(sym);
          const ds = symChoiceDefault(cs);
          if (!symIsOptional(cs) && sym === ds) {
            if (sym.type === SymbolType.Bool && sym.curr.tri === yes) break skip;
          }
        }
        out += printSymbolForDotconfig(sym);
      }
    }
    if (menu.list) menu = menu.list;
    else if (menu.next) menu = menu.next;
    else {
      let m: typeof menu | null = menu;
      while ((m = m.parent)) {
        if (m.next) {
          m = m.next;
          break;
        }
      }
      menu = m;
    }
  }
  const path = inCwd(filename);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, out, 'latin1');
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* nothing to remove */ }
    throw new ConfWriteError(`*** Error while saving defconfig to: ${filename}: ${(e as Error).message}`);
  }
  recordWrite(path);
}

/** The .config text conf_write() would produce for the current values (computes them). */
export function confFormatConfig(): string {
  const c = ctx();
  const root = c.tree.rootMenu;
  let out = heading(stylePound);
  if (!confGetChanged()) symClearAllValid();
  const prefix = configPrefix();
  let needNewline = false;
  let menu = root.list;
  while (menu) {
    const sym = menu.sym;
    next: {
      if (!sym) {
        if (!menuIsVisible(menu)) break next;
        out += `\n#\n# ${menuGetPrompt(menu)}\n#\n`;
        needNewline = false;
      } else if (!symIsChoice(sym) && !(sym.flags & SYMBOL_WRITTEN)) {
        symCalcValue(sym);
        if (!(sym.flags & SYMBOL_WRITE)) break next;
        if (needNewline) {
          out += '\n';
          needNewline = false;
        }
        sym.flags |= SYMBOL_WRITTEN;
        out += printSymbol(sym, 'unset', true, prefix);
      }
    }
    if (menu.list) {
      menu = menu.list;
      continue;
    }
    let m: typeof menu | null = menu;
    while (m) {
      if (!m.sym && m !== root && m.prompt?.type === 'menu' && menuIsVisible(m)) {
        out += `# end of ${menuGetPrompt(m)}\n`;
        needNewline = true;
      }
      if (m.next) {
        m = m.next;
        break;
      }
      m = m.parent;
    }
    menu = m;
  }
  symClearAllFlags(SYMBOL_WRITTEN);
  return out;
}

/**
 * conf_write(): write the configuration to `name` (default KCONFIG_CONFIG or .config) through a
 * temporary file; identical content is not rewritten ("No change to"), else the previous file
 * is kept as `<name>.old`. @throws ConfWriteError on an unusable name or I/O error.
 */
export function confWrite(name: string | null): void {
  const fname = name ?? confGetConfigname();
  io(`*** Error during writing of the configuration (${fname})`, () => confWriteInner(fname));
}

function confWriteInner(fname: string): void {
  if (!fname) throw new ConfWriteError('config name is empty');
  const path = inCwd(fname);
  // One stat: is_dir() of C, and whether there is an old file to compare and keep as .old.
  const old = statOrNull(path);
  if (old?.isDirectory()) throw new ConfWriteError(`${fname}: Is a directory`);
  makeParentDir(fname);
  // The bytes of the file (values hold the bytes read, as latin1), encoded once.
  const data = Buffer.from(confFormatConfig(), 'latin1');
  const overwrite = ctx().env.KCONFIG_OVERWRITECONFIG;
  if (overwrite) {
    writeFileSync(path, data);
  } else {
    // is_same(): the old file has the same bytes (compared only when there is one of that size).
    let same = false;
    if (old && old.size === data.length) {
      try {
        same = readFileSync(path).equals(data);
      } catch {
        same = false;
      }
    }
    if (same) {
      confMessage(`No change to ${fname}`);
      confSetChanged(false);
      return;
    }
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, data);
    } catch (e) {
      throw new ConfWriteError(`*** Error during writing of the configuration: ${(e as Error).message}`);
    }
    if (old) renameSync(path, `${path}.old`);
    renameSync(tmp, path);
  }
  recordWrite(path);
  confMessage(`configuration written to ${fname}`);
  confSetChanged(false);
}

function confWriteAutoconfCmd(autoconfName: string): void {
  const c = ctx();
  const name = `${autoconfName}.cmd`;
  makeParentDir(name);
  const seen = new Set<string>();
  const files: string[] = [];
  for (const f of c.tree.files) {
    if (seen.has(f)) continue;
    seen.add(f);
    files.push(f);
  }
  if (c.v612) {
    // 6.12: parse order, `$(autoconfig)` and a blank line before each environment check.
    let o = `autoconfig := ${autoconfName}\n\ndeps_config := \\\n`;
    for (const f of files) o += `\t${f} \\\n`;
    o += '\n$(autoconfig): $(deps_config)\n$(deps_config): ;\n';
    for (const [k, v] of c.tree.env) o += `\nifneq "$(${k})" "${v}"\n$(autoconfig): FORCE\nendif\n`;
    const p612 = inCwd(name);
    writeFileSync(`${p612}.tmp`, o, 'latin1');
    renameSync(`${p612}.tmp`, p612);
    recordWrite(p612);
    return;
  }
  files.reverse();
  let out = 'deps_config := \\\n';
  for (const f of files) out += `\t${f} \\\n`;
  out += `\n${autoconfName}: $(deps_config)\n\n`;
  for (const [k, v] of c.tree.env) out += `ifneq "$(${k})" "${v}"\n${autoconfName}: FORCE\nendif\n`;
  out += '\n$(deps_config): ;\n';
  const path = inCwd(name);
  writeFileSync(`${path}.tmp`, out, 'latin1');
  renameSync(`${path}.tmp`, path);
  recordWrite(path);
}


/** Symbol names that path.resolve() leaves as they are (no `/`, no `.` components). */
const PLAIN_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * conf_touch_dep(): create or truncate `<dir of auto.conf>/<name>` (open O_WRONLY|O_CREAT|O_TRUNC
 * 0644, then close, as C). The directory is resolved once per confTouchDeps() run.
 */
function confTouchDep(name: string, s: ConfState = st()): void {
  const p = s.depfileDir !== null && PLAIN_NAME.test(name) ? s.depfileDir + name : inCwd(s.depfilePrefix + name);
  try {
    closeSync(openSync(p, 'w', 0o644));
    recordWrite(p);
  } catch {
    throw new ConfWriteError(`cannot touch ${p}`);
  }
}

/**
 * conf_touch_deps(): read the old auto.conf as S_DEF_AUTO values, then touch the stamp of every
 * symbol whose value changed against it (6.1: computing each symbol first, in hash order).
 * `texts` gets each symbol's autoconf lines in the same pass (see confWriteAutoconfInner).
 * @returns whether the lines added to `texts` may be stale: the pass met a symbol without a
 *   valid value that it did not compute (6.12), or computed values in a way that can change a
 *   symbol met before (symChoiceEvents() in 6.1)
 */
function confTouchDeps(texts: AutoconfTexts): boolean {
  const c = ctx();
  const name = confGetAutoconfigName();
  const slash = name.lastIndexOf('/');
  const s = st();
  s.depfilePrefix = slash >= 0 ? name.slice(0, slash + 1) : '';
  const dir = inCwd(s.depfilePrefix);
  s.depfileDir = dir.endsWith('/') ? dir : `${dir}/`;
  confReadSimple(name, S_DEF_AUTO);
  const v612 = c.v612;
  const events = symChoiceEvents();
  let stale = false;
  if (!v612) symCalcValue(c.modulesSym);
  const syms = c.hashOrder;
  for (let i = 0; i < syms.length; i++) {
    const sym = syms[i];
    if (!(sym.flags & SYMBOL_VALID)) {
      // 6.1 computes it (and the symbols it needs: unmet so far, or valid and left as they
      // are); that changes none met before unless symChoiceEvents() says so.
      if (v612) stale = true;
      else {
        symCalcValue(sym);
        if (symChoiceEvents() !== events) stale = true;
      }
    }
    if (!stale) autoconfAdd(texts, sym);
    if (v612) {
      if (sym.flags & SYMBOL_CHOICE || sym.name === null) continue; // sym_is_choice() of 6.12
    } else {
      if (sym.flags & SYMBOL_NO_WRITE || !sym.name) continue;
    }
    const flags = sym.flags;
    const type = sym.type;
    if (flags & SYMBOL_WRITE) {
      if (flags & SYMBOL_DEF_AUTO) {
        if (type === SymbolType.Bool || type === SymbolType.Tristate) {
          if (sym.curr.tri === sym.def[S_DEF_AUTO].tri) continue;
        } else if (type === SymbolType.String || type === SymbolType.Hex || type === SymbolType.Int) {
          if (symGetStringValue(sym) === sym.def[S_DEF_AUTO].val) continue;
        }
      } else {
        if ((type === SymbolType.Bool || type === SymbolType.Tristate) && sym.curr.tri === no) continue;
      }
    } else if (!(flags & SYMBOL_DEF_AUTO)) continue;
    confTouchDep(sym.name!, s);
  }
  return stale;
}

/** The texts of autoconf.h, rustc_cfg and auto.conf being made, symbol by symbol. */
interface AutoconfTexts {
  h: string;
  rust: string;
  auto: string;
  /** CONFIG_ (looked up once). */
  prefix: string;
}

/** The headings of autoconf.h, rustc_cfg (none) and auto.conf: the texts before any symbol. */
function autoconfStart(): AutoconfTexts {
  return { h: heading(styleC), rust: heading(null), auto: heading(stylePound), prefix: configPrefix() };
}

/**
 * Add a symbol's lines to the autoconf texts, as __conf_write_autoconf() prints them for a symbol
 * with SYMBOL_WRITE and a name: print_symbol_for_c, print_symbol_for_rustccfg and
 * print_symbol_for_autoconf, from one reading of the value (nothing for n or an unknown type).
 */
function autoconfAdd(t: AutoconfTexts, sym: Sym): void {
  if (!(sym.flags & SYMBOL_WRITE) || !sym.name) return;
  const type = sym.type;
  if (type === SymbolType.Unknown) return;
  const name = t.prefix + sym.name;
  if (type === SymbolType.Bool || type === SymbolType.Tristate) {
    const tri = sym.curr.tri;
    if (tri === no) return;
    if (tri === mod) {
      t.h += `#define ${name}_MODULE 1\n`;
      t.rust += `--cfg=${name}\n--cfg=${name}="m"\n`;
      t.auto += `${name}=m\n`;
    } else {
      t.h += `#define ${name} 1\n`;
      t.rust += `--cfg=${name}\n--cfg=${name}="y"\n`;
      t.auto += `${name}=y\n`;
    }
    return;
  }
  const val = sym.curr.val ?? '';
  if (type === SymbolType.String) {
    const e = escapeStringValue(val);
    t.h += `#define ${name} ${e}\n`;
    t.rust += `--cfg=${name}=${e}\n`;
  } else {
    const v = type === SymbolType.Hex && (val[0] !== '0' || (val[1] !== 'x' && val[1] !== 'X')) ? `0x${val}` : val;
    t.h += `#define ${name} ${v}\n`;
    t.rust += `--cfg=${name}=${escapeStringValue(v)}\n`;
  }
  t.auto += `${name}=${val}\n`;
}

/**
 * The texts of autoconf.h, rustc_cfg and auto.conf (__conf_write_autoconf() with
 * print_symbol_for_c, _rustccfg and _autoconf): each its heading, then every symbol with
 * SYMBOL_WRITE and a name in `for_all_symbols` order. Made in one pass over the symbols.
 */
function autoconfTexts(): AutoconfTexts {
  const syms = ctx().hashOrder;
  const t = autoconfStart();
  for (let i = 0; i < syms.length; i++) autoconfAdd(t, syms[i]);
  return t;
}

/** The end of __conf_write_autoconf(): make the directory, write `<file>.tmp`, rename it to `<file>`. */
function writeAutoconfFile(filename: string, text: string): void {
  makeParentDir(filename);
  const path = inCwd(filename);
  writeFileSync(`${path}.tmp`, Buffer.from(text, 'latin1'));
  renameSync(`${path}.tmp`, path);
  recordWrite(path);
}

/**
 * conf_write_autoconf(): write auto.conf.cmd, touch include/config/<SYMBOL> for every symbol
 * whose value changed against the old auto.conf, then autoconf.h, rustc_cfg and auto.conf
 * (last). With `overwrite` false nothing is done when auto.conf already exists (conf's
 * behaviour outside syncconfig).
 */
export function confWriteAutoconf(overwrite: boolean): void {
  io('*** Error during sync of the configuration', () => confWriteAutoconfInner(overwrite));
}

function confWriteAutoconfInner(overwrite: boolean): void {
  const c = ctx();
  const autoconfName = confGetAutoconfigName();
  if (!overwrite && existsSync(inCwd(autoconfName))) return;
  confWriteAutoconfCmd(autoconfName);
  const syms = c.hashOrder;
  if (c.v612) for (let i = 0; i < syms.length; i++) if (!(syms[i].flags & SYMBOL_VALID)) symCalcValue(syms[i]);
  // The texts are made in conf_touch_deps()'s pass over the symbols. They are the ones C makes
  // after its `for_all_symbols(i, sym) sym_calc_value(sym)` when no symbol changed after the
  // pass met it (see confTouchDeps): then every symbol is valid and stays so (only
  // set_all_choice_values() and sym_clear_all_valid() invalidate), so that loop has nothing to
  // compute. Otherwise that loop runs and the texts are made again after it.
  let texts = autoconfStart();
  if (confTouchDeps(texts)) {
    for (let i = 0; i < syms.length; i++) if (!(syms[i].flags & SYMBOL_VALID)) symCalcValue(syms[i]);
    texts = autoconfTexts();
  }
  writeAutoconfFile(confGetAutoheaderName(), texts.h);
  writeAutoconfFile(confGetRustccfgName(), texts.rust);
  writeAutoconfFile(autoconfName, texts.auto);
}

/** Values of a tristate for messages. */
export const triName = (t: Tristate): string => (t === no ? 'n' : t === mod ? 'm' : 'y');
