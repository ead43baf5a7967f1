/**
 * The toolchain runner against the real parts: the cross gcc, the setup KDIR, make, QEMU; and the
 * messages a user gets when one of them is missing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootArm64 } from '../src/runner/boot.js';
import { loadManifest } from '../src/runner/cache.js';
import { MakeError, ToolchainError, buildExternalModules, findToolchain, makeArgv, resolveKdir, runMake } from '../src/runner/toolchain.js';

/** Run `fn` with $PATH set to `path`, restoring it afterwards. */
async function withPath<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

test('the arm64 cross compiler is found, and a missing one names its Debian package', async () => {
  const tc = findToolchain({ arch: 'arm64' });
  expect(tc).toMatchObject({ arch: 'arm64', crossCompile: 'aarch64-linux-gnu-', gcc: '/usr/bin/aarch64-linux-gnu-gcc' });
  expect(tc.version).toMatch(/^aarch64-linux-gnu-gcc .*12\.2\.0/);
  await withPath('/nonexistent', () => {
    expect(() => findToolchain({ arch: 'arm64' })).toThrow(/aarch64-linux-gnu-gcc not found on PATH .*install the Debian package gcc-aarch64-linux-gnu \(`npm run setup` does\)/);
    // The compilers of the wider conformance sweep: setup.sh --sweep installs them.
    expect(() => findToolchain({ arch: 'sh' })).toThrow(/sh4-linux-gnu-gcc not found on PATH .*install the Debian package gcc-sh4-linux-gnu \(`bash scripts\/setup.sh --sweep` does\)/);
  });
  expect(() => findToolchain({ arch: 'arm64', crossCompile: 'kbt-none-' })).toThrow(ToolchainError);
});

test('KDIR: the setup headers by default; a pristine source tree is refused', () => {
  const m = loadManifest();
  expect(resolveKdir({ arch: 'arm64' }).kdir).toBe(m.arm64!.kdir);
  expect(() => resolveKdir({ arch: 'arm64', kdir: m.linuxSource['6.1'].srcDir })).toThrow(/not a prepared kernel build directory.*modules_prepare/);
  expect(() => resolveKdir({ arch: 'arm64', kdir: '/nonexistent/kdir' })).toThrow(/not a kernel build directory \(no Makefile\)/);
});

test('runMake runs make -C KDIR with ARCH and CROSS_COMPILE and streams its lines', async () => {
  const kdir = loadManifest().arm64!.kdir;
  const lines: string[] = [];
  const r = await runMake({ kdir, arch: 'arm64', args: ['-s', 'kernelrelease'], onLine: (l) => lines.push(l) });
  expect(r.command).toEqual(makeArgv({ kdir, arch: 'arm64', args: ['-s', 'kernelrelease'] }));
  expect(r.command).toContain('CROSS_COMPILE=aarch64-linux-gnu-');
  expect(r.ok).toBe(true);
  // Debian's headers keep the upstream version in include/config/kernel.release
  const release = readFileSync(join(kdir, 'include/config/kernel.release'), 'utf8').trim();
  expect(lines).toContain(release);
  expect(r.stdout.trim()).toBe(release);
});

test('a module that does not compile gives a MakeError with the compiler diagnostic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kbuildts-broken-'));
  try {
    writeFileSync(join(dir, 'broken.c'), '#include <linux/module.h>\nint broken(void) { return undefined_thing; }\nMODULE_LICENSE("GPL");\n');
    writeFileSync(join(dir, 'Kbuild'), 'obj-m := broken.o\n');
    const err = await buildExternalModules({ dir }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MakeError);
    expect((err as MakeError).message).toMatch(/broken\.c:2:\d+: error: 'undefined_thing' undeclared/);
    expect((err as MakeError).result.exitCode).not.toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('booting without QEMU names the Debian package', async () => {
  await withPath('/nonexistent', async () => {
    await expect(bootArm64({})).rejects.toThrow(/qemu-system-aarch64 not found on PATH: install the Debian package qemu-system-arm/);
  });
});

test('the kernel boots to power-off with no modules', async () => {
  const r = await bootArm64({ expect: [/Linux version 6\.1\.\d+/, 'KBUILDTS-INIT start'] });
  expect(r.problems).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.inits).toEqual([]);
  expect(r.lsmod).toEqual([]);
});
