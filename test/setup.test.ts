/**
 * What `npm run setup` (scripts/setup.sh) left behind: the manifest points at real, consistent
 * parts, and the unpacked Debian arm64 headers work as KDIR (a module built against them has the
 * image's vermagic).
 */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cacheDir, loadManifest } from '../src/runner/cache.js';
import { readModinfo } from '../src/runner/modinfo.js';
import { buildExternalModules, findToolchain, kernelReleaseOf, resolveKdir } from '../src/runner/toolchain.js';
import { kernelVersionOf } from '../src/kconfig/environment.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const executable = (f: string): void => accessSync(f, constants.X_OK);
const dpkgVersion = async (pkg: string): Promise<string> => (await execa('dpkg-query', ['-W', '-f=${Version}', pkg])).stdout;

test('the manifest names real files that agree with each other', async () => {
  const m = loadManifest();
  expect(m.cacheDir).toBe(cacheDir());
  expect(Object.keys(m.linuxSource).sort()).toEqual(['6.1', '6.12']);
  for (const [series, src] of Object.entries(m.linuxSource)) {
    expect(src.kernelVersion.startsWith(`${series}.`)).toBe(true);
    expect(kernelVersionOf(readFileSync(join(src.srcDir, 'Makefile'), 'utf8'))).toBe(src.kernelVersion);
    expect(existsSync(join(src.srcDir, 'scripts/kconfig/conf.c'))).toBe(true);
    executable(src.conf);
    expect(src.debVersion).toBe(await dpkgVersion(`linux-source-${series}`));
  }
  const a = m.arm64!;
  expect(a.kernelRelease).toBe(`6.1.0-${a.abi}-arm64`);
  // the headers' scripts/ links into the host linux-kbuild-6.1, which must be the same version
  expect(await dpkgVersion('linux-kbuild-6.1')).toBe(a.debVersion);
  expect(realpathSync(join(a.kdir, 'scripts'))).toBe('/usr/lib/linux-kbuild-6.1/scripts');
  executable(join(a.kdir, 'scripts/mod/modpost'));
  expect(readFileSync(join(a.kdir, 'Makefile'), 'utf8')).toMatch(new RegExp(`^include ${a.kdir.replace(/arm64$/, 'common')}/Makefile$`, 'm'));
  expect(kernelReleaseOf(a.kdir)).toBe(a.kernelRelease);
  // lib/modules/<release>/build and source are relative links into the unpacked tree
  expect(realpathSync(join(a.modulesDir!, 'build'))).toBe(realpathSync(a.kdir));
  expect(existsSync(join(a.modulesDir!, 'source/include/linux/module.h'))).toBe(true);
  expect(readFileSync(a.config!, 'utf8')).toContain('CONFIG_SERIAL_AMBA_PL011_CONSOLE=y');
  // the image: an arm64 Linux Image ("ARM\x64" magic at offset 56), the busybox an aarch64 ELF
  const img = readFileSync(a.vmlinuz);
  expect(img.readUInt32LE(56)).toBe(0x644d5241);
  expect(statSync(a.vmlinuz).size).toBeGreaterThan(10_000_000);
  executable(a.busybox);
  expect(readFileSync(a.busybox).readUInt16LE(18)).toBe(183);
  expect(resolveKdir({ arch: 'arm64' })).toEqual({ kdir: a.kdir, kernelRelease: a.kernelRelease, fromManifest: true });
  expect(findToolchain({ arch: 'arm64' }).crossCompile).toBe('aarch64-linux-gnu-');
});

test('a module built against the setup KDIR has the image vermagic', async () => {
  const a = loadManifest().arm64!;
  const dir = mkdtempSync(join(tmpdir(), 'kbuildts-vermagic-'));
  try {
    writeFileSync(join(dir, 'tiny.c'), '#include <linux/module.h>\nstatic int __init t_init(void) { return 0; }\nmodule_init(t_init);\nMODULE_LICENSE("GPL");\n');
    writeFileSync(join(dir, 'Kbuild'), 'obj-m := tiny.o\n');
    const { kos } = await buildExternalModules({ dir });
    expect(kos).toEqual([join(dir, 'tiny.ko')]);
    const ours = (await readModinfo(kos[0])).vermagic;
    expect(ours).toBe(`${a.kernelRelease} SMP mod_unload modversions aarch64`);
    // and an in-tree module from the image package says the same
    const fsDir = join(a.modulesDir!, 'kernel/fs/fat');
    const ref = readdirSync(fsDir).find((f) => f.endsWith('.ko'));
    expect(ref).toBeDefined();
    expect((await readModinfo(join(fsDir, ref!))).vermagic).toBe(ours);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('setup.sh --check passes and a second run changes nothing', async () => {
  const check = await execa('bash', [join(repo, 'scripts/setup.sh'), '--check'], { reject: false });
  expect(check.stderr).toBe('');
  expect(check.stdout).toContain('check passed');
  expect(check.exitCode).toBe(0);
  const before = readFileSync(join(cacheDir(), 'manifest.json'), 'utf8');
  const again = await execa('bash', [join(repo, 'scripts/setup.sh')], { reject: false });
  expect(again.exitCode).toBe(0);
  expect(again.stdout).not.toMatch(/installing|downloading|unpacked in|built in|wrote/);
  expect(readFileSync(join(cacheDir(), 'manifest.json'), 'utf8')).toBe(before);
});
