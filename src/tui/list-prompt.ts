/**
 * A select list with hotkeys, built on @inquirer/core's prompt toolkit (createPrompt,
 * useKeypress, usePagination) the way @inquirer/select is: the menuconfig screens need the
 * keys of lxdialog's menubox (scripts/kconfig/lxdialog/menubox.c: Y/N/M/Space on the
 * highlighted entry, `?` for help, `/` for search, Esc to leave) on top of a plain select.
 */
import { createPrompt, isDownKey, isEnterKey, isUpKey, makeTheme, useKeypress, usePagination, useState, type KeypressEvent } from '@inquirer/core';
import { styleText } from 'node:util';

/** One row of a {@link listPrompt}. */
export interface ListRow {
  /** The text shown (mconf's item text, e.g. `[*] Enable foo`). */
  label: string;
  /** Whether the row can be acted on; other rows (comments, headers) are shown dim but can be highlighted. */
  active: boolean;
}

/** Options of {@link listPrompt}. */
export interface ListPromptConfig {
  /** The title line (the menu's prompt). */
  message: string;
  /** Lines shown above the list (back title, breadcrumb, notices). */
  header?: string[];
  rows: ListRow[];
  /** Index of the row highlighted at first. */
  initial?: number;
  /**
   * Hotkeys: key → action name. A key is a readline key name (`y`, `space`, `escape`, `left`,
   * `return` for Enter) or the typed character (`?`, `/`). Enter on a row gives `enter` unless mapped.
   */
  keys: Record<string, string>;
  /** Key hints shown under the list: [key, what it does]. */
  hints: [string, string][];
  /** Visible rows at once (default: the terminal height less the header). */
  pageSize?: number;
}

/** What {@link listPrompt} resolves to: the action of the key pressed and the highlighted row. */
export interface ListAnswer {
  action: string;
  index: number;
}

type RawKey = KeypressEvent & { sequence?: string };

const listPromptImpl = createPrompt<ListAnswer, ListPromptConfig>((config, done) => {
  const theme = makeTheme({});
  const rows = config.rows;
  const [active, setActive] = useState(Math.min(Math.max(config.initial ?? 0, 0), Math.max(rows.length - 1, 0)));
  const [status, setStatus] = useState<'idle' | 'done'>('idle');
  const termRows = process.stdout.rows || 24;
  const pageSize = config.pageSize ?? Math.max(5, termRows - (config.header?.length ?? 0) - 5);

  useKeypress((key: RawKey, rl) => {
    const finish = (action: string): void => {
      setStatus('done');
      done({ action, index: active });
    };
    if (isUpKey(key) || isDownKey(key)) {
      rl.clearLine(0);
      if (rows.length === 0) return;
      const next = active + (isUpKey(key) ? -1 : 1);
      if (next >= 0 && next < rows.length) setActive(next);
      return;
    }
    if (key.name === 'pageup' || key.name === 'pagedown' || key.name === 'home' || key.name === 'end') {
      rl.clearLine(0);
      if (rows.length === 0) return;
      const to = key.name === 'home' ? 0 : key.name === 'end' ? rows.length - 1 : active + (key.name === 'pageup' ? -pageSize : pageSize);
      setActive(Math.min(Math.max(to, 0), rows.length - 1));
      return;
    }
    const seq = key.sequence ?? '';
    const byName = key.name && !key.ctrl ? config.keys[key.name] : undefined;
    const bySeq = seq.length === 1 && !key.ctrl ? config.keys[seq] : undefined;
    const action = bySeq ?? byName ?? (isEnterKey(key) ? 'enter' : undefined);
    rl.clearLine(0);
    if (action) finish(action);
  });

  const page = usePagination({
    items: rows,
    active,
    pageSize,
    loop: false,
    renderItem({ item, isActive }) {
      const text = `${isActive ? '>' : ' '} ${item.label}`;
      if (isActive) return theme.style.highlight(text);
      return item.active ? text : styleText('dim', text);
    },
  });
  if (status === 'done') return '';
  const hints = config.hints.map(([k, what]) => `${styleText('bold', k)} ${styleText('dim', what)}`).join(styleText('dim', ' • '));
  return [...(config.header ?? []), theme.style.message(config.message, 'idle'), rows.length ? page : styleText('dim', '  (no entries)'), ' ', hints].join('\n');
});

/**
 * Show a list and wait for a hotkey (or Enter) on one of its rows.
 * @returns the action mapped to the key and the index of the highlighted row (0 when empty)
 * @throws ExitPromptError on Ctrl+C (from @inquirer/core)
 */
export function listPrompt(config: ListPromptConfig): Promise<ListAnswer> {
  return listPromptImpl(config, { clearPromptOnDone: true });
}
