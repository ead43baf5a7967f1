/**
 * kbt-modload: a tiny static arm64 program that loads or unloads one module with exactly one
 * system call (finit_module / delete_module, see kernel/module/main.c) and prints the kernel's
 * answer. busybox insmod is not used for loading because when finit_module fails it retries with
 * init_module, which runs the module's init a second time and reports only strerror text.
 * The program is built from the C source below with the cross compiler (no libc needed) and
 * cached under <cache>/helpers/ by the hash of its source.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheDir } from './cache.js';
import { findToolchain, ToolchainError } from './toolchain.js';

/** The helper's C source (arm64 Linux, freestanding). */
export const MODLOAD_SOURCE = String.raw`/*
 * kbt-modload: load or unload one kernel module with exactly one system call and print the
 * result, for kbuildts' boot initramfs (src/runner/modload.ts). No libc: raw arm64 syscalls.
 *   kbt-modload insmod FILE [PARAM...]   finit_module(open(FILE), "PARAM PARAM ...", 0)
 *   kbt-modload rmmod NAME               delete_module(NAME, O_NONBLOCK)
 * Prints "0" or the negative errno (e.g. "-19") and a newline on stdout; exits 0 / 1.
 */
#define NR_openat 56
#define NR_write 64
#define NR_exit 93
#define NR_delete_module 106
#define NR_finit_module 273
#define AT_FDCWD (-100)
#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000

static long sys3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory", "cc");
	return x0;
}

static char params[65536];

static __attribute__((noreturn)) void report(long r)
{
	char buf[24];
	int i = sizeof(buf);
	unsigned long v = r < 0 ? -r : r;
	buf[--i] = '\n';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (r < 0)
		buf[--i] = '-';
	sys3(NR_write, 1, (long)(buf + i), sizeof(buf) - i);
	for (;;)
		sys3(NR_exit, r == 0 ? 0 : 1, 0, 0);
}

__attribute__((used)) void kbt_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	unsigned long n = 0;
	long fd, i;

	if (argc < 3)
		report(-22);
	if (argv[1][0] == 'r')
		report(sys3(NR_delete_module, (long)argv[2], O_NONBLOCK, 0));
	fd = sys3(NR_openat, AT_FDCWD, (long)argv[2], O_CLOEXEC);
	if (fd < 0)
		report(fd);
	for (i = 3; i < argc; i++) {
		const char *s = argv[i];
		if (i > 3 && n < sizeof(params) - 1)
			params[n++] = ' ';
		while (*s && n < sizeof(params) - 1)
			params[n++] = *s++;
	}
	params[n] = 0;
	report(sys3(NR_finit_module, fd, (long)params, 0));
}

__asm__(".text\n.global _start\n_start:\n\tmov x0, sp\n\tbl kbt_main\n");
`;

/** gcc flags for a freestanding static binary without libc. */
const CFLAGS = ['-Os', '-static', '-no-pie', '-fno-pic', '-nostdlib', '-ffreestanding', '-fno-stack-protector',
  '-fno-tree-loop-distribute-patterns', '-fno-asynchronous-unwind-tables', '-Wl,--build-id=none', '-Wall', '-Werror'];

/**
 * The path of the built arm64 kbt-modload, building it on first use.
 * Usage inside the guest: `kbt-modload insmod FILE [PARAM...]` or `kbt-modload rmmod NAME`;
 * prints "0" or the negative errno (e.g. "-19") on stdout.
 * @throws ToolchainError when aarch64-linux-gnu-gcc is missing (Debian gcc-aarch64-linux-gnu)
 *   or the build fails.
 */
export async function modloadHelper(): Promise<string> {
  const hash = createHash('sha256').update(MODLOAD_SOURCE).update(CFLAGS.join(' ')).digest('hex').slice(0, 16);
  const dir = join(cacheDir(), 'helpers');
  const out = join(dir, `kbt-modload-arm64-${hash}`);
  if (existsSync(out)) return out;
  const tc = findToolchain({ arch: 'arm64' });
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(`${tmp}.c`, MODLOAD_SOURCE);
  const r = await execa(tc.gcc, [...CFLAGS, '-o', tmp, `${tmp}.c`], { reject: false, all: true });
  rmSync(`${tmp}.c`, { force: true });
  if (r.exitCode !== 0) throw new ToolchainError(`building kbt-modload with ${tc.gcc} failed:\n${String(r.all)}`);
  renameSync(tmp, out);
  return out;
}
