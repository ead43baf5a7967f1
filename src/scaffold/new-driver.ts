/**
 * `kbuildts new driver`: scaffold a driver directory from templates/driver/ and wire it into the
 * parent directory's Kconfig (a `source` line) and Kbuild makefile (`obj-$(CONFIG_X) += dir/`),
 * the way drivers are added to the kernel tree (Documentation/kbuild/kconfig-language.rst,
 * "source"; Documentation/kbuild/makefiles.rst, 3.5 "Descending down in directories").
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/atomic-write.js';

/** What to scaffold. */
export interface NewDriverOptions {
  /** Driver name: the directory, the .c file and the module name (`[a-z0-9_-]+`). */
  name: string;
  /** Directory that receives the driver directory; its Kconfig and Makefile/Kbuild are edited. */
  parent: string;
  /** The tree root that `source` paths are relative to ($srctree); default: `parent`'s nearest ancestor with a top-level Kconfig having `mainmenu`, else `parent`. */
  srctree?: string;
  /** One-line description used for the prompt, the help text and MODULE_DESCRIPTION. */
  description?: string;
  /** Kconfig symbol name without CONFIG_ (default: the name upper-cased, `-` as `_`). */
  symbol?: string;
}

/** What was written. */
export interface NewDriverResult {
  /** Absolute path of the new driver directory. */
  dir: string;
  /** Files created, absolute. */
  created: string[];
  /** Parent files edited, absolute. */
  edited: string[];
  /** The Kconfig symbol, without CONFIG_. */
  symbol: string;
}

/** An error in the user's request (exit status 1 in the CLI). */
class ScaffoldError extends Error {
  readonly userError = true;
}

const templateDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../templates/driver');

/** Find the tree root: the nearest ancestor (inclusive) whose Kconfig has a `mainmenu` line. */
function findSrctree(start: string): string {
  for (let d = resolve(start); ; d = dirname(d)) {
    const k = join(d, 'Kconfig');
    if (existsSync(k) && /^\s*mainmenu\b/m.test(readFileSync(k, 'utf8'))) return d;
    if (dirname(d) === d) return resolve(start);
  }
}

/**
 * Insert `line` into `text` after the last line matching `anchor`, else before the last line
 * matching `before` (e.g. `endmenu`), else at the end.
 */
function insertLine(text: string, line: string, anchor: RegExp, before?: RegExp): string {
  const lines = text.replace(/\n$/, '').split('\n');
  let at = -1;
  lines.forEach((l, i) => { if (anchor.test(l)) at = i + 1; });
  if (at < 0 && before) lines.forEach((l, i) => { if (before.test(l)) at = i; });
  if (at < 0) at = lines.length;
  lines.splice(at, 0, line);
  return `${lines.join('\n')}\n`;
}

/**
 * Create `<parent>/<name>/{Kconfig,Makefile,<name>.c}` and wire them into the parent.
 * @returns the files created and edited
 * @throws an Error with `userError` when the name or symbol is invalid, the directory exists, the
 *   parent has no Kconfig or Makefile/Kbuild, or the symbol is already defined in the parent Kconfig
 */
export function newDriver(opts: NewDriverOptions): NewDriverResult {
  const { name } = opts;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new ScaffoldError(`invalid driver name '${name}': use lower-case letters, digits, '_' and '-'`);
  const symbol = opts.symbol ?? name.toUpperCase().replace(/-/g, '_');
  if (!/^[A-Z0-9_]+$/.test(symbol)) throw new ScaffoldError(`invalid Kconfig symbol '${symbol}'`);
  const parent = resolve(opts.parent);
  const parentKconfig = join(parent, 'Kconfig');
  const parentMake = [join(parent, 'Kbuild'), join(parent, 'Makefile')].find((f) => existsSync(f));
  if (!existsSync(parentKconfig)) throw new ScaffoldError(`${parentKconfig}: no such file (the parent directory needs a Kconfig to source the driver from)`);
  if (!parentMake) throw new ScaffoldError(`${parent}: no Kbuild or Makefile to add obj-$(CONFIG_${symbol}) to`);
  const dir = join(parent, name);
  if (existsSync(dir)) throw new ScaffoldError(`${dir} already exists`);
  const kconfigText = readFileSync(parentKconfig, 'utf8');
  if (new RegExp(`^\\s*(menu)?config\\s+${symbol}\\s*$`, 'm').test(kconfigText)) {
    throw new ScaffoldError(`${parentKconfig}: symbol ${symbol} is already defined`);
  }
  const srctree = opts.srctree ? resolve(opts.srctree) : findSrctree(parent);
  const description = opts.description ?? `${name} driver`;
  const vars: Record<string, string> = { NAME: name, SYMBOL: symbol, DESC: description, IDENT: name.replace(/-/g, '_') };
  const fill = (tmpl: string): string => readFileSync(join(templateDir, tmpl), 'utf8').replace(/\{\{([A-Z]+)\}\}/g, (_, k: string) => vars[k] ?? '');

  const created = [join(dir, 'Kconfig'), join(dir, 'Makefile'), join(dir, `${name}.c`)];
  writeFileAtomic(created[0], fill('Kconfig.tmpl'));
  writeFileAtomic(created[1], fill('Makefile.tmpl'));
  writeFileAtomic(created[2], fill('driver.c.tmpl'));

  const edited = wireSubdir({ parent, srctree, name, symbol });
  return { dir, created, edited, symbol };
}

/**
 * Wire the subdirectory `<parent>/<name>` into its parent, as in-tree drivers are: a
 * `source "<path from srctree>/Kconfig"` line in `<parent>/Kconfig` (after the last
 * source line, else before the last `endmenu`, else at the end) and `obj-$(CONFIG_<symbol>) +=
 * <name>/` in `<parent>/Kbuild` or `<parent>/Makefile` (after the last `obj-... += dir/` line).
 * A line already present (same source path, same `obj-... += <name>/`) is not added again, and an
 * unchanged file is not rewritten (so make's timestamps stay put).
 * @returns the parent files edited (absolute; empty when both lines were there).
 * @throws an Error with `userError` when the parent has no Kconfig or no Kbuild/Makefile.
 */
export function wireSubdir(opts: { parent: string; srctree: string; name: string; symbol: string }): string[] {
  const parent = resolve(opts.parent);
  const parentKconfig = join(parent, 'Kconfig');
  const parentMake = [join(parent, 'Kbuild'), join(parent, 'Makefile')].find((f) => existsSync(f));
  if (!existsSync(parentKconfig)) throw new ScaffoldError(`${parentKconfig}: no such file (the parent directory needs a Kconfig to source the driver from)`);
  if (!parentMake) throw new ScaffoldError(`${parent}: no Kbuild or Makefile to add obj-$(CONFIG_${opts.symbol}) to`);
  const edited: string[] = [];
  const sourcePath = relative(resolve(opts.srctree), join(parent, opts.name, 'Kconfig')).split(sep).join('/');
  const kconfigText = readFileSync(parentKconfig, 'utf8');
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (!new RegExp(`^\\s*(source|rsource|osource|orsource)\\s+"?${esc(sourcePath)}"?\\s*$`, 'm').test(kconfigText)) {
    writeFileAtomic(parentKconfig, insertLine(kconfigText, `source "${sourcePath}"`, /^\s*(source|rsource|osource|orsource)\s/, /^\s*endmenu\b/));
    edited.push(parentKconfig);
  }
  const makeText = readFileSync(parentMake, 'utf8');
  if (!new RegExp(`^\\s*obj-\\$\\(CONFIG_${esc(opts.symbol)}\\)\\s*\\+=\\s*${esc(opts.name)}/\\s*$`, 'm').test(makeText)) {
    writeFileAtomic(parentMake, insertLine(makeText, `obj-$(CONFIG_${opts.symbol})\t+= ${opts.name}/`, /^\s*obj-[^\s]*\s*[:+]?=.*\/\s*$/));
    edited.push(parentMake);
  }
  return edited;
}
