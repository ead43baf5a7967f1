/**
 * Kbuild routing: which objects of a driver tree are built in, which become modules, what they
 * are linked from and with which flags — what scripts/Makefile.lib and scripts/Makefile.build
 * (Linux 6.1) decide from a directory's Kbuild file and the .config.
 *
 * Rules followed (Documentation/kbuild/makefiles.rst §3.1-3.7, §3.10-3.12, scripts/Makefile.lib):
 * - `obj-m := $(filter-out $(obj-y),$(obj-m))`: an object listed in both is built in.
 * - `foo.o` is a composite object when `foo-objs`, `foo-y` (or, for modules, `foo-m`), or `foo-`
 *   is non-empty; its parts are `$(foo-objs) $(foo-y)` (+ `$(foo-m)` for a module).
 * - `dir/` in obj-y or obj-m descends into dir; subdir-y/subdir-m descend without linking.
 *   A subdirectory needs its built-in.a (`need-builtin`) only when the parent needs one and
 *   lists it in obj-y; it contributes modules (`need-modorder`) when the parent does and lists
 *   it in obj-y or obj-m. obj-y objects of a directory without need-builtin are not built at all,
 *   and obj-m objects without need-modorder are not built (Kbuild warns). Both show as `dropped`.
 * - Per part: `KBUILD_BASENAME` is the part's name, `KBUILD_MODNAME` the composite(s) it is
 *   linked into (joined with `:`) or its own name, `-DMODULE` (KBUILD_CFLAGS_MODULE) only for
 *   parts of modules, `-DKBUILD_MODFILE` (modfile_flags) only for built-in parts; directory
 *   flags are `$(subdir-ccflags-y)` of this and every parent, then `$(ccflags-y)`, minus
 *   `$(ccflags-remove-y)`, then `$(CFLAGS_<part>.o)`, minus `$(CFLAGS_REMOVE_<part>.o)`.
 *   Assembler parts use asflags-y / AFLAGS_<part>.o / subdir-asflags-y the same way.
 */
import { existsSync, statSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import type { DotConfig } from './dotconfig.js';
import {
  KbuildError,
  evaluateMakefile,
  locateWord,
  readKbuildMakefile,
  words,
  type MakeLoc,
  type MakeVars,
} from './makefile.js';

/** How Kbuild treats an object. */
export type Route = 'built-in' | 'module' | 'lib' | 'dropped';

/** One compiled unit (a .c or .S file) that is, or is part of, a routed object. */
export interface RoutedPart {
  /** Object path relative to the tree root, posix, e.g. `drivers/kbts/multi/kbts_multi_ops.o`. */
  object: string;
  /** Source path relative to the tree root, e.g. `drivers/kbts/multi/kbts_multi_ops.c`. */
  source: string;
  /** `c` for .c (cc), `asm` for .S (cc -D__ASSEMBLY__). */
  lang: 'c' | 'asm';
  /** KBUILD_BASENAME (the part's own name, `-` and `,` made `_`). */
  basename: string;
  /** KBUILD_MODNAME: the module (composite) it ends up in, or would if built as a module. */
  modname: string;
  /** KBUILD_MODFILE for built-in parts (`dir/modname`, relative to the tree root), else undefined. */
  modfile?: string;
  /**
   * The flags Kbuild adds for this part on top of the kernel-wide ones, in command-line order:
   * directory flags (subdir-ccflags-y chain, ccflags-y, CFLAGS_x.o, removals applied), then
   * -DMODULE (modules) or -DKBUILD_MODFILE (built-in), then KBUILD_BASENAME / KBUILD_MODNAME.
   * `$(src)` and `$(obj)` are kept unexpanded, as make passes them to the compiler expanded to
   * the directory.
   */
  flags: string[];
  /** Only the directory's flags (subdir-ccflags-y chain, ccflags-y, CFLAGS_x.o), for display. */
  dirFlags: string[];
}

/** One entry of obj-y / obj-m / lib-y after evaluation. */
export interface RoutedObject {
  /** Object path relative to the tree root, e.g. `drivers/kbts/multi/kbts_multi.o`. */
  object: string;
  /** Its directory relative to the tree root ('' for the root). */
  dir: string;
  /** The object's name without `.o`, e.g. `kbts_multi`. */
  name: string;
  route: Route;
  /** True for a composite object (`name-y`, `name-objs` ...). */
  composite: boolean;
  /** What is compiled: the object itself, or each part of a composite. */
  parts: RoutedPart[];
  /**
   * What it becomes: `dir/name.ko` (module), `dir/built-in.a` (built-in: the parts are members
   * of that archive, linked into vmlinux through the parents' built-in.a), `dir/lib.a` (lib-y),
   * or '' (dropped).
   */
  output: string;
  /** Why a dropped object is not built. */
  reason?: string;
  /** Where the object was listed. */
  loc: MakeLoc;
}

/** What a directory's Kbuild file says beyond its objects (used to re-emit it for a build). */
export interface RoutedDirectory {
  /** Relative to the tree root, posix, '' for the root. */
  dir: string;
  /** The makefile read (absolute): `Kbuild`, else `Makefile`. */
  makefile: string;
  /** scripts/Makefile.build `need-builtin`: its built-in.a is linked by the parent. */
  needBuiltin: boolean;
  /** scripts/Makefile.build `need-modorder`: its modules are built. */
  needModorder: boolean;
  /** Subdirectories (relative to the root) and how they are reached. */
  subdirs: { dir: string; via: 'obj-y' | 'obj-m' | 'subdir-y' }[];
  /** Expanded flag variables of this directory, by Kbuild variable name (`ccflags-y`, `CFLAGS_x.o`...). */
  flagVars: Record<string, string[]>;
}

/** The routing of a whole tree. */
export interface Routing {
  /** Absolute tree root (the DIR given). */
  root: string;
  /** The .config file used. */
  configFile: string;
  directories: RoutedDirectory[];
  objects: RoutedObject[];
  /** Non-fatal findings, `file:line:col: warning: ...` like Kbuild's own warnings. */
  warnings: string[];
}

/** Options of {@link routeTree}. */
export interface RouteOptions {
  /** The tree root: a directory with a Kbuild file or Makefile. */
  root: string;
  /** The configuration to evaluate `$(CONFIG_...)` against. */
  config: DotConfig;
  /** KERNELRELEASE as Kbuild sets it while reading the makefiles (non-empty); default `kbuildts`. */
  kernelRelease?: string;
  /** How to show file paths in locations; default: relative to the current directory. */
  displayPath?: (abs: string) => string;
}

/** Flag variables re-emitted per directory (the Kbuild names). */
const DIR_FLAG_VARS = ['subdir-ccflags-y', 'subdir-asflags-y', 'ccflags-y', 'ccflags-remove-y', 'asflags-y', 'asflags-remove-y'];

/**
 * Regroup make words that a shell would read as one argument: `-DX='"good` `day"'` (make splits
 * at the space; the shell running the compiler joins them again) becomes one flag.
 */
function shellWords(ws: string[]): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  const open = (s: string): boolean => {
    let q: string | null = null;
    for (const ch of s) {
      if (q) {
        if (ch === q) q = null;
      } else if (ch === "'" || ch === '"') q = ch;
    }
    return q !== null;
  };
  for (const w of ws) {
    cur = cur === null ? w : `${cur} ${w}`;
    if (!open(cur)) {
      out.push(cur);
      cur = null;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

function nameFix(s: string): string {
  return s.replace(/[-,]/g, '_');
}

function stringify(s: string): string {
  return `'"${s}"'`;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function defaultDisplay(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel.startsWith('..') || rel === '' ? abs : rel;
}

/**
 * Route a driver tree: read the Kbuild file of the root and, recursively, of every
 * subdirectory it descends into, evaluated against `opts.config`.
 * @returns every object Kbuild would consider, in makefile order, with parts, flags and output
 * @throws KbuildError (`file:line:col: ...`) for unsupported makefile constructs, a missing
 *   subdirectory makefile, an object without a source file, or an entry that is neither
 *   `name.o` nor `dir/`
 */
export function routeTree(opts: RouteOptions): Routing {
  const root = resolve(opts.root);
  const display = opts.displayPath ?? defaultDisplay;
  const initial: Record<string, string> = {};
  for (const [k, v] of opts.config.values) initial[k] = v;
  initial.KERNELRELEASE = opts.kernelRelease ?? 'kbuildts';
  for (const v of ['src', 'obj', 'srctree', 'objtree']) initial[v] = `$(${v})`;

  const routing: Routing = { root, configFile: opts.config.file, directories: [], objects: [], warnings: [] };
  const rootMf = readKbuildMakefile(root, display);
  if (!rootMf) throw new KbuildError({ file: display(root), line: 0, col: 0 }, 'no Kbuild file or Makefile in this directory');

  interface Pending { dir: string; needBuiltin: boolean; needModorder: boolean; inheritedC: string[]; inheritedA: string[]; ref?: MakeLoc }
  const queue: Pending[] = [{ dir: '', needBuiltin: true, needModorder: true, inheritedC: [], inheritedA: [] }];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (seen.has(p.dir)) continue;
    seen.add(p.dir);
    const absDir = join(root, p.dir);
    if (!existsSync(absDir) || !statSync(absDir).isDirectory()) {
      throw new KbuildError(p.ref!, `subdirectory '${p.dir}/' does not exist`);
    }
    const mf = p.dir === '' ? rootMf : readKbuildMakefile(absDir, display);
    if (!mf) throw new KbuildError(p.ref!, `no Kbuild file or Makefile in subdirectory '${p.dir}/'`);
    const vars = evaluateMakefile(mf, initial);
    const d = routeDirectory(root, p, vars, mf.file, routing);
    // Depth-first, subdirectories in the order the makefile lists them (as a reader expects).
    const children: Pending[] = [];
    for (const s of [...d.subdirs].sort((a, b) => a.ref.line - b.ref.line || a.ref.col - b.ref.col)) {
      const via = s.via;
      children.push({
        dir: s.dir,
        needBuiltin: p.needBuiltin && via === 'obj-y',
        needModorder: p.needModorder && (via === 'obj-y' || via === 'obj-m'),
        inheritedC: [...p.inheritedC, ...(d.flagVars['subdir-ccflags-y'] ?? [])],
        inheritedA: [...p.inheritedA, ...(d.flagVars['subdir-asflags-y'] ?? [])],
        ref: s.ref,
      });
    }
    queue.unshift(...children);
    routing.directories.push({ dir: d.dir, makefile: join(absDir, mf.file.split('/').pop()!), needBuiltin: p.needBuiltin, needModorder: p.needModorder, subdirs: d.subdirs.map(({ dir, via }) => ({ dir, via })), flagVars: d.flagVars });
  }
  return routing;
}

function routeDirectory(
  root: string,
  p: { dir: string; needBuiltin: boolean; needModorder: boolean; inheritedC: string[]; inheritedA: string[] },
  vars: MakeVars,
  file: string,
  routing: Routing,
): { dir: string; subdirs: { dir: string; via: 'obj-y' | 'obj-m' | 'subdir-y'; ref: MakeLoc }[]; flagVars: Record<string, string[]> } {
  const rel = (x: string): string => (p.dir === '' ? posix.normalize(x) : posix.join(p.dir, x));
  const where = (v: string, w: string): MakeLoc => locateWord(vars, v, w) ?? { file, line: 1, col: 1 };

  // scripts/Makefile.lib backward compatibility: EXTRA_CFLAGS and friends.
  const flagVars: Record<string, string[]> = {};
  for (const v of DIR_FLAG_VARS) flagVars[v] = shellWords(words(vars, v));
  flagVars['ccflags-y'] = [...flagVars['ccflags-y']!, ...shellWords(words(vars, 'EXTRA_CFLAGS'))];
  flagVars['asflags-y'] = [...flagVars['asflags-y']!, ...shellWords(words(vars, 'EXTRA_AFLAGS'))];
  for (const [name] of vars) {
    if (/^(CFLAGS|CFLAGS_REMOVE|AFLAGS|AFLAGS_REMOVE)_.+\.o$/.test(name)) flagVars[name] = shellWords(words(vars, name));
  }
  for (const unsupported of ['hostprogs', 'hostprogs-y', 'userprogs', 'always-y', 'extra-y', 'targets', 'dtb-y']) {
    if (words(vars, unsupported).length > 0) {
      throw new KbuildError(where(unsupported, ''), `unsupported Kbuild variable '${unsupported}' (only objects, composites, subdirectories and flags are routed)`);
    }
  }

  const objY = words(vars, 'obj-y');
  const objMAll = words(vars, 'obj-m');
  const objM = objMAll.filter((w) => !objY.includes(w));
  const libY = uniq([...words(vars, 'lib-y'), ...words(vars, 'lib-m')].sort()).filter((w) => !objY.includes(w));

  // Subdirectories, in the order they appear.
  const subdirs: { dir: string; via: 'obj-y' | 'obj-m' | 'subdir-y'; ref: MakeLoc }[] = [];
  const addSub = (w: string, via: 'obj-y' | 'obj-m' | 'subdir-y', v: string): void => {
    const name = w.replace(/\/+$/, '');
    const dir = rel(name);
    const existing = subdirs.find((s) => s.dir === dir);
    const rank = { 'obj-y': 0, 'obj-m': 1, 'subdir-y': 2 } as const;
    if (existing) {
      if (rank[via] < rank[existing.via]) existing.via = via;
      return;
    }
    subdirs.push({ dir, via, ref: where(v, w) });
  };
  for (const w of objY) if (w.endsWith('/')) addSub(w, 'obj-y', 'obj-y');
  for (const w of objM) if (w.endsWith('/')) addSub(w, 'obj-m', 'obj-m');
  for (const v of ['subdir-y', 'subdir-m']) for (const w of words(vars, v)) addSub(w, 'subdir-y', v);

  const dirC = (part: string): string[] => {
    const base = [...p.inheritedC, ...flagVars['subdir-ccflags-y']!, ...flagVars['ccflags-y']!].filter((f) => !flagVars['ccflags-remove-y']!.includes(f));
    const withFile = [...base, ...(flagVars[`CFLAGS_${part}.o`] ?? [])];
    const remove = flagVars[`CFLAGS_REMOVE_${part}.o`] ?? [];
    return withFile.filter((f) => !remove.includes(f));
  };
  const dirA = (part: string): string[] => {
    const base = [...p.inheritedA, ...flagVars['subdir-asflags-y']!, ...flagVars['asflags-y']!].filter((f) => !flagVars['asflags-remove-y']!.includes(f));
    const withFile = [...base, ...(flagVars[`AFLAGS_${part}.o`] ?? [])];
    const remove = flagVars[`AFLAGS_REMOVE_${part}.o`] ?? [];
    return withFile.filter((f) => !remove.includes(f));
  };

  const suffixWords = (stem: string, suffixes: string[]): string[] => suffixes.flatMap((s) => words(vars, `${stem}${s}`));
  const isComposite = (stem: string, module: boolean): boolean =>
    suffixWords(stem, module ? ['-objs', '-y', '-m', '-'] : ['-objs', '-y', '-']).length > 0;
  const partsOf = (stem: string, module: boolean): string[] => uniq(suffixWords(stem, module ? ['-objs', '-y', '-m'] : ['-objs', '-y']));

  // modname-multi: every composite of this directory (obj-y and obj-m) a part belongs to.
  const composites: { stem: string; parts: string[] }[] = [];
  for (const w of objY) if (!w.endsWith('/') && isComposite(w.replace(/\.o$/, ''), false)) composites.push({ stem: w.replace(/\.o$/, ''), parts: partsOf(w.replace(/\.o$/, ''), false) });
  for (const w of objM) if (!w.endsWith('/') && isComposite(w.replace(/\.o$/, ''), true)) composites.push({ stem: w.replace(/\.o$/, ''), parts: partsOf(w.replace(/\.o$/, ''), true) });

  const listVar = (route: 'y' | 'm' | 'lib'): string => (route === 'y' ? 'obj-y' : route === 'm' ? 'obj-m' : 'lib-y');
  const makeObject = (w: string, kind: 'y' | 'm' | 'lib'): void => {
    const loc = where(kind === 'lib' && words(vars, 'lib-y').length === 0 ? 'lib-m' : listVar(kind), w);
    if (!w.endsWith('.o')) throw new KbuildError(loc, `unsupported entry '${w}' in ${listVar(kind)} (expected name.o or dir/)`);
    const stem = w.slice(0, -2);
    const module = kind === 'm';
    let route: Route = kind === 'y' ? 'built-in' : kind === 'm' ? 'module' : 'lib';
    let reason: string | undefined;
    if (kind === 'y' && !p.needBuiltin) {
      route = 'dropped';
      reason = 'obj-y in a directory whose built-in.a is not linked (reached through obj-m or subdir-y): Kbuild does not build it';
    } else if (kind === 'm' && !p.needModorder) {
      route = 'dropped';
      reason = 'obj-m in a directory reached through subdir-y: Kbuild compiles it but links no .ko ("will not be built even though obj-m is specified")';
    } else if (kind === 'lib' && !p.needBuiltin) {
      route = 'lib';
    }
    const composite = kind !== 'lib' && isComposite(stem, module);
    const partStems = composite ? partsOf(stem, module).map((x) => x.replace(/\.o$/, '')) : [stem];
    if (composite && partStems.length === 0) {
      routing.warnings.push(`${loc.file}:${loc.line}:${loc.col}: warning: composite object '${w}' has no parts with this configuration`);
    }
    const parts: RoutedPart[] = [];
    for (const ps of partStems) {
      const objRel = rel(`${ps}.o`);
      let source: string | undefined;
      let lang: 'c' | 'asm' = 'c';
      for (const [ext, l] of [['.c', 'c'], ['.S', 'asm']] as const) {
        if (existsSync(join(root, rel(ps + ext)))) {
          source = rel(ps + ext);
          lang = l;
          break;
        }
      }
      if (!source) {
        const ploc = composite ? (locateWord(vars, `${stem}-y`, `${ps}.o`) ?? locateWord(vars, `${stem}-objs`, `${ps}.o`) ?? locateWord(vars, `${stem}-m`, `${ps}.o`) ?? loc) : loc;
        if (existsSync(join(root, rel(ps + '.rs')))) throw new KbuildError(ploc, `unsupported Rust object '${ps}.o'`);
        throw new KbuildError(ploc, `no source for '${ps}.o': expected ${rel(ps + '.c')} or ${rel(ps + '.S')}`);
      }
      const partBase = posix.basename(ps);
      const inComposites = composites.filter((c) => c.parts.includes(`${ps}.o`)).map((c) => c.stem).sort();
      const modname = (inComposites.length > 0 ? inComposites : [partBase]).map(nameFix).join(':');
      const modfileName = inComposites.length > 0 ? inComposites.join(" ") : partBase;
      const partOfModule = kind === 'm'; // dropped obj-m entries still show module flags
      const dirFlags = lang === 'c' ? dirC(ps) : dirA(ps);
      const flags = [...dirFlags];
      let modfile: string | undefined;
      if (partOfModule) flags.push('-DMODULE');
      else if (lang === 'c') {
        modfile = rel(modfileName);
        flags.push(`-DKBUILD_MODFILE=${stringify(modfile)}`);
      }
      if (lang === 'c') {
        flags.push(`-DKBUILD_BASENAME=${stringify(nameFix(partBase))}`);
        flags.push(`-DKBUILD_MODNAME=${stringify(modname)}`, `-D__KBUILD_MODNAME=kmod_${modname}`);
      }
      parts.push({ object: objRel, source, lang, basename: nameFix(partBase), modname, modfile, flags, dirFlags });
    }
    const output = route === 'module' ? rel(`${stem}.ko`) : route === 'built-in' ? rel('built-in.a') : route === 'lib' ? rel('lib.a') : '';
    routing.objects.push({ object: rel(w), dir: p.dir, name: stem, route, composite, parts, output, reason, loc });
  };
  const done = new Set<string>();
  const first = routing.objects.length;
  for (const w of objY) if (!w.endsWith('/') && !done.has(w)) { done.add(w); makeObject(w, 'y'); }
  for (const w of objM) if (!w.endsWith('/') && !done.has(w)) { done.add(w); makeObject(w, 'm'); }
  for (const w of libY) if (!done.has(w)) { done.add(w); makeObject(w, 'lib'); }
  // List this directory's objects in makefile order (obj-y and obj-m lines interleave).
  const mine = routing.objects.splice(first).sort((a, b) => a.loc.line - b.loc.line || a.loc.col - b.loc.col);
  routing.objects.push(...mine);
  for (const o of routing.objects.filter((x) => x.route === 'dropped' && x.dir === p.dir)) {
    routing.warnings.push(`${o.loc.file}:${o.loc.line}:${o.loc.col}: warning: ${o.object}: ${o.reason}`);
  }
  return { dir: p.dir, subdirs, flagVars };
}

/** The objects of `routing` that become loadable modules (`.ko`). */
export function moduleObjects(routing: Routing): RoutedObject[] {
  return routing.objects.filter((o) => o.route === 'module');
}

/** The objects of `routing` linked into the kernel image (members of a built-in.a). */
export function builtinObjects(routing: Routing): RoutedObject[] {
  return routing.objects.filter((o) => o.route === 'built-in');
}
