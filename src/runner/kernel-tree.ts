/**
 * A private, writable copy of a kernel source tree with a driver directory copied into
 * `drivers/` and wired in the way in-tree drivers are (Documentation/kbuild/kconfig-language.rst
 * "source"; Documentation/kbuild/makefiles.rst 3.5 "Descending down in directories"): a
 * `source "drivers/<name>/Kconfig"` line in drivers/Kconfig and `obj-$(CONFIG_<SYM>) += <name>/`
 * in drivers/Makefile (the insertion is {@link wireSubdir} of src/scaffold/new-driver.ts).
 *
 * The copy lives under `<cacheDir()>/kernel-build/` and is made once (a tarball is unpacked,
 * a directory is copied with `cp -a`), then reused: later runs only re-copy the driver files
 * that changed, so make's timestamps stay put and rebuilds stay incremental. The pristine
 * source (e.g. the set-up cache's linux-source-6.1, used by others as srctree) is never written.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { wireSubdir } from '../scaffold/new-driver.js';
import { cacheDir, loadManifest } from './cache.js';
import { ToolchainError, which } from './toolchain.js';

/** Where a driver directory ended up in the kernel tree, and what it defines. */
export interface WiredDriver {
  /** The driver directory given (absolute). */
  origin: string;
  /** Its copy in the kernel tree (absolute), `<tree>/drivers/<name>`. */
  dir: string;
  /** Its path relative to the tree, e.g. `drivers/early`. */
  relDir: string;
  /** The symbol of the parent's `obj-$(CONFIG_<symbol>) += <name>/` line (the first `config` of its Kconfig), without CONFIG_. */
  symbol: string;
  /** Every bool/tristate symbol with a prompt that the driver's Kconfig files define (CONFIG_ omitted), in file order. */
  symbols: string[];
  /** Object names its Kbuild/Makefile files list (`obj-... += x.o` gives `x`): the KBUILD_MODNAMEs of its built-in objects. */
  objects: string[];
  /** Files copied or updated this run, relative to the tree (empty when nothing changed). */
  copied: string[];
  /** Parent files edited this run (absolute; empty when already wired). */
  edited: string[];
}

/** Options of {@link prepareKernelTree}. */
export interface PrepareKernelTreeOptions {
  /**
   * The kernel source: a tarball (`.tar.xz`, `.tar.gz`, `.tar`), unpacked, or a directory,
   * copied. Default: /usr/src/linux-source-6.1.tar.xz when it exists, else the set-up
   * manifest's linuxSource['6.1'].srcDir.
   */
  source?: string;
  /** A driver directory (with Kconfig and Kbuild or Makefile) to copy into `drivers/<name>`. */
  driver?: string;
  /** The directory name under drivers/; default the driver directory's base name. */
  driverName?: string;
  /** Called with a one-line description before slow steps (unpacking). */
  onProgress?: (message: string) => void;
}

/** A prepared kernel tree. */
export interface KernelTree {
  /** The private tree (absolute): usable as `make -C` directory and srctree. */
  srcDir: string;
  /** The source it was made from (absolute). */
  origin: string;
  /** True when this call unpacked or copied the tree (false: reused). */
  created: boolean;
  /** Milliseconds spent unpacking or copying (0 when reused). */
  createMs: number;
  /** The wired driver, when one was given. */
  driver?: WiredDriver;
}

/** A user-facing problem with the tree or driver (the CLI exits 1). */
export class KernelTreeError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'KernelTreeError';
  }
}

/** The default kernel source: the Debian tarball, else the set-up cache's unpacked 6.1 tree. */
export function defaultKernelSource(): string {
  const tarball = '/usr/src/linux-source-6.1.tar.xz';
  if (existsSync(tarball)) return tarball;
  const src = loadManifest().linuxSource['6.1'];
  if (!src) throw new KernelTreeError('no Linux 6.1 source: install linux-source-6.1 (`npm run setup`) or pass --srctree');
  return src.srcDir;
}

const TARBALL = /\.tar(\.(xz|gz|bz2|zst))?$|\.tgz$/;

/** The private tree directory for a source: `<cache>/kernel-build/<stem>-<hash of the source path>`. */
export function privateTreeDir(source: string): string {
  const abs = resolve(source);
  const stem = basename(abs).replace(TARBALL, '');
  return join(cacheDir(), 'kernel-build', `${stem}-${createHash('sha1').update(abs).digest('hex').slice(0, 8)}`);
}

/** Files that are build products, never copied into the kernel tree. */
const ARTIFACT = /(\.o|\.ko|\.mod|\.mod\.c|\.cmd|\.a|\.order|\.symvers|\.d|\.tmp)$|^\.config$|^Module\.symvers$|^modules\.order$/;

function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => !f.split('/').some((part) => part.startsWith('.') && part !== '.') && !ARTIFACT.test(basename(f)))
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/**
 * Make dest mirror src's source files: copy a file only when its bytes differ, delete files that
 * src no longer has. @returns the paths (relative to dest) written or deleted.
 */
function syncDir(src: string, dest: string): string[] {
  const changed: string[] = [];
  const want = listFiles(src);
  mkdirSync(dest, { recursive: true });
  for (const f of want) {
    const data = readFileSync(join(src, f));
    const to = join(dest, f);
    if (existsSync(to) && readFileSync(to).equals(data)) continue;
    mkdirSync(join(to, '..'), { recursive: true });
    writeFileSync(to, data, { mode: statSync(join(src, f)).mode & 0o777 });
    changed.push(f);
  }
  const wanted = new Set(want);
  for (const f of existsSync(dest) ? listFiles(dest) : []) {
    if (!wanted.has(f)) {
      rmSync(join(dest, f), { force: true });
      changed.push(f);
    }
  }
  return changed;
}

/**
 * The symbols a driver directory's Kconfig files define: the first `config`/`menuconfig` of
 * DIR/Kconfig (the wiring symbol) and every bool/tristate entry with a prompt, in file order
 * over DIR/Kconfig and the Kconfig files under it.
 */
export function driverSymbols(dir: string): { symbol: string; symbols: string[] } {
  const top = join(dir, 'Kconfig');
  if (!existsSync(top)) throw new KernelTreeError(`${top}: no such file (the driver directory needs a Kconfig defining its symbol)`);
  const files = [top, ...listFiles(dir).filter((f) => /(^|\/)Kconfig[^/]*$/.test(f) && f !== 'Kconfig').map((f) => join(dir, f))];
  let symbol: string | undefined;
  const symbols: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^\s*(menu)?config\s+([A-Za-z0-9_]+)\s*$/.exec(lines[i]);
      if (!m) continue;
      if (file === top && symbol === undefined) symbol = m[2];
      // The entry's attributes: following lines up to the next entry keyword.
      for (let j = i + 1; j < lines.length && !/^\s*(menu|endmenu|config|menuconfig|choice|endchoice|comment|if|endif|source)\b/.test(lines[j]); j++) {
        if (/^\s*(bool|tristate)\s+"/.test(lines[j]) || (/^\s*(bool|tristate)\b/.test(lines[j]) && lines.slice(i + 1, j + 8).some((l) => /^\s*prompt\s+"/.test(l)))) {
          symbols.push(m[2]);
          break;
        }
      }
    }
  }
  if (!symbol) throw new KernelTreeError(`${top}: defines no config symbol`);
  return { symbol, symbols };
}

/** The object names (`x` for `x.o`) that obj-* lines of the Kbuild/Makefile files under dir list. */
export function driverObjects(dir: string): string[] {
  const names: string[] = [];
  for (const f of listFiles(dir).filter((p) => /(^|\/)(Kbuild|Makefile)$/.test(p))) {
    const text = readFileSync(join(dir, f), 'utf8').replace(/\\\n/g, ' ');
    for (const m of text.matchAll(/^\s*obj-\S*\s*[:+]?=\s*(.*)$/gm)) {
      for (const w of m[1].split(/\s+/)) {
        const o = /^([A-Za-z0-9_-]+)\.o$/.exec(w);
        const n = o ? o[1].replace(/-/g, '_') : undefined;
        if (n && !names.includes(n)) names.push(n);
      }
    }
  }
  return names;
}

/**
 * Keep one kbuildts driver per tree: remove the other drivers/<dir> copies that kbuildts made
 * (those with a .kbuildts-driver marker) and their `source` and `obj-` lines, so the tree is
 * the pristine source plus the one driver being built.
 * @returns the parent files edited (absolute).
 */
function unwireOtherDrivers(srcDir: string, keep: string): string[] {
  const drivers = join(srcDir, 'drivers');
  const edited = new Set<string>();
  for (const name of readdirSync(drivers)) {
    if (name === keep || !existsSync(join(drivers, name, '.kbuildts-driver'))) continue;
    const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const patterns: [string, RegExp][] = [
      ['Kconfig', new RegExp(`^\\s*source\\s+"drivers/${esc}/Kconfig"\\s*$`)],
      ['Makefile', new RegExp(`^\\s*obj-\\$\\(CONFIG_[A-Za-z0-9_]+\\)\\s*\\+=\\s*${esc}/\\s*$`)],
    ];
    for (const [file, re] of patterns) {
      const path = join(drivers, file);
      const text = readFileSync(path, 'utf8');
      const kept = text.split('\n').filter((l) => !re.test(l)).join('\n');
      if (kept !== text) {
        writeFileSync(path, kept);
        edited.add(path);
      }
    }
    rmSync(join(drivers, name), { recursive: true, force: true });
  }
  return [...edited];
}

async function createTree(source: string, dest: string): Promise<void> {
  const parent = join(dest, '..');
  mkdirSync(parent, { recursive: true });
  const work = mkdtempSync(join(parent, '.unpack-'));
  try {
    if (statSync(source).isDirectory()) {
      await execa('cp', ['-a', '--', `${source}/.`, `${work}/tree`]);
    } else {
      if (!which('tar')) throw new ToolchainError('tar not found on PATH: install the Debian package tar');
      if (source.endsWith('.xz') && !which('xz')) throw new ToolchainError('xz not found on PATH: install the Debian package xz-utils');
      await execa('tar', ['-xf', source, '-C', work]);
      const top = readdirSync(work);
      if (top.length !== 1) throw new KernelTreeError(`${source}: expected one top-level directory, found ${top.length}`);
      renameSync(join(work, top[0]), join(work, 'tree'));
    }
    if (!existsSync(join(work, 'tree', 'Makefile')) || !existsSync(join(work, 'tree', 'Kconfig'))) {
      throw new KernelTreeError(`${source} is not a kernel source tree (no top-level Makefile and Kconfig)`);
    }
    writeFileSync(join(work, 'tree', '.kbuildts-tree'), `${JSON.stringify({ origin: source })}\n`);
    try {
      renameSync(join(work, 'tree'), dest);
    } catch (err) {
      // Another run finished first: use its tree.
      if (!existsSync(join(dest, '.kbuildts-tree'))) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Prepare (or reuse) the private kernel tree for `source` and wire `driver` into it.
 * @returns the tree, whether it was created and how long that took, and the wired driver.
 * @throws KernelTreeError for a source that is not a kernel tree, a driver without Kconfig or
 *   symbol, or a drivers/<name> that belongs to the kernel itself; ToolchainError when tar/xz
 *   is missing; SetupMissingError when no source is given and none is installed.
 */
export async function prepareKernelTree(opts: PrepareKernelTreeOptions): Promise<KernelTree> {
  const origin = resolve(opts.source ?? defaultKernelSource());
  if (!existsSync(origin)) throw new KernelTreeError(`${origin}: no such kernel source (a tarball or a directory)`);
  const srcDir = privateTreeDir(origin);
  let created = false;
  let createMs = 0;
  if (!existsSync(join(srcDir, '.kbuildts-tree'))) {
    if (existsSync(srcDir)) rmSync(srcDir, { recursive: true, force: true }); // an interrupted copy
    opts.onProgress?.(`${statSync(origin).isDirectory() ? 'copying' : 'unpacking'} ${origin} to ${srcDir}`);
    const t0 = Date.now();
    await createTree(origin, srcDir);
    createMs = Date.now() - t0;
    created = true;
  }
  if (existsSync(join(srcDir, '.config')) || existsSync(join(srcDir, 'include', 'config'))) {
    throw new KernelTreeError(`${srcDir} has been configured in place: an O= build needs a clean source tree (run \`make -C ${srcDir} ARCH=arm64 mrproper\`)`);
  }
  const tree: KernelTree = { srcDir, origin, created, createMs };
  if (opts.driver) {
    const driverDir = resolve(opts.driver);
    if (!existsSync(driverDir) || !statSync(driverDir).isDirectory()) throw new KernelTreeError(`${driverDir}: no such driver directory`);
    const name = opts.driverName ?? basename(driverDir);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new KernelTreeError(`driver directory name '${name}' cannot be a Kbuild directory name`);
    const { symbol, symbols } = driverSymbols(driverDir);
    const dest = join(srcDir, 'drivers', name);
    const marker = join(dest, '.kbuildts-driver');
    if (existsSync(dest) && !existsSync(marker)) {
      throw new KernelTreeError(`drivers/${name} already exists in the kernel tree and is not a kbuildts copy: choose another name (driverName)`);
    }
    // drivers/<name> is kbuildts's own copy: a copy of another directory of the same name (another
    // checkout of the same tree, or another driver) is replaced by syncDir, which also removes
    // the files the new origin does not have.
    const previous = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : undefined;
    if (previous !== undefined && previous !== driverDir) {
      opts.onProgress?.(`drivers/${name} was a copy of ${previous}: replacing it with ${driverDir}`);
    }
    const removed = unwireOtherDrivers(srcDir, name);
    const copied = syncDir(driverDir, dest).map((f) => `drivers/${name}/${f}`);
    if (previous !== driverDir) writeFileSync(marker, `${driverDir}\n`);
    const edited = wireSubdir({ parent: join(srcDir, 'drivers'), srctree: srcDir, name, symbol });
    tree.driver = {
      origin: driverDir,
      dir: dest,
      relDir: relative(srcDir, dest),
      symbol,
      symbols,
      objects: driverObjects(driverDir),
      copied,
      edited: [...new Set([...removed, ...edited])],
    };
  }
  return tree;
}
