/**
 * The conformance sweep (`npm run conformance`): for every kernel series on this machine, every
 * architecture with a compiler installed, and every configuration target — allnoconfig,
 * allyesconfig, allmodconfig, alldefconfig, defconfig and each arch/<srcarch>/configs/*defconfig,
 * and randconfig for each KCONFIG_SEED asked for, and olddefconfig of each Debian kernel
 * configuration given — run the C conf (the oracle, {@link runOracle}) and kbuildts in the same
 * environment and compare their outputs ({@link compareTrees}).
 *
 * The two tools of one case run concurrently, and `jobs` cases run at once. kbuildts is driven
 * either through its library (runConfig() of src/kconfig/config.ts in a child process,
 * lib-child.ts) or through its CLI (`node dist/cli/kbuildts.cjs config <mode> --srctree … --objtree …
 * --arch …`).
 *
 * Follows: scripts/kconfig/Makefile for the targets; the x86 defconfig files are run with
 * ARCH=x86 as `make i386_defconfig` needs (with ARCH=x86_64 it would come out 64-bit).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { defaultCrossCompile, srcArchOf } from '../kconfig/environment.js';
import { availableSeries, compareTrees, oracleEnvironment, oracleTree, runOracle, type FileComparison } from './oracle.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * The architectures the sweep knows how to run: those with a Debian (bookworm) cross compiler,
 * each run with the compiler environment.ts defaultCrossCompile() names (`bash scripts/setup.sh
 * --sweep` installs them all).
 */
export const SWEEP_ARCHES = ['arm64', 'x86_64', 'arm', 'riscv', 'powerpc', 'mips', 's390', 'alpha', 'arc', 'm68k', 'parisc', 'sh', 'sparc'] as const;

/** The kernel ARCH of each Debian architecture that names a linux-config package's files. */
export const DEBIAN_ARCHES: Readonly<Record<string, string>> = {
  amd64: 'x86_64', i386: 'i386', x32: 'x86_64', arm64: 'arm64', armel: 'arm', armhf: 'arm',
  riscv64: 'riscv', ppc64el: 'powerpc', ppc64: 'powerpc', powerpc: 'powerpc', s390x: 's390',
  mips: 'mips', mipsel: 'mips', mips64: 'mips', mips64el: 'mips', mipsr6: 'mips', mipsr6el: 'mips',
  mips64r6: 'mips', mips64r6el: 'mips', alpha: 'alpha', hppa: 'parisc', m68k: 'm68k', sh4: 'sh',
  sparc64: 'sparc',
};

/**
 * The Debian kernel configurations among `paths` (files, or the files of directories) whose
 * name is `config.<Debian arch>_..._...[.xz]` for a known Debian arch, with that arch's ARCH.
 * @returns [path, ARCH] pairs sorted by file name
 */
export function debianConfigFiles(paths: string[]): [string, string][] {
  const out = new Map<string, string>(); // resolved path -> ARCH (a file given twice is one case)
  for (const p of paths) {
    const files = statSync(p).isDirectory() ? readdirSync(p).map((f) => join(p, f)) : [p];
    for (const f of files) {
      const m = /^config\.([a-z0-9]+)_[^_]+_[^_]+$/.exec(basename(f).replace(/\.xz$/, ''));
      const arch = m ? DEBIAN_ARCHES[m[1]] : undefined;
      if (arch !== undefined) out.set(resolve(f), arch);
    }
  }
  return [...out].sort((a, b) => basename(a[0]).localeCompare(basename(b[0])) || a[0].localeCompare(b[0]));
}

/** The mode-independent targets every arch is swept with. */
export const SWEEP_MODES = ['allnoconfig', 'allyesconfig', 'allmodconfig', 'alldefconfig', 'defconfig'] as const;

/** One configuration to compare. */
export interface SweepCase {
  series: string;
  /** ARCH given to both tools (x86 for the x86 defconfig files). */
  arch: string;
  /** The make target. */
  mode: string;
  /** KCONFIG_SEED given to both tools (randconfig cases, see {@link SweepOptions.seeds}). */
  seed?: string;
  /**
   * The .config both object trees start with (a path; xz-compressed when it ends in `.xz`):
   * the olddefconfig cases of {@link SweepOptions.debianConfigs}.
   */
  input?: string;
}

/** The outcome of one {@link SweepCase}. */
export interface SweepResult extends SweepCase {
  identical: boolean;
  /** Exit status of the C conf and of kbuildts. */
  oracleExit: number;
  kbuildtsExit: number;
  /** Per-file comparison (only the differing files are kept). */
  differing: FileComparison[];
  /** Wall times in ms. */
  oracleMs: number;
  kbuildtsMs: number;
  /** The first lines of kbuildts's stderr when it failed. */
  kbuildtsError?: string;
}

/** Options of {@link runSweep}. */
export interface SweepOptions {
  /** Series to sweep (default: {@link availableSeries}). */
  series?: string[];
  /** ARCHes (default: those of {@link SWEEP_ARCHES} whose compiler is installed). */
  arches?: string[];
  /**
   * Targets (default: {@link SWEEP_MODES} plus every arch/<srcarch>/configs/*defconfig).
   * `randconfig` stands for the cases of {@link seeds}.
   */
  modes?: string[];
  /**
   * KCONFIG_SEED values: after each ARCH's targets, one randconfig case per seed (none by
   * default). A seed is what KCONFIG_SEED takes (decimal, 0x hex or 0 octal).
   */
  seeds?: string[];
  /**
   * Debian kernel configurations, as the linux-config-<series> packages ship them
   * (`config.<Debian arch>_<featureset>_<flavour>.xz`; files, or directories holding them, e.g.
   * /usr/src/linux-config-6.1): after each ARCH's targets, an olddefconfig case of each one made
   * for that ARCH ({@link DEBIAN_ARCHES}), on every series.
   */
  debianConfigs?: string[];
  /** Cases run at once (default 1: each case already runs both tools concurrently). */
  jobs?: number;
  /**
   * Work directory; each case uses <out>/<series>/<arch>/<mode>/{oracle,kbuildts}, a randconfig
   * case <out>/<series>/<arch>/randconfig-<seed>/, a Debian configuration's
   * <out>/<series>/<arch>/olddefconfig-<file name>-<hash of its path>/ (default
   * /tmp/kbuildts-conformance).
   */
  out?: string;
  /** Keep the object directories after comparing (default: only those that differ). */
  keep?: boolean;
  /** "lib" (runConfig() in a child process, default) or "cli" (dist/cli/kbuildts.cjs config). */
  driver?: 'lib' | 'cli';
  /** Diff lines kept per file (default 6). */
  maxDiffs?: number;
  /** Called as each case finishes. */
  onResult?: (r: SweepResult, done: number, total: number) => void;
}

/** Whether `cmd` is an executable on PATH. */
async function onPath(cmd: string): Promise<boolean> {
  const r = await execa('sh', ['-c', `command -v "$0"`, cmd], { reject: false });
  return r.exitCode === 0;
}

/** The ARCHes of {@link SWEEP_ARCHES} whose `${CROSS_COMPILE}gcc` is installed. */
export async function installedArches(): Promise<string[]> {
  const out: string[] = [];
  for (const a of SWEEP_ARCHES) if (await onPath(`${defaultCrossCompile(a)}gcc`)) out.push(a);
  return out;
}

/**
 * The cases of a sweep: per series and ARCH, the {@link SWEEP_MODES} and then every
 * `*defconfig` file of arch/<srcarch>/configs (run with ARCH=x86 for x86, see module comment),
 * or the `modes` given (an empty list: none); then a randconfig case per seed, then an
 * olddefconfig case per Debian configuration for this ARCH (one for an ARCH of the same source
 * arch, e.g. i386's for x86_64, runs with its own ARCH). `randconfig` in `modes` stands for the
 * seeded cases (so `modes: ['randconfig']` and seeds give only them).
 * @param extra.modes, extra.seeds, extra.debianConfigs see {@link SweepOptions}
 * @throws Error when `modes` has randconfig but `seeds` is empty: without KCONFIG_SEED each tool
 *   would draw a seed of its own
 */
export function sweepCases(series: string[], arches: string[], extra: Pick<SweepOptions, 'modes' | 'seeds' | 'debianConfigs'> = {}): SweepCase[] {
  let modes = extra.modes;
  const seeds = extra.seeds ?? [];
  const debian = debianConfigFiles(extra.debianConfigs ?? []);
  if (modes?.includes('randconfig')) {
    if (seeds.length === 0) throw new Error('randconfig is swept once per KCONFIG_SEED: give the seeds (--seeds)');
    modes = modes.filter((m) => m !== 'randconfig');
  }
  const cases: SweepCase[] = [];
  for (const s of series) {
    const { srcDir } = oracleTree(s);
    const withDebian = new Set<string>(); // source arches whose Debian configurations are listed
    for (const arch of arches) {
      const srcArch = srcArchOf(arch);
      const list: SweepCase[] = [];
      for (const m of modes ?? SWEEP_MODES) list.push({ series: s, arch, mode: m });
      if (!modes) {
        const dir = join(srcDir, 'arch', srcArch, 'configs');
        const files = existsSync(dir) ? readdirSync(dir).filter((f) => /defconfig$/.test(f) && f !== 'defconfig').sort() : [];
        for (const f of files) list.push({ series: s, arch: srcArch === 'x86' ? 'x86' : arch, mode: f });
      }
      for (const seed of seeds) list.push({ series: s, arch, mode: 'randconfig', seed });
      if (!withDebian.has(srcArch)) {
        withDebian.add(srcArch);
        for (const [input, dArch] of debian) if (srcArchOf(dArch) === srcArch) list.push({ series: s, arch: dArch, mode: 'olddefconfig', input });
      }
      cases.push(...list);
    }
  }
  return cases;
}

async function runKbuildts(c: SweepCase, objtree: string, env: Record<string, string>, driver: 'lib' | 'cli'): Promise<{ exitCode: number; stderr: string; ms: number }> {
  const { srcDir } = oracleTree(c.series);
  const t0 = performance.now();
  let r;
  if (driver === 'cli') {
    const main = resolve(HERE, '..', 'cli', 'kbuildts.cjs');
    r = await execa(process.execPath, [main, 'config', c.mode, '--srctree', srcDir, '--objtree', objtree, '--arch', c.arch],
      { cwd: objtree, env, extendEnv: false, reject: false, maxBuffer: 1 << 28 });
  } else {
    const child = join(HERE, 'lib-child.js');
    const args = { mode: c.mode, srctree: srcDir, objtree, arch: c.arch, crossCompile: defaultCrossCompile(c.arch) };
    r = await execa(process.execPath, [child, JSON.stringify(args)], { cwd: objtree, env, extendEnv: false, reject: false, maxBuffer: 1 << 28 });
  }
  return { exitCode: r.exitCode ?? 1, stderr: r.stderr, ms: performance.now() - t0 };
}

/** Run one case: both tools concurrently in the same environment, then compare. */
export async function runCase(c: SweepCase, opts: SweepOptions = {}): Promise<SweepResult> {
  const out = opts.out ?? '/tmp/kbuildts-conformance';
  // Configurations of one name come from several places (linux-config-6.1 and -6.12): the path's hash tells them apart.
  const tag = c.seed !== undefined ? `-${c.seed}` : c.input !== undefined ? `-${basename(c.input)}-${createHash('sha1').update(resolve(c.input)).digest('hex').slice(0, 8)}` : '';
  const base = join(out, c.series, c.arch, `${c.mode}${tag}`);
  const env = oracleEnvironment({ series: c.series, arch: c.arch, extra: c.seed === undefined ? undefined : { KCONFIG_SEED: c.seed } });
  const input = c.input === undefined ? null : c.input.endsWith('.xz') ? execFileSync('xz', ['-dc', c.input], { maxBuffer: 1 << 28 }) : readFileSync(c.input);
  for (const d of ['oracle', 'kbuildts']) {
    rmSync(join(base, d), { recursive: true, force: true });
    mkdirSync(join(base, d), { recursive: true });
    if (input !== null) writeFileSync(join(base, d, '.config'), input);
  }
  const [o, k] = await Promise.all([
    runOracle({ series: c.series, arch: c.arch, mode: c.mode, objtree: join(base, 'oracle'), env, fresh: false }),
    runKbuildts(c, join(base, 'kbuildts'), env, opts.driver ?? 'lib'),
  ]);
  const cmp = compareTrees(o.objtree, join(base, 'kbuildts'), undefined, opts.maxDiffs ?? 6);
  const differing = cmp.filter((x) => !x.identical);
  const sameExit = (o.exitCode === 0) === (k.exitCode === 0);
  const identical = differing.length === 0 && sameExit;
  if (identical && !opts.keep) rmSync(base, { recursive: true, force: true });
  return {
    ...c,
    identical,
    oracleExit: o.exitCode,
    kbuildtsExit: k.exitCode,
    differing,
    oracleMs: o.ms,
    kbuildtsMs: k.ms,
    kbuildtsError: k.exitCode !== 0 ? k.stderr.split('\n').filter((l) => l.trim()).slice(0, 4).join('\n') : undefined,
  };
}

/**
 * Run the sweep.
 * @returns every case's result, in case order.
 * @throws SetupMissingError when a requested series is not set up.
 */
export async function runSweep(opts: SweepOptions = {}): Promise<SweepResult[]> {
  const series = opts.series ?? availableSeries();
  const arches = opts.arches ?? (await installedArches());
  const cases = sweepCases(series, arches, opts);
  const results: SweepResult[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i], opts);
      done++;
      opts.onResult?.(results[i], done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs ?? 1, cases.length)) }, worker));
  return results;
}

/** A result as the sweep prints it: one status line, then the first differing lines. */
export function formatResult(r: SweepResult): string {
  const t = `C ${(r.oracleMs / 1000).toFixed(1)}s, kbuildts ${(r.kbuildtsMs / 1000).toFixed(1)}s`;
  const what = r.seed !== undefined ? ` KCONFIG_SEED=${r.seed}` : r.input !== undefined ? ` of ${r.input}` : '';
  const head = `${r.series} ${r.arch} ${r.mode}${what}: ${r.identical ? 'identical' : 'DIFFER'} (${t})`;
  if (r.identical) return head;
  const lines = [head];
  if ((r.oracleExit === 0) !== (r.kbuildtsExit === 0)) lines.push(`    exit status: C ${r.oracleExit}, kbuildts ${r.kbuildtsExit}`);
  if (r.kbuildtsError) for (const l of r.kbuildtsError.split('\n')) lines.push(`    kbuildts: ${l}`);
  for (const d of r.differing) {
    lines.push(`    ${d.file}:`);
    for (const l of d.firstDiffs) lines.push(`      ${l}`);
  }
  return lines.join('\n');
}
