/**
 * Where `npm run setup` (scripts/setup.sh) puts the real parts, and how the rest of kbuildts
 * finds them: the setup script writes `<cache>/manifest.json`; library code reads it here.
 *
 * Cache root: $KBUILDTS_CACHE, else $XDG_CACHE_HOME/kbuildts, else ~/.cache/kbuildts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One unpacked kernel source tree and the C `conf` built from it (the conformance oracle). */
export interface LinuxSourceEntry {
  /** Debian package version, e.g. "6.1.192-2". */
  debVersion: string;
  /** KERNELVERSION as `make kernelversion` prints it, e.g. "6.1.192". */
  kernelVersion: string;
  /** Absolute path of the pristine unpacked tree (never built in-tree). */
  srcDir: string;
  /** Absolute path of scripts/kconfig/conf built from that tree (out of tree). */
  conf: string;
}

/** The arm64 target parts: headers usable as KDIR, the kernel image, busybox. */
export interface Arm64Entry {
  /** ABI number N of linux-headers-6.1.0-N-arm64. */
  abi: string;
  /** Debian version shared by headers, -common, image and linux-kbuild, e.g. "6.1.192-2". */
  debVersion: string;
  /** `uname -r` of the target kernel, e.g. "6.1.0-56-arm64". */
  kernelRelease: string;
  /** Absolute path usable as KDIR for `make -C KDIR M=...` (symlinks rewritten into the cache). */
  kdir: string;
  /** The kernel image for qemu -kernel. */
  vmlinuz: string;
  /** The static arm64 busybox binary. */
  busybox: string;
  /** lib/modules/<kernelRelease> of the unpacked image (its in-tree modules; no modules.dep). */
  modulesDir?: string;
  /** boot/config-<kernelRelease>: the image's .config. */
  config?: string;
  /** The CROSS_COMPILE prefix setup verified against this KDIR, e.g. "aarch64-linux-gnu-". */
  crossCompile?: string;
  /** Debian version of busybox-static:arm64, e.g. "1:1.35.0-4+deb12u1+b1". */
  busyboxVersion?: string;
}

/** The contents of `<cache>/manifest.json`. */
export interface SetupManifest {
  cacheDir: string;
  /** Keyed by series, e.g. "6.1". */
  linuxSource: Record<string, LinuxSourceEntry>;
  arm64?: Arm64Entry;
}

/** Thrown when a part that `npm run setup` provides is missing. */
export class SetupMissingError extends Error {
  constructor(what: string) {
    super(`${what} is missing: run \`npm run setup\` (scripts/setup.sh) to install it`);
    this.name = 'SetupMissingError';
  }
}

/** The cache root directory (absolute). Does not create it. */
export function cacheDir(): string {
  if (process.env.KBUILDTS_CACHE) return process.env.KBUILDTS_CACHE;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'kbuildts');
}

/**
 * Read the manifest written by scripts/setup.sh.
 * @throws SetupMissingError when setup has not run.
 */
export function loadManifest(): SetupManifest {
  const file = join(cacheDir(), 'manifest.json');
  if (!existsSync(file)) throw new SetupMissingError(`the kbuildts cache (${file})`);
  return JSON.parse(readFileSync(file, 'utf8')) as SetupManifest;
}

/**
 * The arm64 target parts from the manifest, checked to exist on disk.
 * @returns the manifest's `arm64` entry (absolute paths).
 * @throws SetupMissingError when setup has not run, or the KDIR, kernel image or busybox it
 *   names is gone.
 */
export function loadArm64(): Arm64Entry {
  const arm64 = loadManifest().arm64;
  if (!arm64) throw new SetupMissingError('the arm64 kernel parts (headers, image, busybox)');
  const parts: [string, string][] = [
    [arm64.kdir, `the arm64 kernel headers (linux-headers-${arm64.kernelRelease})`],
    [arm64.vmlinuz, `the arm64 kernel image (linux-image-${arm64.kernelRelease}-unsigned)`],
    [arm64.busybox, 'the static arm64 busybox (busybox-static:arm64)'],
  ];
  for (const [path, what] of parts) if (!existsSync(path)) throw new SetupMissingError(`${what} at ${path}`);
  return arm64;
}
