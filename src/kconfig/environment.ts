/**
 * The environment the kernel's top Makefile gives scripts/kconfig/conf, so that the macro
 * language's `$(shell,...)` probes and `$(VAR)` environment references see what they would
 * see under `make ARCH=... CROSS_COMPILE=...` (Makefile: "export ... CC LD ..."; the variables
 * are the 13 that Linux 6.1's auto.conf.cmd records for arm64).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../runner/cache.js';
import { toolIdentity } from './probes.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * `<tool> --version` output, remembered on disk (`<cacheDir()>/tool-versions.json`) by the
 * command word as given, the arguments and the identity of the executable found on PATH (path,
 * size, mtime, inode: probes.ts toolIdentity), so that a run does not start the compiler only to
 * read its banner. A tool that is not found is never remembered (`run` decides what that means);
 * `KBUILDTS_PROBE_CACHE=0` runs it every time.
 */
function toolVersion(word: string, pathEnv: string, run: () => string | null): string | null {
  const id = toolIdentity(word, pathEnv);
  if (id.endsWith(':missing') || process.env.KBUILDTS_PROBE_CACHE === '0') return run();
  const file = join(cacheDir(), 'tool-versions.json');
  let known: Record<string, string> = {};
  try {
    known = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    // none yet
  }
  const key = `${word}\0--version\0${id}`;
  if (typeof known[key] === 'string') return known[key];
  const out = run();
  if (out === null) return out;
  try {
    writeFileAtomic(file, JSON.stringify({ ...known, [key]: out }));
  } catch {
    // a read-only cache is not an error
  }
  return out;
}

/** Options describing the build the configuration is for. */
export interface KconfigEnvOptions {
  /** Kernel source tree (absolute); becomes `srctree`. */
  srctree: string;
  /** ARCH as given to make, e.g. "arm64", "x86_64". */
  arch: string;
  /** CROSS_COMPILE prefix, e.g. "aarch64-linux-gnu-"; "" for a native build. */
  crossCompile: string;
  /** KERNELVERSION, e.g. "6.1.192" (see {@link kernelVersionOf}). */
  kernelVersion: string;
  /** Base environment to extend (default: process.env). */
  base?: NodeJS.ProcessEnv;
  /**
   * Tool overrides, as `make CC=...` on the command line would give. Values in the base
   * environment do not override the Makefile's assignments (make without -e), so they are ignored.
   */
  tools?: Partial<Record<'CC' | 'LD' | 'AR' | 'NM' | 'OBJCOPY' | 'PAHOLE' | 'RUSTC' | 'BINDGEN' | 'HOSTCC', string>>;
}

/** SRCARCH for an ARCH, as the top Makefile maps it (x86_64/i386 -> x86, sparc64 -> sparc, ...). */
export function srcArchOf(arch: string): string {
  if (arch === 'i386' || arch === 'x86_64') return 'x86';
  if (arch === 'sparc32' || arch === 'sparc64') return 'sparc';
  if (arch === 'parisc64') return 'parisc';
  if (arch === 'sh64') return 'sh';
  return arch;
}

/**
 * Debian's cross-gcc triplet (the CROSS_COMPILE prefix) of each ARCH that has one on this
 * (x86_64 Debian) host: the compiler of package `gcc-<triplet>` (runner/toolchain.ts
 * debianPackageFor()).
 */
export const DEBIAN_CROSS_COMPILE: ReadonlyMap<string, string> = new Map([
  ['arm64', 'aarch64-linux-gnu-'],
  ['arm', 'arm-linux-gnueabihf-'],
  ['riscv', 'riscv64-linux-gnu-'],
  ['powerpc', 'powerpc64le-linux-gnu-'],
  ['mips', 'mips-linux-gnu-'],
  ['s390', 's390x-linux-gnu-'],
  ['alpha', 'alpha-linux-gnu-'],
  ['arc', 'arc-linux-gnu-'],
  ['m68k', 'm68k-linux-gnu-'],
  ['parisc', 'hppa-linux-gnu-'],
  ['sh', 'sh4-linux-gnu-'],
  ['sparc', 'sparc64-linux-gnu-'],
]);

/** Default CROSS_COMPILE for an ARCH: {@link DEBIAN_CROSS_COMPILE}, else "" (the host's gcc). */
export function defaultCrossCompile(arch: string): string {
  return DEBIAN_CROSS_COMPILE.get(arch) ?? '';
}

/** KERNELVERSION from the top Makefile's VERSION/PATCHLEVEL/SUBLEVEL/EXTRAVERSION lines. */
export function kernelVersionOf(makefileText: string): string {
  const get = (k: string): string => {
    const m = new RegExp(`^${k}\\s*=[ \\t]*(.*)$`, 'm').exec(makefileText);
    return m ? m[1].trim() : '';
  };
  const v = get('VERSION');
  const p = get('PATCHLEVEL');
  const s = get('SUBLEVEL');
  return `${v}${p ? `.${p}` : ''}${s ? `.${s}` : ''}${get('EXTRAVERSION')}`;
}

/**
 * CC_VERSION_TEXT as the Makefile computes it: the first line of `$(CC) --version` with `#` removed
 * (the output remembered by the compiler's identity, see toolVersion()).
 * @throws Error naming the Debian package when the compiler is not installed.
 */
export function ccVersionText(cc: string): string {
  // execFileSync looks the compiler up on this process's PATH: so does the cache key.
  const out = toolVersion(cc, process.env.PATH ?? '', () => {
    try {
      return execFileSync(cc, ['--version'], { env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return null;
    }
  });
  if (out !== null) return out.split('\n')[0].replace(/#/g, '');
  const hint = cc.startsWith('aarch64-linux-gnu-') ? ' (Debian package gcc-aarch64-linux-gnu; `npm run setup` installs it)' : '';
  throw Object.assign(new Error(`compiler ${cc} not found${hint}: the Kconfig probes need it even for allnoconfig`), { userError: true });
}

/**
 * The environment for running Kconfig (the C conf or kbuildts) the way make runs it.
 * @returns a full environment: `base` plus srctree, ARCH, SRCARCH, KERNELVERSION, CC, LD, AR, NM,
 *   OBJCOPY, CC_VERSION_TEXT, PAHOLE, RUSTC, BINDGEN, HOSTCC, LC_COLLATE=C, LC_NUMERIC=C.
 *   Values already present in `base` for the tool variables (CC, LD, ...) win, as make's
 *   command-line/environment precedence would.
 */
export function kconfigEnvironment(opts: KconfigEnvOptions): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.base ?? process.env)) if (v !== undefined) base[k] = v;
  const cross = opts.crossCompile;
  const tool = (name: keyof NonNullable<KconfigEnvOptions['tools']>, dflt: string): string => opts.tools?.[name] ?? dflt;
  const cc = tool('CC', `${cross}gcc`);
  return {
    ...base,
    srctree: opts.srctree,
    ARCH: opts.arch,
    SRCARCH: srcArchOf(opts.arch),
    KERNELVERSION: opts.kernelVersion,
    CC: cc,
    LD: tool('LD', `${cross}ld`),
    AR: tool('AR', `${cross}ar`),
    NM: tool('NM', `${cross}nm`),
    OBJCOPY: tool('OBJCOPY', `${cross}objcopy`),
    CC_VERSION_TEXT: ccVersionText(cc),
    PAHOLE: tool('PAHOLE', 'pahole'),
    RUSTC: tool('RUSTC', 'rustc'),
    BINDGEN: tool('BINDGEN', 'bindgen'),
    HOSTCC: tool('HOSTCC', 'gcc'),
    LC_COLLATE: 'C',
    LC_NUMERIC: 'C',
  };
}

/**
 * KBUILD_DEFCONFIG for an ARCH: what arch/$(SRCARCH)/Makefile assigns (x86: `$(ARCH)_defconfig`,
 * or x86_64_defconfig for ARCH=x86 on this x86_64 host), else scripts/kconfig/Makefile's default
 * "defconfig". powerpc's `$(if $(filter ppc%,$(uname)),$(uname),ppc64)_defconfig` takes the else
 * branch (an x86_64 host). Fragment-merging defaults (mips, powerpc 6.12) are not modelled.
 * @returns the file name under arch/$(SRCARCH)/configs/
 */
export function kbuildDefconfigName(srctree: string, arch: string): string {
  const srcArch = srcArchOf(arch);
  if (srcArch === 'x86') return arch === 'x86' ? 'x86_64_defconfig' : `${arch}_defconfig`;
  const mk = join(srctree, 'arch', srcArch, 'Makefile');
  if (existsSync(mk)) {
    const m = /^\s*KBUILD_DEFCONFIG\s*:?=\s*(.+?)\s*$/m.exec(readFileSync(mk, 'utf8'));
    if (m) {
      const v = m[1].replace(/\$\(ARCH\)/g, arch);
      if (!v.includes('$(')) return v;
      const alt = /,(\w+)\)(\w*)$/.exec(v);
      if (alt) return alt[1] + alt[2];
    }
  }
  return 'defconfig';
}

/**
 * RUSTC_VERSION_TEXT as the 6.12 Makefile computes it: `$(RUSTC) --version` through make's
 * $(shell) (trailing newlines dropped, inner ones turned into spaces), `#` removed; "" when
 * rustc is missing.
 */
export function rustcVersionText(rustc: string, env: Record<string, string>): string {
  const out = toolVersion(rustc, env.PATH ?? '', () => {
    const r = spawnSync(rustc, ['--version'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return r.status === null && r.error ? null : (r.stdout ?? '');
  });
  return (out ?? '').replace(/\n+$/, '').replace(/\n/g, ' ').replace(/#/g, '');
}

/** `uname -r` of this host (for KCONFIG_DEFCONFIG_LIST), "" when unknown. */
function hostRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The full environment `make ARCH=<arch> CROSS_COMPILE=<prefix> <config target>` gives conf:
 * {@link kconfigEnvironment} plus what the top Makefile and scripts/kconfig/Makefile add —
 * `CONFIG_` removed ("unexport CONFIG_"), PYTHON3=python3 (exported by 6.1 and 6.12),
 * RUSTC_VERSION_TEXT (exported from 6.11 on, see {@link rustcVersionText}), and
 * KCONFIG_DEFCONFIG_LIST: scripts/kconfig/Makefile tests `ifndef cross_compiling`, which no
 * Makefile of 6.1 or 6.12 defines, so the host's /lib/modules/$(uname -r)/.config,
 * /etc/kernel-config and /boot/config-$(uname -r) always come first, then
 * arch/$(SRCARCH)/configs/$(KBUILD_DEFCONFIG).
 * @returns a complete environment record, used alike for the C conf and for kbuildts.
 * @throws Error (userError) when the compiler is not installed (see {@link ccVersionText}).
 */
export function makeEnvironment(opts: KconfigEnvOptions): Record<string, string> {
  const env = kconfigEnvironment(opts);
  delete env.CONFIG_;
  env.PYTHON3 = 'python3';
  const [maj, min] = opts.kernelVersion.split('.').map((x) => parseInt(x, 10));
  if (maj > 6 || (maj === 6 && min >= 11)) env.RUSTC_VERSION_TEXT = rustcVersionText(env.RUSTC, env);
  const rel = hostRelease();
  env.KCONFIG_DEFCONFIG_LIST = [`/lib/modules/${rel}/.config`, '/etc/kernel-config', `/boot/config-${rel}`,
    `arch/${srcArchOf(opts.arch)}/configs/${kbuildDefconfigName(opts.srctree, opts.arch)}`].join(' ');
  return env;
}
