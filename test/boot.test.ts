/**
 * Boots the real Debian arm64 kernel in QEMU with modules built by the real cross compiler
 * against the headers from `npm run setup` (test/fixtures/boot-module), and checks what the
 * console shows. Each boot takes a few seconds under TCG.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { bootArm64 } from '../src/runner/boot.js';
import { loadArm64 } from '../src/runner/cache.js';
import { buildInitramfs, cpioNewc, parseMarkers } from '../src/runner/initramfs.js';
import { modloadHelper } from '../src/runner/modload.js';
import { ModInfoError, orderByDependencies, readModinfo } from '../src/runner/modinfo.js';
import { buildExternalModules } from '../src/runner/toolchain.js';
import { parseInsmodSpec } from '../src/cli/commands/boot.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
let work: string;
let ko: (name: string) => string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kbuildts-boot-test-'));
  cpSync(join(here, 'fixtures/boot-module'), work, { recursive: true });
  const built = await buildExternalModules({ dir: work, arch: 'arm64' });
  expect(built.kos.map((k) => k.slice(work.length + 1))).toEqual(['kbt_consumer.ko', 'kbt_fail.ko', 'kbt_hello.ko', 'kbt_provider.ko', 'kbt_warn.ko']);
  ko = (name) => join(work, `${name}.ko`);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a module loads with its parameters, prints them, and unloads', async () => {
  const r = await bootArm64({
    modules: [{ path: ko('kbt_hello'), params: ['whom="kbuildts tests"', 'count=7'] }],
    expect: ['kbt_hello: hello kbuildts tests count=7', /kbt_hello: goodbye kbuildts tests/],
  });
  expect(r.problems).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.inits.map(({ module, rc }) => ({ module, rc }))).toEqual([{ module: 'kbt_hello', rc: 0 }]);
  expect(r.rmmods).toEqual([{ module: 'kbt_hello', rc: 0 }]);
  expect(r.lsmod).toEqual(['kbt_hello']);
  expect(r.console).toMatch(/kbt_hello: hello kbuildts tests count=7\n/);
  expect(r.console).toContain('KBUILDTS-INSMOD kbt_hello rc=0');
  expect(r.timedOut).toBe(false);
});

test('an init that returns -ENODEV makes the boot fail with rc -19', async () => {
  const r = await bootArm64({ modules: [{ path: ko('kbt_hello') }, { path: ko('kbt_fail') }] });
  expect(r.ok).toBe(false);
  expect(r.inits.map(({ module, rc }) => ({ module, rc }))).toEqual([
    { module: 'kbt_hello', rc: 0 },
    { module: 'kbt_fail', rc: -19 },
  ]);
  expect(r.problems).toEqual(['insmod kbt_fail failed: rc=-19']);
  // the init ran once (busybox insmod would retry with init_module and run it twice)
  expect(r.console.split('kbt_fail: no device, returning -ENODEV').length - 1).toBe(1);
  // only the module that loaded is unloaded; the default parameter shows
  expect(r.rmmods).toEqual([{ module: 'kbt_hello', rc: 0 }]);
  expect(r.console).toContain('kbt_hello: hello nobody count=1');
});

test('modules given consumer-first load exporter-first (modinfo depends=) and unload in reverse', async () => {
  const r = await bootArm64({ modules: [{ path: ko('kbt_consumer') }, { path: ko('kbt_provider') }], expect: ['kbt_consumer: answer=42'] });
  expect(r.problems).toEqual([]);
  expect(r.inits.map((i) => i.module)).toEqual(['kbt_provider', 'kbt_consumer']);
  expect(r.rmmods.map((i) => i.module)).toEqual(['kbt_consumer', 'kbt_provider']);
  expect(r.console.indexOf('kbt_provider: loaded')).toBeLessThan(r.console.indexOf('kbt_consumer: answer=42'));
  expect(r.ok).toBe(true);
});

test('a kernel WARNING in a module init makes the boot fail even though insmod returned 0', async () => {
  const r = await bootArm64({ modules: [{ path: ko('kbt_warn') }] });
  expect(r.inits.map(({ module, rc }) => ({ module, rc }))).toEqual([{ module: 'kbt_warn', rc: 0 }]);
  expect(r.rmmods).toEqual([{ module: 'kbt_warn', rc: 0 }]);
  expect(r.ok).toBe(false);
  expect(r.problems.some((p) => p.startsWith('the kernel reported WARNING: ') && p.includes('kbt_warn'))).toBe(true);
  expect(r.problems.some((p) => p.startsWith('the kernel reported Call trace'))).toBe(true);
});

test('initcall_debug on the command line: module initcalls and their return values', async () => {
  const r = await bootArm64({ modules: [{ path: ko('kbt_fail') }, { path: ko('kbt_hello') }], append: 'initcall_debug loglevel=8' });
  expect(r.console).toMatch(/Kernel command line: .*cryptomgr\.notests=1 initcall_debug loglevel=8/);
  expect(r.initcalls.filter((i) => i.module)).toEqual([
    { fn: 'kbt_fail_init', module: 'kbt_fail', rc: -19 },
    { fn: 'kbt_hello_init', module: 'kbt_hello', rc: 0 },
  ]);
  // built-in initcalls show too
  expect(r.initcalls.filter((i) => !i.module).length).toBeGreaterThan(100);
  expect(r.problems).toEqual(['insmod kbt_fail failed: rc=-19']);
});

test('an expected line that never appears makes the boot fail', async () => {
  const r = await bootArm64({ modules: [{ path: ko('kbt_hello'), params: ['whom=x'] }], expect: ['kbt_hello: hello y'] });
  expect(r.inits[0].rc).toBe(0);
  expect(r.ok).toBe(false);
  expect(r.problems).toEqual(['expected console text not found: "kbt_hello: hello y"']);
});

test('modinfo of the built modules: parameters, depends, vermagic, arch', async () => {
  const arm64 = loadArm64();
  const hello = await readModinfo(ko('kbt_hello'));
  expect(hello.name).toBe('kbt_hello');
  expect(hello.arch).toBe('arm64');
  expect(hello.license).toBe('GPL');
  expect(hello.vermagic.split(' ')[0]).toBe(arm64.kernelRelease);
  expect([...hello.params].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
    { name: 'count', type: 'int', description: 'how many times' },
    { name: 'whom', type: 'charp', description: 'who to greet' },
  ]);
  expect((await readModinfo(ko('kbt_consumer'))).depends).toEqual(['kbt_provider']);
  expect((await readModinfo(ko('kbt_provider'))).depends).toEqual([]);
  const cyc = [
    { info: { ...hello, name: 'a', depends: ['b'] } },
    { info: { ...hello, name: 'b', depends: ['a'] } },
  ];
  expect(() => orderByDependencies(cyc)).toThrow(ModInfoError);
  await expect(readModinfo(join(work, 'kbt_hello.c'))).rejects.toThrow(/not an ELF file/);
});

test('a module for another architecture is refused before booting', async () => {
  // the host compiler's object is an x86-64 ELF: not loadable into the arm64 kernel
  const src = join(work, 'host.c');
  writeFileSync(src, 'int x;\n');
  await execa('gcc', ['-c', src, '-o', join(work, 'host.ko')]);
  await expect(bootArm64({ modules: [{ path: join(work, 'host.ko') }] })).rejects.toThrow(/no \.modinfo section|built for x86_64/);
});

test('the initramfs is a gzip newc cpio that GNU cpio lists', async () => {
  const arm64 = loadArm64();
  const img = buildInitramfs({ busybox: arm64.busybox, modload: await modloadHelper(), modules: [{ name: 'kbt_hello', path: ko('kbt_hello'), params: ['whom=a'] }] });
  const file = join(work, 'initramfs.cpio.gz');
  writeFileSync(file, img);
  const listing = await execa('sh', ['-c', `gzip -dc '${file}' | cpio -itv --quiet`]);
  const lines = listing.stdout.split('\n');
  expect(lines.find((l) => / init$/.test(l))).toMatch(/^-rwxr-xr-x\s+1 root\s+root\s+\d+/);
  expect(lines.find((l) => / bin\/sh -> busybox$/.test(l))).toMatch(/^lrwxrwxrwx/);
  expect(lines.some((l) => / lib\/modules\/kbuildts\/kbt_hello\.ko$/.test(l))).toBe(true);
  expect(lines.find((l) => / bin\/kbt-modload$/.test(l))).toMatch(/^-rwxr-xr-x/);
  expect(lines.some((l) => /^d.* tmp$/.test(l))).toBe(true);
  // an empty archive is just the trailer, padded to 4 bytes
  expect(cpioNewc([]).toString('latin1')).toMatch(/^070701.{104}TRAILER!!!\0/);
});

test('marker parsing and --insmod syntax', () => {
  const m = parseMarkers('KBUILDTS-INIT start\r\nKBUILDTS-INSMOD a rc=0\r\nKBUILDTS-LSMOD-BEGIN\nModule Size Used by\na 16384 0\nKBUILDTS-LSMOD-END\nKBUILDTS-RMMOD a rc=-16\nKBUILDTS-DONE\n');
  expect(m).toEqual({ started: true, inits: [{ module: 'a', rc: 0 }], rmmods: [{ module: 'a', rc: -16 }], lsmod: ['a'], done: true });
  expect(parseInsmodSpec('hello.ko  whom="big world" count=3')).toEqual({ path: 'hello.ko', params: ['whom="big world"', 'count=3'] });
  expect(() => parseInsmodSpec('hello.ko whom="x')).toThrow(/unclosed/);
});

test('the CLI boots a module with parameters and exits 0, and exits 1 on a failing init', async () => {
  const cli = join(repo, 'dist/cli/kbuildts.cjs');
  const good = await execa('node', [cli, 'boot', '--quiet', '--insmod', `${ko('kbt_hello')} whom=cli`, '--param', 'kbt_hello=count=2', '--expect', 'hello cli count=2'], { reject: false });
  expect(good.stdout).toContain('insmod kbt_hello whom=cli count=2: rc=0');
  expect(good.stdout).toContain('result: OK');
  expect(good.exitCode).toBe(0);
  const bad = await execa('node', [cli, 'boot', '--quiet', '--insmod', ko('kbt_fail')], { reject: false });
  expect(bad.stdout).toContain('insmod kbt_fail: rc=-19 (ENODEV)');
  expect(bad.stdout).toContain('result: FAILED');
  expect(bad.exitCode).toBe(1);
});
