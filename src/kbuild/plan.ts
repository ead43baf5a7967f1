/**
 * The routing table of a driver tree, for people (`kbuildts plan`) and for programs (`--json`).
 * It shows what Kbuild would do with each object of obj-y / obj-m / lib-y after evaluating the
 * makefiles against a .config (scripts/Makefile.lib; see src/kbuild/routing.ts): built-in or
 * module, composite parts, per-part flags, and the output (`.ko` or built-in.a membership).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDotConfig } from './dotconfig.js';
import { KbuildError } from './makefile.js';
import { routeTree, type Routing } from './routing.js';

/** Options of {@link planTree}. */
export interface PlanOptions {
  /** The driver tree root. */
  dir: string;
  /** The .config; default `<dir>/.config`. */
  configFile?: string;
  /** KERNELRELEASE seen by the makefiles; default `kbuildts`. */
  kernelRelease?: string;
}

/**
 * Route a tree for display.
 * @returns the {@link Routing}
 * @throws KbuildError when the .config is missing or malformed, or a makefile has an error
 */
export function planTree(opts: PlanOptions): Routing {
  const root = resolve(opts.dir);
  const configFile = resolve(opts.configFile ?? join(root, '.config'));
  if (!existsSync(configFile)) {
    throw new KbuildError({ file: configFile, line: 0, col: 0 }, 'no such .config (pass --config FILE, e.g. one written by `kbuildts config`)');
  }
  return routeTree({ root, config: readDotConfig(configFile), kernelRelease: opts.kernelRelease });
}

/**
 * The JSON form of a routing (stable field names, paths relative to the tree root):
 * `{root, config, objects: [{object, route, composite, output, reason?, listedAt, parts: [{object,
 * source, modname, basename, modfile?, flags}]}], directories: [{dir, makefile, needBuiltin,
 * needModorder, subdirs}], warnings}`.
 */
export function planJson(r: Routing): unknown {
  return {
    root: r.root,
    config: r.configFile,
    objects: r.objects.map((o) => ({
      object: o.object,
      route: o.route,
      composite: o.composite,
      output: o.output,
      ...(o.reason ? { reason: o.reason } : {}),
      listedAt: `${o.loc.file}:${o.loc.line}:${o.loc.col}`,
      parts: o.parts.map((p) => ({ object: p.object, source: p.source, modname: p.modname, basename: p.basename, ...(p.modfile ? { modfile: p.modfile } : {}), flags: p.flags })),
    })),
    directories: r.directories.map((d) => ({ dir: d.dir, makefile: d.makefile, needBuiltin: d.needBuiltin, needModorder: d.needModorder, subdirs: d.subdirs })),
    warnings: r.warnings,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/**
 * The routing as a readable table: one row per object (object, route, output), then one line
 * per compiled part with its source, KBUILD_MODNAME and the flags Kbuild adds (directory flags
 * and -DMODULE / -DKBUILD_MODFILE; KBUILD_BASENAME/KBUILD_MODNAME flags are implied by the
 * names shown), then a summary and the warnings.
 * @returns text ending in a newline
 */
export function formatPlan(r: Routing): string {
  const rows = r.objects;
  const w1 = Math.max(6, ...rows.map((o) => o.object.length)) + 2;
  const w2 = 10;
  let out = `Kbuild routing of ${r.root} with ${r.configFile}\n\n`;
  out += `${pad('OBJECT', w1)}${pad('ROUTE', w2)}OUTPUT\n`;
  for (const o of rows) {
    const route = o.route + (o.composite ? '*' : '');
    const output = o.route === 'built-in' ? `member of ${o.output}` : o.route === 'dropped' ? `(not built: ${o.reason})` : o.output;
    out += `${pad(o.object, w1)}${pad(route, w2)}${output}\n`;
    for (const p of o.parts) {
      const kindFlags = p.flags.filter((f) => f === '-DMODULE' || f.startsWith('-DKBUILD_MODFILE='));
      const flags = [...p.dirFlags, ...kindFlags];
      out += `    ${o.composite ? '+ ' : ''}${p.source}  modname=${p.modname}${flags.length > 0 ? `  ${flags.join(' ')}` : ''}\n`;
    }
  }
  const count = (route: string): number => rows.filter((o) => o.route === route).length;
  out += `\n${count('module')} module(s), ${count('built-in')} built-in, ${count('lib')} lib, ${count('dropped')} dropped`;
  out += rows.some((o) => o.composite) ? '; * = composite object (parts marked +)\n' : '\n';
  for (const w of r.warnings) out += `${w}\n`;
  return out;
}
