/**
 * Merging configuration fragments into a .config, with the semantics of Linux 6.1
 * scripts/kconfig/merge_config.sh, and the make targets built on it:
 *
 *  - {@link mergeConfig}: the text merge itself (`merge_config.sh -m [-y] [-r] [-s] BASE FRAG...`).
 *  - {@link mergeConfigFiles}: the same on files, writing the merged result (the `-m` mode: no make).
 *  - {@link configFragmentFiles}: the files `make <name>.config` merges.
 *
 * The make targets built on it (`<name>.config`, tinyconfig, and merge_config.sh's own
 * alldefconfig run) are modes of runConfig() in config.ts.
 *
 * What merge_config.sh does, step by step (and this module does the same, quirks included):
 * for each fragment, every line `CONFIG_X=...` or `# CONFIG_X is not set` names a symbol; if the
 * merged text so far contains CONFIG_X as a whole word (`grep -w`), the lines of the merged text
 * that contain `CONFIG_X ` or `CONFIG_X=` anywhere (`sed "/CONFIG_X[ =]/d"` — a substring
 * match, so `CONFIG_KERNEL_XZ` also removes a `CONFIG_HAVE_KERNEL_XZ=y` line) are deleted, and a
 * "Value of CONFIG_X is redefined" message is printed when the old and new lines differ. Then an
 * empty line and the whole fragment are appended. With -y (builtin), a fragment's `=m` does not
 * demote an existing `=y`: the fragment's lines for that symbol are dropped instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { srcArchOf } from './environment.js';

/** One configuration fragment: its name (for messages) and its text. */
export interface ConfigFragment {
  /** The file name as merge_config.sh would print it ("Merging <name>"). */
  name: string;
  text: string;
}

/** Options of {@link mergeConfig}; the letters are merge_config.sh's options. */
export interface MergeConfigOptions {
  /** `-y`: a fragment's `=m` does not override an existing `=y`. */
  builtin?: boolean;
  /** `-r`: report symbols a fragment sets to the value they already have. */
  warnRedundant?: boolean;
  /** `-s`: a fragment that redefines a value is an error ({@link MergeConfigError}). */
  strict?: boolean;
  /** The symbol prefix (merge_config.sh: `${CONFIG_-CONFIG_}`); default "CONFIG_". */
  prefix?: string;
  /** The base file's name for the "Using <base> as base" message; default ".config". */
  baseName?: string;
}

/** What {@link mergeConfig} produces. */
export interface MergeConfigResult {
  /** The merged text (what merge_config.sh -m copies to .config). */
  text: string;
  /** merge_config.sh's stdout lines ("Using ... as base", "Merging ...", redefinition notes). */
  messages: string[];
  /** Symbols (with prefix) whose value a fragment changed, in the order met. */
  redefined: string[];
}

/** A strict-mode (-s) violation or an unreadable fragment; `userError` (the CLI exits 1). */
export class MergeConfigError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'MergeConfigError';
  }
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Split text as sed/grep see it: lines without their `\n`; a final newline adds no empty line. */
function toLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * `sed -i "/re/d"` on a text, byte for byte as GNU sed does it: the lines matching are removed;
 * a last line without its newline keeps lacking it when it stays the last line.
 */
function sedDelete(text: string, re: RegExp): string {
  const lines = toLines(text);
  const noFinalNewline = text !== '' && !text.endsWith('\n');
  const kept = lines.filter((l) => !re.test(l));
  if (kept.length === 0) return '';
  const lastKept = noFinalNewline && !re.test(lines[lines.length - 1]);
  return `${kept.join('\n')}${lastKept ? '' : '\n'}`;
}

/**
 * `grep -w -e CFG`: the lines holding `cfg` not preceded or followed by a word character
 * (letters, digits, _), joined with newlines ("" when none).
 */
export function grepWord(lines: readonly string[], cfg: string): string {
  const word = new RegExp(`(?<![A-Za-z0-9_])${escapeRe(cfg)}(?![A-Za-z0-9_])`);
  return lines.filter((l) => word.test(l)).join('\n');
}

/** The symbols a fragment names, in order (SED_CONFIG_EXP1 and SED_CONFIG_EXP2 of merge_config.sh). */
export function fragmentSymbols(text: string, prefix = 'CONFIG_'): string[] {
  const p = escapeRe(prefix);
  const set = new RegExp(`^(${p}[a-zA-Z0-9_]*)=`);
  const unset = new RegExp(`^# (${p}[a-zA-Z0-9_]*) is not set$`);
  const out: string[] = [];
  for (const line of toLines(text)) {
    const m = set.exec(line) ?? unset.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

/**
 * Merge fragments into a base configuration text exactly as `merge_config.sh -m` does (see the
 * module comment for the rules and quirks).
 * @param base the base .config text ("" when it does not exist: merge_config.sh creates it empty).
 * @param fragments fragments in order; later ones win.
 * @returns the merged text, the messages merge_config.sh prints, the redefined symbols.
 * @throws MergeConfigError in strict mode when a fragment redefines a value.
 */
export function mergeConfig(base: string, fragments: readonly ConfigFragment[], opts: MergeConfigOptions = {}): MergeConfigResult {
  const prefix = opts.prefix ?? 'CONFIG_';
  const messages: string[] = [`Using ${opts.baseName ?? '.config'} as base`];
  const redefined: string[] = [];
  let tmp = base;
  let strictViolated = false;
  for (const frag of fragments) {
    messages.push(`Merging ${frag.name}`);
    let merge = frag.text;
    for (const cfg of fragmentSymbols(frag.text, prefix)) {
      const prev = grepWord(toLines(tmp), cfg);
      if (prev === '') continue;
      const next = grepWord(toLines(merge), cfg);
      // The sed address /CFG[ =]/: a substring match anywhere on the line.
      const del = new RegExp(`${escapeRe(cfg)}[ =]`);
      // ${NEW_VAL#CONFIG_*=}: the value after the first `CONFIG_...=` (shortest match).
      const valueOf = (v: string): string => {
        const m = /^CONFIG_.*?=/s.exec(v);
        return m ? v.slice(m[0].length) : v;
      };
      // `echo Previous  value: $VAR` (unquoted): all words joined by single spaces.
      const words = (v: string): string => v.split(/\s+/).filter(Boolean).join(' ');
      let builtinKeep = false;
      if (opts.builtin && valueOf(next) === 'm' && valueOf(prev) === 'y') {
        messages.push(`Previous value: ${words(prev)}`, `New value: ${words(next)}`, '-y passed, will not demote y to m', '');
        builtinKeep = true;
      } else if (prev !== next) {
        messages.push(`Value of ${cfg} is redefined by fragment ${frag.name}:`, `Previous value: ${words(prev)}`, `New value: ${words(next)}`, '');
        redefined.push(cfg);
        if (opts.strict) strictViolated = true;
      } else if (opts.warnRedundant) {
        messages.push(`Value of ${cfg} is redundant by fragment ${frag.name}:`);
      }
      if (!builtinKeep) tmp = sedDelete(tmp, del);
      else merge = sedDelete(merge, del);
    }
    // "In case the previous file lacks a new line at the end": echo >> TMP, then cat MERGE >> TMP.
    tmp = `${tmp}\n${merge}`;
  }
  if (strictViolated) throw new MergeConfigError('The fragment redefined a value and strict mode had been passed.');
  return { text: tmp, messages, redefined };
}

/**
 * `merge_config.sh -m BASE FRAGMENT...`: merge fragment files into BASE and write the result to
 * `output` (default: BASE, as with `-m .config`).
 * @param opts.base the base file (absolute or relative to the cwd); a missing one counts as empty.
 * @param opts.fragments fragment files, in order.
 * @returns what {@link mergeConfig} returns, plus the file written.
 * @throws MergeConfigError when a fragment is missing ("The merge file ... does not exist") or
 *   in strict mode on a redefinition.
 */
export function mergeConfigFiles(opts: { base: string; fragments: readonly string[]; output?: string } & MergeConfigOptions): MergeConfigResult & { output: string } {
  // latin1: bytes in, the same bytes out, as sed and cat treat them.
  const base = existsSync(opts.base) ? readFileSync(opts.base, 'latin1') : '';
  const frags = opts.fragments.map((f) => {
    if (!existsSync(f)) throw new MergeConfigError(`The merge file '${f}' does not exist.  Exit.`);
    return { name: f, text: readFileSync(f, 'latin1') };
  });
  const r = mergeConfig(base, frags, { ...opts, baseName: opts.baseName ?? opts.base });
  const output = opts.output ?? opts.base;
  writeFileAtomic(output, Buffer.from(r.text, 'latin1'));
  return { ...r, output };
}

/**
 * The fragment files `make <name>.config` merges: `$(srctree)/kernel/configs/<name>.config` and
 * `$(srctree)/arch/$(SRCARCH)/configs/<name>.config`, those that exist (scripts/kconfig/Makefile
 * `configfiles`).
 */
export function configFragmentFiles(srctree: string, arch: string, target: string): string[] {
  return [join(srctree, 'kernel/configs', target), join(srctree, 'arch', srcArchOf(arch), 'configs', target)].filter((f) => existsSync(f));
}
