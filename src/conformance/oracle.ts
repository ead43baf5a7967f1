/**
 * The conformance oracle: the kernel's own C Kconfig tools, run exactly as `make` runs them, so
 * that kbuildts can be checked against them byte for byte.
 *
 * - {@link buildDumpTool} compiles test/oracle/kconfig-dump.c against a tree's own
 *   scripts/kconfig sources (everything `conf` links except conf.c), cached per series.
 * - {@link dumpOracle} runs it: the parsed and finalised Kconfig tree in a line format that
 *   src/conformance/dump.ts reproduces from a kbuildts {@link KconfigTree}.
 * - {@link runOracle} runs scripts/kconfig/conf for one `make <mode>` target in an object
 *   directory and reports what it wrote; {@link compareTrees} compares two object directories'
 *   configuration outputs.
 *
 * Follows: scripts/kconfig/Makefile (targets, conf command lines, KCONFIG_DEFCONFIG_LIST),
 * the top Makefile (exported environment), scripts/kconfig/conf.c (what each mode writes).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, lstatSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cacheDir, loadManifest, SetupMissingError } from '../runner/cache.js';
import { defaultCrossCompile, kbuildDefconfigName, kernelVersionOf, makeEnvironment, srcArchOf } from '../kconfig/environment.js';

/* ------------------------------------------------------------------------------------------ */
/* Trees and environment                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** A kernel source tree and its C conf, as the oracle uses them. */
export interface OracleTree {
  /** Series key of the manifest, e.g. "6.1", "6.12". */
  series: string;
  /** Absolute path of the pristine source tree (srctree). */
  srcDir: string;
  /** Absolute path of scripts/kconfig/conf built from it. */
  conf: string;
  /** KERNELVERSION, e.g. "6.1.192". */
  kernelVersion: string;
}

/**
 * The source tree and conf of a series, from the setup manifest (cacheDir()/manifest.json),
 * else from the conventional cache layout (src/linux-source-<series>, oracle/<series>-build).
 * @throws SetupMissingError when neither has the series.
 */
export function oracleTree(series: string): OracleTree {
  let entry: { srcDir: string; conf: string; kernelVersion?: string } | undefined;
  try {
    entry = loadManifest().linuxSource[series];
  } catch {
    entry = undefined;
  }
  if (!entry) {
    const srcDir = join(cacheDir(), 'src', `linux-source-${series}`);
    const conf = join(cacheDir(), 'oracle', `${series}-build`, 'scripts', 'kconfig', 'conf');
    if (existsSync(join(srcDir, 'Kconfig'))) entry = { srcDir, conf };
  }
  if (!entry || !existsSync(join(entry.srcDir, 'Kconfig'))) {
    throw new SetupMissingError(`the Linux ${series} source tree`);
  }
  const kernelVersion = entry.kernelVersion ?? kernelVersionOf(readFileSync(join(entry.srcDir, 'Makefile'), 'utf8'));
  return { series, srcDir: entry.srcDir, conf: entry.conf, kernelVersion };
}

/** Series present on this machine (manifest entries plus unpacked trees in the cache), sorted. */
export function availableSeries(): string[] {
  const found = new Set<string>();
  try {
    for (const k of Object.keys(loadManifest().linuxSource)) found.add(k);
  } catch {
    /* no manifest yet */
  }
  const src = join(cacheDir(), 'src');
  if (existsSync(src)) {
    for (const d of readdirSync(src)) {
      const m = /^linux-source-(\d+\.\d+)$/.exec(d);
      if (m && existsSync(join(src, d, 'Kconfig'))) found.add(m[1]);
    }
  }
  return [...found].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Options for {@link oracleEnvironment}. */
export interface OracleEnvOptions {
  /** Series key ("6.1", "6.12"); selects the tree unless `srcDir` is given. */
  series: string;
  /** ARCH as given to make, e.g. "arm64", "x86_64", "x86". */
  arch: string;
  /** CROSS_COMPILE; default {@link defaultCrossCompile}(arch) ("" for x86). */
  crossCompile?: string;
  /** Source tree; default the series' tree from the manifest. */
  srcDir?: string;
  /** Extra variables set last (KCONFIG_ALLCONFIG, KCONFIG_SEED, ...). */
  extra?: Record<string, string>;
  /** Base environment (default process.env). */
  base?: NodeJS.ProcessEnv;
}

/**
 * The full environment `make ARCH=<arch> CROSS_COMPILE=<cc> <mode>` gives conf
 * ({@link makeEnvironment}), plus KCONFIG_CONFIG=.config, then `extra`.
 * @returns a complete environment record, for the C conf and kbuildts alike.
 * @throws Error when the compiler for the arch is not installed (from ccVersionText).
 */
export function oracleEnvironment(opts: OracleEnvOptions): Record<string, string> {
  const srcDir = opts.srcDir ?? oracleTree(opts.series).srcDir;
  const kernelVersion = kernelVersionOf(readFileSync(join(srcDir, 'Makefile'), 'utf8'));
  const crossCompile = opts.crossCompile ?? defaultCrossCompile(opts.arch);
  const env = makeEnvironment({ srctree: srcDir, arch: opts.arch, crossCompile, kernelVersion, base: opts.base });
  env.KCONFIG_CONFIG = '.config';
  return { ...env, ...(opts.extra ?? {}) };
}

/* ------------------------------------------------------------------------------------------ */
/* The dump tool                                                                               */
/* ------------------------------------------------------------------------------------------ */

const HERE = dirname(fileURLToPath(import.meta.url));

/** Absolute path of test/oracle/kconfig-dump.c (from src/conformance or dist/conformance). */
export function dumpToolSource(): string {
  return resolve(HERE, '..', '..', 'test', 'oracle', 'kconfig-dump.c');
}

/** The objects `conf` links besides conf.o, from scripts/kconfig/Makefile's `common-objs`. */
function commonObjs(kdir: string): string[] {
  const mk = readFileSync(join(kdir, 'Makefile'), 'utf8').replace(/\\\n/g, ' ');
  const m = /^common-objs\s*:=\s*(.*)$/m.exec(mk);
  const objs = m ? m[1].trim().split(/\s+/) : ['confdata.o', 'expr.o', 'lexer.lex.o', 'menu.o', 'parser.tab.o', 'preprocess.o', 'symbol.o', 'util.o'];
  return objs.map((o) => o.replace(/\.o$/, ''));
}

/**
 * The KD_* macros kconfig-dump.c needs for this tree, derived from its own headers (so a Debian
 * stable update that backports a change is followed automatically).
 */
function dumpFeatures(kdir: string): string[] {
  const exprH = readFileSync(join(kdir, 'expr.h'), 'utf8');
  const lkcH = readFileSync(join(kdir, 'lkc.h'), 'utf8');
  const all = exprH + lkcH + (existsSync(join(kdir, 'internal.h')) ? readFileSync(join(kdir, 'internal.h'), 'utf8') : '');
  const defs: string[] = [];
  if (/^struct file \{/m.test(exprH)) defs.push('-DKD_STRUCT_FILE');
  if (/for_all_symbols\(\s*i\s*,/.test(all)) defs.push('-DKD_FOR_ALL_SYMBOLS_2');
  if (/\bP_SYMBOL\b/.test(exprH)) defs.push('-DKD_P_SYMBOL');
  if (/\bP_CHOICE\b/.test(exprH)) defs.push('-DKD_P_CHOICE');
  if (/struct list_head\s+menus;/.test(exprH)) defs.push('-DKD_SYM_MENUS');
  if (existsSync(join(kdir, 'internal.h'))) defs.push('-DKD_INTERNAL_H');
  return defs;
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < items.length) await fn(items[i++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/**
 * Build (or reuse) the kconfig-dump tool for a series.
 *
 * Compiles, with the host gcc and the kernel's HOSTCFLAGS (-O2 -std=gnu11), the tree's
 * scripts/kconfig common objects (lexer.lex.c and parser.tab.c regenerated with flex -L and
 * bison -t -l, as scripts/Makefile.host does) plus test/oracle/kconfig-dump.c, linked with
 * `--wrap=popen --wrap=zconf_nextfile` (the shell and source counters).
 *
 * @param series manifest key, e.g. "6.1".
 * @param opts.srcDir source tree to build from (default the series' tree); opts.force rebuilds.
 * @returns absolute path of the executable, cacheDir()/oracle/<series>-dump/kconfig-dump.
 *   Rebuilt when kconfig-dump.c, the tree's kconfig sources or the flags change (a SHA-256
 *   stamp); the build happens in a temporary directory renamed into place, so concurrent
 *   callers are safe.
 * @throws SetupMissingError without the tree; Error with the compiler output when a step fails.
 */
export async function buildDumpTool(series: string, opts: { srcDir?: string; force?: boolean } = {}): Promise<string> {
  const srcDir = opts.srcDir ?? oracleTree(series).srcDir;
  const kdir = join(srcDir, 'scripts', 'kconfig');
  const outDir = join(cacheDir(), 'oracle', `${series}-dump`);
  const exe = join(outDir, 'kconfig-dump');
  const dumpC = dumpToolSource();
  const objs = commonObjs(kdir);
  const defs = dumpFeatures(kdir);
  const cflags = ['-Wall', '-Wmissing-prototypes', '-Wstrict-prototypes', '-O2', '-fomit-frame-pointer', '-std=gnu11'];
  const incs = ['-I', kdir, '-I', '.'];
  if (existsSync(join(srcDir, 'scripts', 'include'))) incs.push('-I', join(srcDir, 'scripts', 'include'));

  const h = createHash('sha256');
  h.update(JSON.stringify({ objs, defs, cflags, incs, v: 1 }));
  h.update(readFileSync(dumpC));
  for (const f of readdirSync(kdir).sort()) {
    if (/\.(c|h|l|y)$/.test(f)) h.update(f).update(readFileSync(join(kdir, f)));
  }
  const stamp = h.digest('hex');
  const stampFile = join(outDir, 'stamp');
  if (!opts.force && existsSync(exe) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return exe;

  mkdirSync(dirname(outDir), { recursive: true });
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const run = async (cmd: string, args: string[]): Promise<void> => {
      const r = await execa(cmd, args, { cwd: tmp, reject: false, all: true });
      if (r.exitCode !== 0) throw new Error(`kconfig-dump build failed: ${cmd} ${args.join(' ')}\n${r.all ?? ''}`);
    };
    await Promise.all([
      run('flex', ['-olexer.lex.c', '-L', join(kdir, 'lexer.l')]),
      run('bison', ['-o', 'parser.tab.c', '--defines=parser.tab.h', '-t', '-l', join(kdir, 'parser.y')]),
    ]);
    const sources = objs.map((o) => (o === 'lexer.lex' || o === 'parser.tab' ? `${o}.c` : join(kdir, `${o}.c`)));
    sources.push(dumpC);
    await pool(sources, 2, async (src) => {
      const base = src.replace(/^.*\//, '').replace(/\.c$/, '');
      await run('gcc', [...cflags, ...defs, ...incs, '-c', '-o', `${base}.o`, src]);
    });
    const ofiles = sources.map((s) => `${s.replace(/^.*\//, '').replace(/\.c$/, '')}.o`);
    await run('gcc', ['-o', 'kconfig-dump', ...ofiles, '-Wl,--wrap=popen', '-Wl,--wrap=zconf_nextfile']);
    writeFileSync(join(tmp, 'stamp'), stamp);
    const current = (): boolean => existsSync(exe) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
    if (current()) {
      // Another process finished the same build meanwhile: keep its tool (it may be running).
      rmSync(tmp, { recursive: true, force: true });
      return exe;
    }
    rmSync(outDir, { recursive: true, force: true });
    try {
      renameSync(tmp, outDir);
    } catch (e) {
      if (!current()) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(exe) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return exe;
    throw e;
  }
  return exe;
}

/** Options for {@link dumpOracle}. */
export interface DumpOptions {
  series: string;
  arch: string;
  /** Directory to run in (the object directory); default a fresh temporary one. */
  objtree?: string;
  /** Environment; default {@link oracleEnvironment}({series, arch}). */
  env?: Record<string, string>;
  /** Sections to print: any of counts, files, hash, menu, values (default counts,files,hash,menu). */
  sections?: string[];
  /** conf_read() this file after parsing and print the values section ("-" = conf_read(NULL)). */
  config?: string;
  /** Only these SYMBOL_* bits of the flags are printed (default all). */
  flagsMask?: number;
  /** Top Kconfig file name (default "Kconfig"). */
  kconfig?: string;
}

/** What {@link dumpOracle} returns. */
export interface DumpResult {
  /** The dump text (see test/oracle/kconfig-dump.c for the format). */
  text: string;
  /** Warnings the C parser printed. */
  stderr: string;
  /** The `count` lines as numbers: files, sources, shell, symbols, choices, ... */
  counts: Record<string, number>;
}

/**
 * Run the dump tool (building it if needed) on a series/arch.
 * @throws Error with the tool's stderr when it exits non-zero (e.g. a Kconfig syntax error).
 */
export async function dumpOracle(opts: DumpOptions): Promise<DumpResult> {
  const exe = await buildDumpTool(opts.series);
  const env = opts.env ?? oracleEnvironment({ series: opts.series, arch: opts.arch });
  let cwd = opts.objtree;
  let tmp: string | undefined;
  if (!cwd) {
    tmp = join(cacheDir(), 'tmp', `dump-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(tmp, { recursive: true });
    cwd = tmp;
  } else mkdirSync(cwd, { recursive: true });
  const args: string[] = [];
  if (opts.sections) args.push('--sections', opts.sections.join(','));
  if (opts.config) args.push('--config', opts.config);
  if (opts.flagsMask !== undefined) args.push('--flags-mask', `0x${opts.flagsMask.toString(16)}`);
  args.push(opts.kconfig ?? 'Kconfig');
  try {
    const r = await execa(exe, args, { cwd, env, extendEnv: false, reject: false, maxBuffer: 1 << 30, stripFinalNewline: false, encoding: 'latin1' });
    if (r.exitCode !== 0) throw new Error(`kconfig-dump exited ${r.exitCode}:\n${r.stderr}`);
    const counts: Record<string, number> = {};
    for (const m of r.stdout.matchAll(/^count (\S+) (\d+)$/gm)) counts[m[1]] = Number(m[2]);
    return { text: r.stdout, stderr: r.stderr, counts };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Running conf as make does                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Options for {@link runOracle}. */
export interface RunOracleOptions {
  series: string;
  arch: string;
  /**
   * The make target: allnoconfig, allyesconfig, allmodconfig, alldefconfig, randconfig,
   * olddefconfig, oldconfig, syncconfig, listnewconfig, helpnewconfig, yes2modconfig,
   * mod2yesconfig, mod2noconfig, savedefconfig, defconfig, <name>_defconfig, tinyconfig,
   * or <fragment>.config (merge_config.sh -m then olddefconfig).
   */
  mode: string;
  /** Object directory (created if missing). */
  objtree: string;
  /** Empty the object directory first (default true). */
  fresh?: boolean;
  /** For `defconfig`: the file given to --defconfig= (default arch/$(SRCARCH)/configs/$(KBUILD_DEFCONFIG)). */
  defconfigFile?: string;
  /** Environment; default {@link oracleEnvironment}({series, arch}). `allconfig`/`seed` are added to it. */
  env?: Record<string, string>;
  /** KCONFIG_ALLCONFIG for the all*config modes. */
  allconfig?: string;
  /** KCONFIG_SEED for randconfig. */
  seed?: string;
  /** The conf binary; default the series' oracle build. */
  conf?: string;
  /** Stdin text for interactive modes (oldconfig); default empty. */
  input?: string;
}

/** What {@link runOracle} returns. */
export interface OracleRun {
  /** The object directory (absolute). */
  objtree: string;
  /** Each conf command line run (argv, cwd = objtree). */
  commands: string[][];
  /** Exit status of the last command (0 = success). */
  exitCode: number;
  /** What conf printed, bytes as latin1 characters (as kbuildts keeps Kconfig text). */
  stdout: string;
  stderr: string;
  /** Files created or modified under objtree by the run, relative, sorted. */
  written: string[];
  /** Wall time in ms. */
  ms: number;
}

/** The conf command lines (after `conf`) `make <mode>` runs, per scripts/kconfig/Makefile. */
export function confCommands(mode: string, srcDir: string, arch: string, defconfigFile?: string): string[][] {
  const srcArch = srcArchOf(arch);
  const simple = ['oldconfig', 'allnoconfig', 'allyesconfig', 'allmodconfig', 'alldefconfig', 'randconfig',
    'listnewconfig', 'olddefconfig', 'syncconfig', 'helpnewconfig', 'yes2modconfig', 'mod2yesconfig', 'mod2noconfig'];
  if (simple.includes(mode)) return [['-s', `--${mode}`, 'Kconfig']];
  if (mode === 'savedefconfig') return [['-s', '--savedefconfig=defconfig', 'Kconfig']];
  if (mode === 'defconfig') {
    const f = defconfigFile ?? `arch/${srcArch}/configs/${kbuildDefconfigName(srcDir, arch)}`;
    return [['-s', `--defconfig=${f}`, 'Kconfig']];
  }
  if (/_defconfig$/.test(mode)) return [['-s', `--defconfig=arch/${srcArch}/configs/${mode}`, 'Kconfig']];
  throw new Error(`runOracle: unsupported mode ${mode}`);
}

/** Every regular file under dir (relative paths) with its mtime in ns. */
function snapshot(dir: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const walk = (d: string): void => {
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(relative(dir, p), statSync(p, { bigint: true }).mtimeNs);
    }
  };
  walk(dir);
  return out;
}

/**
 * Run the C conf exactly as `make ARCH=<arch> <mode>` would in an object directory: in that
 * directory, `conf -s --<mode> Kconfig` (Kconfig found under $srctree), with the environment of
 * {@link oracleEnvironment}. tinyconfig and `<fragment>.config` run the Makefile's sequence
 * (allnoconfig with KCONFIG_ALLCONFIG=kernel/configs/tiny-base.config; merge_config.sh -m;
 * olddefconfig).
 * @returns the commands, exit status, output and the files written (a mtime snapshot diff).
 * @throws SetupMissingError without the tree or conf; Error for an unknown mode. A failing conf
 *   is not thrown: see `exitCode`/`stderr`.
 */
export async function runOracle(opts: RunOracleOptions): Promise<OracleRun> {
  const tree = oracleTree(opts.series);
  const conf = opts.conf ?? tree.conf;
  if (!existsSync(conf)) throw new SetupMissingError(`the C conf for Linux ${opts.series} (${conf})`);
  const objtree = resolve(opts.objtree);
  if (opts.fresh !== false) rmSync(objtree, { recursive: true, force: true });
  mkdirSync(objtree, { recursive: true });
  const env: Record<string, string> = { ...(opts.env ?? oracleEnvironment({ series: opts.series, arch: opts.arch, srcDir: tree.srcDir })) };
  if (opts.allconfig !== undefined) env.KCONFIG_ALLCONFIG = opts.allconfig;
  if (opts.seed !== undefined) env.KCONFIG_SEED = opts.seed;

  const before = snapshot(objtree);
  const t0 = performance.now();
  const commands: string[][] = [];
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  const runConf = async (args: string[], extra: Record<string, string> = {}): Promise<number> => {
    commands.push([conf, ...args]);
    const r = await execa(conf, args, { cwd: objtree, env: { ...env, ...extra }, extendEnv: false, reject: false, input: opts.input ?? '', maxBuffer: 1 << 28, encoding: 'latin1' });
    stdout += r.stdout;
    stderr += r.stderr;
    return (exitCode = r.exitCode ?? 1);
  };

  const fragments = (name: string): string[] =>
    [join(tree.srcDir, 'kernel', 'configs', name), join(tree.srcDir, 'arch', srcArchOf(opts.arch), 'configs', name)].filter((f) => existsSync(f));
  const mergeConfig = async (name: string): Promise<number> => {
    const files = fragments(name);
    if (files.length === 0) throw new Error(`runOracle: no configuration ${name} for ${opts.arch}`);
    const args = [join(tree.srcDir, 'scripts', 'kconfig', 'merge_config.sh'), '-m', '.config', ...files];
    commands.push(['sh', ...args]);
    const r = await execa('sh', args, { cwd: objtree, env, extendEnv: false, reject: false, encoding: 'latin1' });
    stdout += r.stdout;
    stderr += r.stderr;
    if ((exitCode = r.exitCode ?? 1) !== 0) return exitCode;
    return runConf(['-s', '--olddefconfig', 'Kconfig']);
  };

  if (opts.mode === 'tinyconfig') {
    if ((await runConf(['-s', '--allnoconfig', 'Kconfig'], { KCONFIG_ALLCONFIG: 'kernel/configs/tiny-base.config' })) === 0) {
      await mergeConfig('tiny.config');
    }
  } else if (/\.config$/.test(opts.mode)) {
    await mergeConfig(opts.mode);
  } else {
    for (const args of confCommands(opts.mode, tree.srcDir, opts.arch, opts.defconfigFile)) {
      if ((await runConf(args)) !== 0) break;
    }
  }
  const ms = performance.now() - t0;
  const after = snapshot(objtree);
  const written = [...after.entries()].filter(([f, t]) => before.get(f) !== t).map(([f]) => f).sort();
  return { objtree, commands, exitCode, stdout, stderr, written, ms };
}

/* ------------------------------------------------------------------------------------------ */
/* Comparing outputs                                                                           */
/* ------------------------------------------------------------------------------------------ */

/** The outputs a configuration run produces, compared by {@link compareTrees}. */
export const CONFIG_OUTPUTS = [
  '.config',
  'include/config/auto.conf',
  'include/config/auto.conf.cmd',
  'include/generated/autoconf.h',
  'include/generated/rustc_cfg',
  /** Pseudo-entry: the set of stamp files under include/config/ (names only). */
  'include/config/*',
] as const;

/** One compared file. */
export interface FileComparison {
  /** Path relative to the object directories ("include/config/*" for the stamp-file set). */
  file: string;
  identical: boolean;
  /**
   * Up to `maxDiffs` lines describing the first differences: `-<line>` only in A, `+<line>`
   * only in B (content lines compared as multisets, in file order), or `@<n> order differs:`
   * followed by the two lines when both hold the same lines in a different order;
   * `missing in A`/`missing in B` when a file exists on one side only.
   */
  firstDiffs: string[];
}

function stampSet(dir: string): string[] | null {
  const root = join(dir, 'include', 'config');
  if (!existsSync(root)) return null;
  const names = [...snapshot(root).keys()].filter((f) => f !== 'auto.conf' && f !== 'auto.conf.cmd' && !f.startsWith('auto.conf.'));
  return names.sort();
}

function lineDiff(a: string[], b: string[], max: number): string[] {
  const count = new Map<string, number>();
  for (const l of b) count.set(l, (count.get(l) ?? 0) + 1);
  const onlyA: string[] = [];
  for (const l of a) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else onlyA.push(l);
  }
  const countA = new Map<string, number>();
  for (const l of a) countA.set(l, (countA.get(l) ?? 0) + 1);
  const onlyB: string[] = [];
  for (const l of b) {
    const n = countA.get(l) ?? 0;
    if (n > 0) countA.set(l, n - 1);
    else onlyB.push(l);
  }
  const out: string[] = [];
  // Interleave so that a changed line shows as "-old" next to "+new".
  for (let i = 0; out.length < max && (i < onlyA.length || i < onlyB.length); i++) {
    if (i < onlyA.length) out.push(`-${onlyA[i]}`);
    if (i < onlyB.length && out.length < max) out.push(`+${onlyB[i]}`);
  }
  if (out.length === 0) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i]) {
        out.push(`@${i + 1} order differs:`, `-${a[i] ?? ''}`, `+${b[i] ?? ''}`);
        break;
      }
    }
  }
  return out.slice(0, max);
}

/**
 * Compare configuration outputs of two object directories.
 * @param dirA the reference (oracle) directory; @param dirB the candidate (kbuildts).
 * @param files paths relative to both (default {@link CONFIG_OUTPUTS}); "include/config/*"
 *   compares the set of stamp file names. A file absent from both counts as identical.
 * @param maxDiffs how many diff lines to keep per file (default 10).
 * @returns one {@link FileComparison} per file, in the order given.
 */
export function compareTrees(dirA: string, dirB: string, files: readonly string[] = CONFIG_OUTPUTS, maxDiffs = 10): FileComparison[] {
  return files.map((file) => {
    if (file === 'include/config/*') {
      const a = stampSet(dirA);
      const b = stampSet(dirB);
      if (!a && !b) return { file, identical: true, firstDiffs: [] };
      if (!a || !b) return { file, identical: false, firstDiffs: [!a ? 'missing in A' : 'missing in B'] };
      const d = lineDiff(a, b, maxDiffs);
      return { file, identical: d.length === 0, firstDiffs: d };
    }
    const pa = join(dirA, file);
    const pb = join(dirB, file);
    const ea = existsSync(pa) && lstatSync(pa).isFile();
    const eb = existsSync(pb) && lstatSync(pb).isFile();
    if (!ea && !eb) return { file, identical: true, firstDiffs: [] };
    if (!ea || !eb) return { file, identical: false, firstDiffs: [!ea ? 'missing in A' : 'missing in B'] };
    const ba = readFileSync(pa);
    const bb = readFileSync(pb);
    if (ba.equals(bb)) return { file, identical: true, firstDiffs: [] };
    const la = ba.toString('latin1').split('\n');
    const lb = bb.toString('latin1').split('\n');
    const d = lineDiff(la, lb, maxDiffs);
    return { file, identical: false, firstDiffs: d.length ? d : ['(bytes differ: line endings or trailing data)'] };
  });
}

/**
 * Debian's own kernel configuration for a series and ARCH, as shipped in linux-config-<series>
 * (the generic flavour): amd64 from the host package under /usr/src, arm64 from the arm64 package
 * that scripts/setup.sh unpacks into <cache>/debian-config/<series>/.
 * @returns the path of the xz-compressed config file.
 * @throws SetupMissingError when the file is not there (run `npm run setup`), Error for another ARCH.
 */
export function debianConfig(series: string, arch: string): string {
  let file: string;
  if (arch === 'x86_64') file = `/usr/src/linux-config-${series}/config.amd64_none_amd64.xz`;
  else if (arch === 'arm64') file = join(cacheDir(), 'debian-config', series, 'config.arm64_none_arm64.xz');
  else throw new Error(`no Debian kernel configuration is set up for ARCH=${arch}`);
  if (!existsSync(file)) throw new SetupMissingError(`Debian's ${arch} ${series} kernel configuration (${file})`);
  return file;
}
