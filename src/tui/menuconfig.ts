/**
 * `kbuildts menuconfig`: the menu-tree browser of scripts/kconfig/mconf.c (Linux 6.1 and 6.12), drawn with
 * @inquirer prompts instead of lxdialog/ncurses.
 *
 * Behaviour follows mconf.c: the entries of a menu are built as build_conf() builds them (the
 * same `[*]`, `<M>`, `{M}`, `-*-`, `(value)`, `--->`/`----`, `*** comment ***` and `(NEW)`
 * texts; only visible nodes unless "show all" is on; the children of a symbol indented under
 * it); Y/N/M/Space act as in conf() (sym_set_tristate_value, sym_toggle_tristate_value, within
 * the limits of selects and dependencies); a choice opens conf_choice()'s radio list; int/hex/
 * string entries open conf_string()'s input box (rejecting what sym_set_string_value rejects:
 * syntax and `range`); `?` shows menu_get_ext_help(); `/` is search_conf() (sym_re_search by
 * symbol name, with jumps to the locations); leaving asks handle_exit()'s question and saves
 * with conf_write() (atomic, keeping `.config.old`) then conf_write_autoconf() (as syncconfig
 * by default, see {@link MenuconfigOptions.syncconfig}).
 *
 * The tree is evaluated lazily: each screen computes only the nodes it shows (menu_is_visible
 * and sym_calc_value on demand), so the 16k-symbol Linux tree stays responsive.
 */
import { input, select } from '@inquirer/prompts';
import { AbortPromptError, ExitPromptError } from '@inquirer/core';
import type { Menu, Sym } from '../kconfig/model.js';
import { SymbolType, SYMBOL_CONST, mod, no, yes } from '../kconfig/model.js';
import {
  ctx, symCalcValue, symGetChoiceValue, symGetStringValue, symGetType, symHasValue, symIsChangeable, symIsChoice,
  symIsChoiceValue, symSetStringValue, symSetTristateValue, symStringWithinRange, symToggleTristateValue,
} from '../kconfig/evaluate.js';
import { confGetChanged, confRead, confSetChanged, confWrite, confWriteAutoconf } from '../kconfig/confdata.js';
import { getSymbolStr, menuGetExtHelp, menuGetPrompt, menuIsEmpty, menuIsVisible } from '../kconfig/menu.js';
import { listPrompt, type ListRow } from './list-prompt.js';
import { loadSession, type LoadSessionOptions } from './session.js';

/** Options of {@link runMenuconfig}. */
export interface MenuconfigOptions extends LoadSessionOptions {
  /** mconf -s: no "configuration written" / "End of the configuration" messages. */
  silent?: boolean;
  /**
   * After saving, write the auto.conf/autoconf.h outputs as syncconfig does
   * (conf_write_autoconf(1), overwriting an existing auto.conf), as they are after `make
   * menuconfig` and the next `make`. False: conf_write_autoconf(0) exactly as mconf does, which
   * writes them only when include/config/auto.conf does not exist yet.
   */
  syncconfig?: boolean;
}

/** One entry of a menu screen: build_conf()'s item (text, tag, data). */
export interface MenuRow {
  /** The item text exactly as mconf builds it. */
  label: string;
  /** mconf's item tag: 'm' submenu, 't' bool/tristate/choice, 's' int/hex/string, ':' not actionable. */
  tag: 'm' | 't' | 's' | ':';
  /** The menu node (item_set_data). */
  menu: Menu;
}

/** `%*c` with a width: at least one space. */
const pc = (w: number): string => ' '.repeat(Math.max(w, 1));

/**
 * build_conf() of mconf.c: the entries a menu screen shows for `current`, in order.
 * @param current the menu shown (rootmenu, a `menu`, a `menuconfig` symbol, or any node jumped to)
 * @param showAll show_all_options: list invisible entries too (those with a prompt)
 */
export function buildMenuRows(current: Menu, showAll = false): MenuRow[] {
  const rows: MenuRow[] = [];
  let indent = 0;
  const make = (label: string, tag: MenuRow['tag'], menu: Menu): MenuRow => {
    const r = { label, tag, menu };
    rows.push(r);
    return r;
  };
  const build = (menu: Menu): void => {
    let doint = 2;
    const visible = menuIsVisible(menu);
    if (showAll && !menu.prompt) return;
    if (!showAll && !visible) return;
    const sym = menu.sym;
    const prop = menu.prompt;
    const childs = (): void => {
      indent += doint;
      for (let child = menu.list; child; child = child.next) build(child);
      indent -= doint;
    };
    if (!sym) {
      if (prop && menu !== current) {
        const prompt = menuGetPrompt(menu);
        if (prop.type === 'menu') {
          make(`   ${pc(indent + 1)}${prompt}  ${menuIsEmpty(menu) ? '----' : '--->'}`, 'm', menu);
          return;
        }
        if (prompt) {
          if (prop.type === 'comment') make(`   ${pc(indent + 1)}*** ${prompt} ***`, ':', menu);
          else make(`---${pc(indent + 1)}${prompt}`, ':', menu);
        }
      } else doint = 0;
      childs();
      return;
    }
    const type = symGetType(sym);
    const isNew = symHasValue(sym) || !symIsChangeable(sym) ? '' : ' (NEW)';
    if (symIsChoice(sym)) {
      const defSym = symGetChoiceValue(sym);
      let defMenu: Menu | null = null;
      for (let child = menu.list; child; child = child.next) if (menuIsVisible(child) && child.sym === defSym) defMenu = child;
      const val = sym.curr.tri;
      let row: MenuRow;
      if (symIsChangeable(sym)) {
        const ch = val === yes ? '*' : val === mod ? 'M' : ' ';
        row = make(type === SymbolType.Bool ? `[${val === no ? ' ' : '*'}]` : `<${ch}>`, 't', menu);
      } else row = make('   ', defMenu ? 't' : ':', menu);
      row.label += `${pc(indent + 1)}${menuGetPrompt(menu)}`;
      if (val === yes) {
        if (defMenu) {
          row.label += ` (${menuGetPrompt(defMenu)})  --->`;
          if (defMenu.list) {
            indent += 2;
            build(defMenu);
            indent -= 2;
          }
        }
        return;
      }
      childs();
      return;
    }
    if (menu === current) {
      make(`---${pc(indent + 1)}${menuGetPrompt(menu)}`, ':', menu);
      childs();
      return;
    }
    const val = sym.curr.tri;
    let row: MenuRow;
    if (symIsChoiceValue(sym) && val === yes) row = make('   ', ':', menu);
    else if (type === SymbolType.Bool) {
      row = make(symIsChangeable(sym) ? `[${val === no ? ' ' : '*'}]` : `-${val === no ? ' ' : '*'}-`, 't', menu);
    } else if (type === SymbolType.Tristate) {
      const ch = val === yes ? '*' : val === mod ? 'M' : ' ';
      row = make(symIsChangeable(sym) ? (sym.rev_dep.tri === mod ? `{${ch}}` : `<${ch}>`) : `-${ch}-`, 't', menu);
    } else {
      const v = symGetStringValue(sym);
      const tmp = Math.max(indent - (2 + v.length) + 4, 0);
      make(`(${v})${pc(tmp)}${menuGetPrompt(menu)}${isNew}`, 's', menu);
      childs();
      return;
    }
    row.label += `${pc(indent + 1)}${menuGetPrompt(menu)}${isNew}`;
    if (prop?.type === 'menu') {
      row.label += `  ${menuIsEmpty(menu) ? '----' : '--->'}`;
      return;
    }
    childs();
  };
  build(current);
  return rows;
}

/**
 * sym_re_search() of symbol.c: the non-constant named symbols whose name matches `pattern`
 * (an extended regular expression, case-insensitive); whole-name matches first, then by name.
 * An empty or invalid pattern gives no symbols.
 */
export function symReSearch(pattern: string): Sym[] {
  if (!pattern) return [];
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'i');
  } catch {
    return [];
  }
  const found: { sym: Sym; exact: boolean }[] = [];
  for (const sym of ctx().hashOrder) {
    if (sym.flags & SYMBOL_CONST || !sym.name) continue;
    const m = re.exec(sym.name);
    if (!m) continue;
    symCalcValue(sym);
    found.push({ sym, exact: m[0].length === sym.name.length });
  }
  found.sort((a, b) => (a.exact !== b.exact ? (a.exact ? -1 : 1) : a.sym.name! < b.sym.name! ? -1 : a.sym.name! > b.sym.name! ? 1 : 0));
  return found.map((f) => f.sym);
}

/** The jump target of a symbol's first prompt as get_prompt_str() picks it: the nearest visible node on its path. */
function jumpTarget(sym: Sym): Menu | null {
  const root = ctx().tree.rootMenu;
  for (const prop of sym.props) {
    if (prop.type !== 'symbol' || !prop.menu.prompt) continue;
    let i = 0;
    for (let m: Menu | null = prop.menu; m && m !== root && i < 8; m = m.parent, i++) if (menuIsVisible(m)) return m;
  }
  return null;
}

const MENU_KEYS: Record<string, string> = {
  return: 'enter', space: 'space', y: 'y', n: 'n', m: 'm', '?': 'help', h: 'help', '/': 'search',
  escape: 'back', left: 'back', x: 'back', s: 'save', l: 'load', z: 'showall', q: 'quit',
};
const MENU_HINTS: [string, string][] = [
  ['↑↓', 'move'], ['⏎', 'open/toggle'], ['y/m/n', 'set'], ['space', 'cycle'], ['?', 'help'], ['/', 'search'],
  ['s', 'save'], ['l', 'load'], ['esc', 'back'], ['q', 'quit'],
];

const SETMOD_TEXT = 'This feature depends on another which has been configured as a module.\nAs a result, this feature will be built as a module.';

const README = `Overview
--------
This interface lets you select features and parameters for the build.
Features can either be built-in, modularized, or ignored. Parameters
must be entered in as decimal or hexadecimal numbers or text.

Menu items beginning with following braces represent features that
  [ ] can be built in or removed
  < > can be built in, modularized or removed
  { } can be built in or modularized (selected by other feature)
  - - are selected by other feature,
while *, M or whitespace inside braces means to build in, build as
a module or to exclude the feature respectively.

Keys: arrows move, <Enter> opens a submenu ---> or toggles, <Y> builds in,
<M> modularizes, <N> removes, <Space> cycles, <?> help, </> search,
<S> save as, <L> load, <Z> show all options, <Esc> back, <Q> exit.`;

/** Interrupted by Ctrl+C: mconf's SIGINT handler goes to handle_exit(). */
class QuitRequest extends Error {}

class Menuconfig {
  private filename: string;
  private showAll = false;
  private notices: string[] = [];
  private trail: string[] = [];
  private readonly rootPrompt: string;

  constructor(private readonly opts: MenuconfigOptions, configName: string) {
    this.filename = configName;
    const c = ctx();
    this.rootPrompt = c.tree.rootMenu.prompt?.text ?? '';
    // While the dialog runs, conf's messages and warnings become notices on the next screen
    // (mconf shows them in a text box), instead of being written over the prompt.
    c.message = (s) => this.notice(s);
    c.stderr = (s) => this.notice(s);
  }

  private notice(s: string): void {
    const t = s.replace(/^#\n# /, '').replace(/\n#\n$/, '').replace(/\n+$/, '');
    if (t) this.notices.push(t);
  }

  private header(): string[] {
    const h = [`${this.filename} - ${this.rootPrompt}`];
    if (this.trail.length) h.push(`→ ${this.trail.join(' → ')}`);
    for (const n of this.notices.splice(0)) h.push(...n.split('\n').map((l) => `! ${l}`));
    return h;
  }

  /** A prompt with Esc cancelling it (null on Esc); Ctrl+C becomes {@link QuitRequest}. */
  private async withEscape<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T | null> {
    const ac = new AbortController();
    const onKey = (_s: unknown, key: { name?: string } | undefined): void => {
      if (key?.name === 'escape') ac.abort();
    };
    process.stdin.on('keypress', onKey);
    try {
      return await run(ac.signal);
    } catch (e) {
      if (e instanceof AbortPromptError) return null;
      if (e instanceof ExitPromptError) throw new QuitRequest();
      throw e;
    } finally {
      process.stdin.off('keypress', onKey);
    }
  }

  private async list(message: string, rows: ListRow[], keys: Record<string, string>, hints: [string, string][], initial = 0) {
    try {
      return await listPrompt({ message, header: this.header(), rows, keys, hints, initial });
    } catch (e) {
      if (e instanceof ExitPromptError) throw new QuitRequest();
      throw e;
    }
  }

  /** show_textbox(): a scrollable text; any of Enter/Esc/q closes it. */
  async showText(title: string, text: string): Promise<void> {
    const rows = text.replace(/\n+$/, '').split('\n').map((label) => ({ label, active: true }));
    await this.list(title, rows, { return: 'close', escape: 'close', q: 'close', left: 'close', x: 'close' }, [['↑↓', 'scroll'], ['⏎/esc', 'close']]);
  }

  /** show_help(): menu_get_ext_help() of the node under its prompt. */
  showHelp(menu: Menu): Promise<void> {
    return this.showText(menuGetPrompt(menu) ?? '', menuGetExtHelp(menu));
  }

  /**
   * conf() of mconf.c: one menu screen, until the user leaves it.
   * @returns 'quit' when the user asked to leave menuconfig altogether
   */
  async conf(menu: Menu, activeMenu: Menu | null): Promise<'quit' | void> {
    const prompt = menuGetPrompt(menu);
    const root = ctx().tree.rootMenu;
    if (menu !== root) this.trail.push(prompt ?? '');
    let lastIndex = 0;
    try {
      for (;;) {
        const rows = buildMenuRows(menu, this.showAll);
        if (!rows.length) return;
        let initial = activeMenu ? rows.findIndex((r) => r.menu === activeMenu) : -1;
        if (initial < 0) initial = Math.min(lastIndex, rows.length - 1);
        const ans = await this.list(
          menu === root ? 'Main Menu' : (prompt ?? 'Main Menu'),
          rows.map((r) => ({ label: r.label, active: r.tag !== ':' })),
          MENU_KEYS, MENU_HINTS, initial,
        );
        lastIndex = ans.index;
        const row = rows[ans.index];
        const submenu = row?.menu ?? null;
        activeMenu = submenu;
        const sym = submenu?.sym ?? null;
        switch (ans.action) {
          case 'back':
            return;
          case 'quit':
            return 'quit';
          case 'enter':
          case 'space':
            if (!row || !submenu) break;
            if (row.tag === 'm') {
              if ((await this.conf(submenu, null)) === 'quit') return 'quit';
            } else if (row.tag === 't' && sym) {
              if (symIsChoice(sym) && sym.curr.tri === yes) await this.confChoice(submenu);
              else if (submenu.prompt?.type === 'menu' && ans.action === 'enter') {
                if ((await this.conf(submenu, null)) === 'quit') return 'quit';
              } else symToggleTristateValue(sym);
            } else if (row.tag === 's') await this.confString(submenu);
            break;
          case 'y':
            if (row?.tag === 't' && sym) {
              if (symSetTristateValue(sym, yes)) break;
              if (symSetTristateValue(sym, mod)) this.notice(SETMOD_TEXT);
            }
            break;
          case 'n':
            if (row?.tag === 't' && sym) symSetTristateValue(sym, no);
            break;
          case 'm':
            if (row?.tag === 't' && sym) symSetTristateValue(sym, mod);
            break;
          case 'help':
            if (sym && submenu) await this.showHelp(submenu);
            else await this.showText('README', README);
            break;
          case 'search':
            if ((await this.searchConf()) === 'quit') return 'quit';
            break;
          case 'save':
            await this.confSave();
            break;
          case 'load':
            await this.confLoad();
            break;
          case 'showall':
            this.showAll = !this.showAll;
            break;
        }
      }
    } finally {
      if (menu !== root) this.trail.pop();
    }
  }

  /** conf_choice(): the radio list of a choice's visible members; picking one sets it to y. */
  async confChoice(menu: Menu): Promise<void> {
    const choice = menu.sym!;
    let active = symGetChoiceValue(choice);
    for (;;) {
      const children: Menu[] = [];
      for (let child = menu.list; child; child = child.next) if (menuIsVisible(child)) children.push(child);
      const cur = symGetChoiceValue(choice);
      const rows = children.map((child) => ({
        label: child.sym ? `(${child.sym === cur ? 'X' : ' '}) ${menuGetPrompt(child)}` : `*** ${menuGetPrompt(child)} ***`,
        active: !!child.sym,
      }));
      const initial = Math.max(0, children.findIndex((c) => c.sym === active));
      const ans = await this.list(
        menuGetPrompt(menu) ?? 'Main Menu', rows,
        { return: 'select', space: 'select', '?': 'help', h: 'help', escape: 'back', left: 'back', x: 'back' },
        [['↑↓', 'move'], ['⏎/space', 'select'], ['?', 'help'], ['esc', 'back']], initial,
      );
      const child = children[ans.index];
      if (ans.action === 'select') {
        // mconf.c conf_choice(): 6.1 sym_set_tristate_value(sym, yes); 6.12 choice_set_value(),
        // which symToggleTristateValue() calls for a choice member of a 6.12 tree.
        if (child?.sym) {
          if (ctx().tree.version === '6.1') symSetTristateValue(child.sym, yes);
          else symToggleTristateValue(child.sym);
        }
        return;
      }
      if (ans.action === 'help') {
        if (child) {
          await this.showHelp(child);
          active = child.sym;
        } else await this.showHelp(menu);
        continue;
      }
      return;
    }
  }

  /** conf_string(): the input box of an int/hex/string symbol; invalid or out-of-range entries are refused. */
  async confString(menu: Menu): Promise<void> {
    const sym = menu.sym!;
    const kind = symGetType(sym);
    const what = kind === SymbolType.Int ? 'a decimal value' : kind === SymbolType.Hex ? 'a hexadecimal value' : 'a string value';
    const value = await this.withEscape((signal) => input({
      message: `${menuGetPrompt(menu) ?? 'Main Menu'} (${what}; esc cancels)`,
      default: symGetStringValue(sym),
      prefill: 'editable',
      validate: (v) => symStringWithinRange(sym, v) || 'You have made an invalid entry.',
    }, { signal, clearPromptOnDone: true }));
    if (value === null) return;
    if (!symSetStringValue(sym, value)) this.notice('You have made an invalid entry.');
  }

  /** search_conf(): symbols by name (regexp); a result can be jumped to (conf(target->parent, target)) or explained. */
  async searchConf(): Promise<'quit' | void> {
    const prefix = ctx().env.CONFIG_ ?? 'CONFIG_';
    const pattern = await this.withEscape((signal) => input({
      message: `Search Configuration Parameter: enter (sub)string or regexp to search for (with or without "${prefix}")`,
    }, { signal, clearPromptOnDone: true }));
    if (pattern === null || pattern === '') return;
    const p = pattern.toLowerCase().startsWith(prefix.toLowerCase()) ? pattern.slice(prefix.length) : pattern;
    const syms = symReSearch(p);
    this.trail.push(`Search (${pattern})`);
    try {
      let index = 0;
      for (;;) {
        const rows = syms.map((s) => {
          const target = jumpTarget(s);
          const promptProp = s.props.find((pr) => pr.type === 'symbol' && pr.menu.prompt);
          return {
            label: `${s.name} [=${symGetStringValue(s)}]${promptProp ? `  ${promptProp.menu.prompt!.text}` : ''}${target ? '' : '  (not reachable)'}`,
            active: target !== null,
          };
        });
        if (!rows.length) {
          await this.showText('Search Results', 'No matches found.');
          return;
        }
        const ans = await this.list(
          `Search Results (${syms.length})`, rows,
          { return: 'jump', '?': 'help', h: 'help', escape: 'back', left: 'back', x: 'back', q: 'quit' },
          [['↑↓', 'move'], ['⏎', 'go to'], ['?', 'symbol info'], ['esc', 'back']], index,
        );
        index = ans.index;
        const sym = syms[ans.index];
        if (ans.action === 'back') return;
        if (ans.action === 'quit') return 'quit';
        if (ans.action === 'help' && sym) await this.showText(`Symbol ${sym.name}`, getSymbolStr(sym));
        if (ans.action === 'jump' && sym) {
          const target = jumpTarget(sym);
          if (target?.parent && (await this.conf(target.parent, target)) === 'quit') return 'quit';
        }
      }
    } finally {
      this.trail.pop();
    }
  }

  /** conf_save(): write the configuration to another file (which becomes the one saved on exit). */
  async confSave(): Promise<void> {
    const name = await this.withEscape((signal) => input({
      message: 'Save an alternate configuration: file name (empty aborts)', default: this.filename, prefill: 'editable',
    }, { signal, clearPromptOnDone: true }));
    if (!name) return;
    try {
      confWrite(name);
      this.filename = name;
    } catch (e) {
      this.notice(`Can't create file! (${(e as Error).message})`);
    }
  }

  /** conf_load(): read another configuration file (which becomes the one saved on exit). */
  async confLoad(): Promise<void> {
    const name = await this.withEscape((signal) => input({
      message: 'Load an alternate configuration: file name (empty aborts)', default: this.filename, prefill: 'editable',
    }, { signal, clearPromptOnDone: true }));
    if (!name) return;
    if (!confRead(name)) {
      this.filename = name;
      confSetChanged(true);
    } else this.notice('File does not exist!');
  }

  /**
   * handle_exit(): when the configuration changed, ask whether to save it; save with
   * conf_write() and conf_write_autoconf(). Resolves to the exit status, or 'continue' (Esc).
   */
  async handleExit(): Promise<number | 'continue'> {
    const c = ctx();
    const out = (s: string): void => void process.stdout.write(Buffer.from(s, 'latin1'));
    const err = (s: string): void => void process.stderr.write(Buffer.from(s, 'latin1'));
    let res: 'yes' | 'no' | 'continue' | 'unchanged' = 'unchanged';
    if (confGetChanged()) {
      try {
        const r = await this.withEscape((signal) => select({
          message: 'Do you wish to save your new configuration? (Esc continues the configuration)',
          choices: [{ name: 'Yes', value: 'yes' as const }, { name: 'No', value: 'no' as const }],
        }, { signal }));
        res = r ?? 'continue';
      } catch (e) {
        if (!(e instanceof QuitRequest)) throw e;
        res = 'no';
      }
    }
    if (res === 'continue') return 'continue';
    for (const n of this.notices.splice(0)) err(`${n}\n`);
    // From here on conf's messages go to the terminal, as with save_and_exit set.
    c.message = this.opts.silent ? null : out;
    c.stderr = err;
    if (res === 'yes') {
      try {
        confWrite(this.filename);
      } catch (e) {
        err(`\n\nError while writing of the configuration.\nYour configuration changes were NOT saved.\n\n${(e as Error).message}\n`);
        return 1;
      }
      confWriteAutoconf(this.opts.syncconfig ?? false);
    }
    if (res === 'yes' || res === 'unchanged') {
      if (!this.opts.silent) out("\n\n*** End of the configuration.\n*** Execute 'make' to start the build or try 'make help'.\n\n");
      return 0;
    }
    if (!this.opts.silent) err('\n\nYour configuration changes were NOT saved.\n\n');
    return 0;
  }
}

/**
 * Run menuconfig on a tree, as `make menuconfig` runs mconf: load the configuration
 * (KCONFIG_CONFIG, default .config in the object tree), browse and edit it, and on leaving
 * save it if the user says so.
 * @returns the exit status (0; 1 when the configuration could not be written)
 * @throws Error (userError) when stdin/stdout is not a terminal or the tree cannot be loaded
 */
export async function runMenuconfig(opts: MenuconfigOptions): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw Object.assign(new Error('menuconfig needs a terminal (stdin and stdout must be a TTY); use `kbuildts config oldconfig` or olddefconfig for scripted runs'), { userError: true });
  }
  const session = loadSession({ ...opts, stdout: opts.silent ? () => {} : opts.stdout });
  const ui = new Menuconfig(opts, session.configName);
  const root = session.ctx.tree.rootMenu;
  for (;;) {
    try {
      await ui.conf(root, null);
    } catch (e) {
      if (!(e instanceof QuitRequest)) throw e;
    }
    const r = await ui.handleExit();
    if (r !== 'continue') return r;
  }
}
