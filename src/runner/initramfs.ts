/**
 * A tiny initramfs for booting modules under QEMU, built without root: the cpio "newc" archive
 * (Documentation/driver-api/early-userspace/buffer-format.rst) is written here directly, every
 * entry owned by 0:0, and gzip-compressed (the kernel's RD_GZIP). It holds a static busybox, the
 * kbt-modload helper, the modules, and an /init shell script that mounts proc/sys/devtmpfs, insmods the modules in order
 * with their parameters, prints one marker line per step, runs lsmod, rmmods in reverse order and
 * powers off.
 *
 * Markers the script prints (one per line; parsed by {@link parseMarkers}):
 *   KBUILDTS-INIT start
 *   KBUILDTS-INSMOD <name> rc=<n>      n = 0, or the negative errno finit_module returned
 *                                       (e.g. -19 when the module's init returned -ENODEV)
 *   KBUILDTS-LSMOD-BEGIN / ...busybox lsmod output... / KBUILDTS-LSMOD-END
 *   KBUILDTS-RMMOD <name> rc=<n>       delete_module's result; only for modules that loaded
 *   KBUILDTS-DONE
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** One entry of a cpio archive. Paths are relative to the root, without a leading `/`. */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

/**
 * Serialize entries as an uncompressed cpio "newc" (070701) archive ending with TRAILER!!!.
 * Owner 0:0, mtime 0, one inode number per entry; parents must be listed before children.
 * @returns the archive bytes.
 */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    offset += b.length;
  };
  const pad = (): void => {
    const n = (4 - (offset % 4)) % 4;
    if (n) push(Buffer.alloc(n));
  };
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  const write = (ino: number, mode: number, name: string, data: Buffer): void => {
    const nameBuf = Buffer.from(`${name}\0`, 'utf8');
    const fields = [ino, mode, 0, 0, mode & 0o040000 ? 2 : 1, 0, data.length, 0, 0, 0, 0, nameBuf.length, 0];
    push(Buffer.from(`070701${fields.map(hex).join('')}`, 'latin1'));
    push(nameBuf);
    pad();
    if (data.length) {
      push(data);
      pad();
    }
  };
  entries.forEach((e, i) => {
    const path = e.path.replace(/^\/+/, '');
    if (e.type === 'dir') write(i + 1, 0o040000 | (e.mode ?? 0o755), path, Buffer.alloc(0));
    else if (e.type === 'symlink') write(i + 1, 0o120000 | 0o777, path, Buffer.from(e.target, 'utf8'));
    else write(i + 1, 0o100000 | (e.mode ?? 0o644), path, typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data);
  });
  write(0, 0, 'TRAILER!!!', Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** A module to load from the initramfs. */
export interface InitModule {
  /** Module name as the kernel knows it (for rmmod and the markers), e.g. "hello". */
  name: string;
  /** The .ko file on the host. */
  path: string;
  /** Parameters as insmod takes them, e.g. ["whom=world", "count=3", 'msg="two words"']. */
  params: string[];
}

/** POSIX-shell single quoting. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The /init script (busybox sh) for the given modules, in load order. Modules are loaded and
 * unloaded with /bin/kbt-modload (src/runner/modload.ts), which prints the kernel's return value.
 * @param opts.modules modules to insmod in this order; each is at /lib/modules/kbuildts/<name>.ko.
 * @returns the script text.
 */
export function initScript(opts: { modules: readonly InitModule[] }): string {
  const lines = [
    '#!/bin/sh',
    '# Written by kbuildts (src/runner/initramfs.ts).',
    'export PATH=/bin:/sbin',
    'mount -t proc proc /proc 2>/dev/null',
    'mount -t sysfs sysfs /sys 2>/dev/null',
    'mount -t devtmpfs devtmpfs /dev 2>/dev/null',
    'echo "KBUILDTS-INIT start"',
  ];
  opts.modules.forEach((m, i) => {
    const args = [shellQuote(`/lib/modules/kbuildts/${m.name}.ko`), ...m.params.map(shellQuote)].join(' ');
    lines.push(
      `rc=$(kbt-modload insmod ${args}); loaded${i}=$rc`,
      `echo "KBUILDTS-INSMOD ${m.name} rc=\${rc:-unknown}"`,
    );
  });
  lines.push('echo "KBUILDTS-LSMOD-BEGIN"', 'lsmod', 'echo "KBUILDTS-LSMOD-END"');
  for (let i = opts.modules.length - 1; i >= 0; i--) {
    const m = opts.modules[i];
    lines.push(
      `if [ "$loaded${i}" = 0 ]; then`,
      `  rc=$(kbt-modload rmmod ${shellQuote(m.name)})`,
      `  echo "KBUILDTS-RMMOD ${m.name} rc=\${rc:-unknown}"`,
      'fi',
    );
  }
  lines.push('echo "KBUILDTS-DONE"', 'poweroff -f', 'sleep 10', '');
  return lines.join('\n');
}

/** Busybox applets the initramfs links (everything /init uses). */
const APPLETS = ['sh', 'mount', 'insmod', 'rmmod', 'lsmod', 'poweroff', 'echo', 'cat', 'sleep', 'dmesg', 'ls'];

/**
 * The gzip-compressed initramfs: /bin/busybox (+ applet links), /bin/kbt-modload, /init,
 * /lib/modules/kbuildts/*.ko.
 * @param opts.busybox path of a static busybox for the target (setup: busybox-static:arm64).
 * @param opts.modload path of the kbt-modload helper (see modloadHelper()); needed with modules.
 * @param opts.modules modules in load order.
 * @param opts.init the /init script; default {@link initScript}(modules).
 * @returns the .cpio.gz bytes.
 * @throws Error when busybox or a module file cannot be read.
 */
export function buildInitramfs(opts: { busybox: string; modload?: string; modules: readonly InitModule[]; init?: string }): Buffer {
  if (opts.modules.length > 0 && !opts.modload) throw new Error('buildInitramfs: modules need the kbt-modload helper (modloadHelper())');
  const entries: CpioEntry[] = [
    { type: 'dir', path: 'bin' },
    { type: 'dir', path: 'sbin' },
    { type: 'dir', path: 'dev' },
    { type: 'dir', path: 'proc' },
    { type: 'dir', path: 'sys' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'lib' },
    { type: 'dir', path: 'lib/modules' },
    { type: 'dir', path: 'lib/modules/kbuildts' },
    { type: 'file', path: 'bin/busybox', data: readFileSync(opts.busybox), mode: 0o755 },
    ...APPLETS.map((a): CpioEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    ...(opts.modload ? [{ type: 'file', path: 'bin/kbt-modload', data: readFileSync(opts.modload), mode: 0o755 } as CpioEntry] : []),
    ...opts.modules.map((m): CpioEntry => ({ type: 'file', path: `lib/modules/kbuildts/${m.name}.ko`, data: readFileSync(m.path) })),
    { type: 'file', path: 'init', data: opts.init ?? initScript({ modules: opts.modules }), mode: 0o755 },
  ];
  return gzipSync(cpioNewc(entries), { level: 6 });
}

/** What the /init markers say (see the file comment). */
export interface InitMarkers {
  /** True when `KBUILDTS-INIT start` appeared (the initramfs ran). */
  started: boolean;
  /** insmod results in console order. */
  inits: { module: string; rc: number }[];
  /** rmmod results in console order. */
  rmmods: { module: string; rc: number }[];
  /** Module names busybox lsmod listed (first column), in its order. */
  lsmod: string[];
  /** True when `KBUILDTS-DONE` appeared. */
  done: boolean;
}

/** Parse the marker lines out of a console log (CR/LF already normalized or not). */
export function parseMarkers(console: string): InitMarkers {
  const text = console.replace(/\r/g, '');
  const inits = [...text.matchAll(/KBUILDTS-INSMOD (\S+) rc=(-?\d+)/g)].map((m) => ({ module: m[1], rc: Number(m[2]) }));
  const rmmods = [...text.matchAll(/KBUILDTS-RMMOD (\S+) rc=(-?\d+)/g)].map((m) => ({ module: m[1], rc: Number(m[2]) }));
  const block = /KBUILDTS-LSMOD-BEGIN\n([\s\S]*?)KBUILDTS-LSMOD-END/.exec(text);
  const lsmod = block
    ? block[1].split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((w) => w && w !== 'Module' && !w.startsWith('['))
    : [];
  return { started: text.includes('KBUILDTS-INIT start'), inits, rmmods, lsmod, done: /KBUILDTS-DONE/.test(text) };
}

/** Linux errno names (include/uapi/asm-generic/errno-base.h, errno.h, include/linux/errno.h). */
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF', 11: 'EAGAIN',
  12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 20: 'ENOTDIR', 22: 'EINVAL', 24: 'EMFILE',
  28: 'ENOSPC', 32: 'EPIPE', 33: 'EDOM', 34: 'ERANGE', 38: 'ENOSYS', 61: 'ENODATA', 62: 'ETIME', 71: 'EPROTO', 75: 'EOVERFLOW',
  95: 'EOPNOTSUPP', 110: 'ETIMEDOUT', 126: 'ENOKEY', 129: 'EKEYREJECTED', 512: 'ERESTARTSYS', 517: 'EPROBE_DEFER', 524: 'ENOTSUPP',
};

/** "ENODEV" for -19; undefined for 0, positive numbers (exit statuses) and unnamed errnos. */
export function errnoName(rc: number): string | undefined {
  return rc < 0 ? ERRNO_NAMES[-rc] : undefined;
}
