/**
 * `buildTree` / `kbuildts build` with each engine (direct, the default, and `make -C KDIR M=...`,
 * i.e. --via-make): samples/ is configured by the kernel's C conf from
 * samples/configs/kbuildts_defconfig, cross-built for arm64 against the set-up KDIR, and the
 * results are read back as ELF: vermagic, module
 * sections (.gnu.linkonce.this_module, __param, .modinfo parm/license/depends) and built-in
 * sections (.initcall4.init for subsys_initcall, .initcall6.init for module_init, no -DMODULE
 * effects). A compile-error fixture must be reported as file:line:col in the source tree.
 *
 * Needs the set-up manifest (arm64 KDIR, the 6.1 conf oracle) and aarch64-linux-gnu-gcc.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BuildError, buildTree, type BuildEvent, type BuildResult } from '../src/runner/build.js';
import { readElf, splitModinfo, type ElfObject } from '../src/runner/elf.js';
import { loadManifest } from '../src/runner/cache.js';

const SAMPLES = join(process.cwd(), 'samples');
const BROKEN = join(process.cwd(), 'test/fixtures/kbuild-broken');
const work = mkdtempSync(join(tmpdir(), 'kbt-build-test-'));
const release = (): string => loadManifest().arm64!.kernelRelease;

async function samplesConfig(): Promise<string> {
  const conf = loadManifest().linuxSource['6.1']!.conf;
  const dir = join(work, 'conf');
  await execa('mkdir', ['-p', dir]);
  await execa(conf, [`--defconfig=${join(SAMPLES, 'configs/kbuildts_defconfig')}`, 'Kconfig'], { cwd: dir, env: { srctree: SAMPLES } });
  return join(dir, '.config');
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

const modinfoOf = (e: ElfObject): Array<[string, string]> => splitModinfo(e.section('.modinfo')?.data ?? Buffer.alloc(0));

// Steps expected: make: 7 module parts + 1 composite link + 5 .mod.o + 5 .ko + 2 built-in;
// direct: the same, plus modpost and 6 built-in.a (root, drivers, kbts, export, early, status).
describe.each([
  ['direct', 27],
  ['make', 20],
] as const)('kbuildts build of samples/ for arm64 (%s engine)', (engine, steps) => {
  let r: BuildResult;
  const events: BuildEvent[] = [];
  beforeAll(async () => {
    const configFile = await samplesConfig();
    r = await buildTree({ dir: SAMPLES, configFile, outDir: join(work, `out-${engine}`), engine, onEvent: (e) => events.push(e) });
  });

  test('every module is built with the target kernel\'s vermagic', async () => {
    expect(r.kernelRelease).toBe(release());
    expect(r.modules.map((m) => m.name).sort()).toEqual(['kbts_consumer', 'kbts_exporter', 'kbts_flags', 'kbts_hello', 'kbts_multi']);
    for (const m of r.modules) {
      const info = modinfoOf(await readElf(m.ko));
      const vermagic = info.find(([k]) => k === 'vermagic')![1];
      expect(vermagic).toBe(m.vermagic);
      expect(vermagic.split(' ')[0]).toBe(release());
      expect(vermagic).toMatch(/ aarch64$/);
    }
  });

  test('module sections: this_module, __param, .modinfo with parm and license; consumer depends on exporter', async () => {
    const hello = await readElf(r.modules.find((m) => m.name === 'kbts_hello')!.ko);
    expect(hello.machine).toBe(183);
    for (const s of ['.gnu.linkonce.this_module', '__param', '.modinfo', '.init.text', '.exit.text']) expect(hello.section(s)).toBeDefined();
    expect(hello.sections.some((s) => /^\.initcall/.test(s.name))).toBe(false);
    const info = modinfoOf(hello);
    const parms = info.filter(([k]) => k === 'parmtype').map(([, v]) => v);
    expect(parms.sort()).toEqual(['count:int', 'levels:array of int', 'who:charp']);
    expect(info).toContainEqual(['license', 'GPL']);
    expect(info).toContainEqual(['name', 'kbts_hello']);

    const consumer = await readElf(r.modules.find((m) => m.name === 'kbts_consumer')!.ko);
    expect(modinfoOf(consumer)).toContainEqual(['depends', 'kbts_exporter']);
    expect(consumer.symbols.find((s) => s.name === 'kbts_exporter_scale')!.shndx).toBe(0); // resolved at load time
    const symvers = readFileSync(r.symvers!, 'utf8');
    expect(symvers).toMatch(/^0x[0-9a-f]{8}\tkbts_exporter_scale\t\S*drivers\/kbts\/export\/kbts_exporter\tEXPORT_SYMBOL\t$/m);
  });

  test('composite module links all parts; ccflags-y macros reach the compiler', async () => {
    const multi = await readElf(r.modules.find((m) => m.name === 'kbts_multi')!.ko);
    const defined = multi.symbols.filter((s) => s.shndx !== 0).map((s) => s.name);
    expect(defined).toEqual(expect.arrayContaining(['kbts_multi_ops_sum', 'kbts_multi_stats_report']));
    const flags = await readElf(r.modules.find((m) => m.name === 'kbts_flags')!.ko);
    const strings = flags.sections.filter((s) => s.name.startsWith('.rodata')).map((s) => s.data.toString('latin1')).join('');
    expect(strings).toContain('hi'); // -DKBTS_FLAGS_GREETING='"hi"' (ccflags-$(CONFIG_KBTS_FLAGS_CASUAL))
    expect(strings).toContain('basename=%s modname=%s'); // -DKBTS_FLAGS_VERBOSE=1 (ifdef CONFIG_...)
  });

  test('built-in objects: initcall level by section, no -DMODULE effects', async () => {
    const byObj = Object.fromEntries(r.builtins.map((b) => [b.object, b]));
    expect(byObj['drivers/kbts/early/kbts_early.o']).toMatchObject({ initcallLevel: '4', initcallSection: '.initcall4.init', archive: 'drivers/kbts/early/built-in.a' });
    expect(byObj['drivers/kbts/status/kbts_status.o']).toMatchObject({ initcallLevel: '6', initcallSection: '.initcall6.init' });
    for (const b of r.builtins) {
      const e = await readElf(b.parts[0]!);
      const sect = b.initcallSection!;
      expect(e.section(sect)).toBeDefined();
      expect(e.relocationsFor(sect).length).toBeGreaterThan(0);
      const name = b.object.split('/').pop()!.replace(/\.o$/, '');
      expect(e.symbols.some((s) => s.name.startsWith(`__initcall__kmod_${name}__`) && s.name.endsWith(b.initcallLevel!))).toBe(true);
      expect(e.section('.gnu.linkonce.this_module')).toBeUndefined();
      expect(e.symbols.some((s) => s.name === 'init_module' || s.name === 'cleanup_module')).toBe(false);
      expect(e.section('.exitcall.exit')).toBeDefined();
      // Built-in .modinfo keys carry the KBUILD_MODNAME prefix (no MODULE defined).
      expect(modinfoOf(e)).toContainEqual([`${name}.license`, 'GPL']);
    }
    const early = await readElf(r.builtins.find((b) => b.object.endsWith('kbts_early.o'))!.parts[0]!);
    const rodata = early.sections.filter((s) => s.name.startsWith('.rodata')).map((s) => s.data.toString('latin1')).join('');
    expect(rodata).toContain('built in, subsys initcall');
    expect(rodata).not.toContain('loaded as a module');
  });

  test('progress: one counted step per expected compile and link', () => {
    const plan = events.find((e) => e.type === 'plan') as Extract<BuildEvent, { type: 'plan' }>;
    const counted = events.filter((e) => e.type === 'step' && e.counted).length;
    expect(plan.total).toBe(steps);
    expect(counted).toBe(plan.total);
  });
});

describe('another configuration of samples/', () => {
  test('built-in composite object and a subsys_initcall driver as a module', async () => {
    const conf = loadManifest().linuxSource['6.1']!.conf;
    const dir = join(work, 'conf2');
    await execa('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'defconfig'), 'CONFIG_KBTS_DRIVERS=y\nCONFIG_KBTS_MULTI=y\nCONFIG_KBTS_EARLY=m\n');
    await execa(conf, [`--defconfig=${join(dir, 'defconfig')}`, 'Kconfig'], { cwd: dir, env: { srctree: SAMPLES } });
    const r2 = await buildTree({ dir: SAMPLES, configFile: join(dir, '.config'), outDir: join(work, 'out2') });
    expect(r2.modules.map((m) => m.name)).toEqual(['kbts_early']);
    const early = await readElf(r2.modules[0]!.ko);
    expect(early.sections.some((s) => /^\.initcall/.test(s.name))).toBe(false);
    expect(early.symbols.some((s) => s.name === 'init_module' && s.shndx !== 0)).toBe(true);
    const multi = r2.builtins.find((b) => b.object === 'drivers/kbts/multi/kbts_multi.o')!;
    expect(multi.parts.map((p) => p.split('/').pop())).toEqual(['kbts_multi_core.o', 'kbts_multi_ops.o', 'kbts_multi_stats.o']);
    expect(multi).toMatchObject({ initcallLevel: '6', initcallSection: '.initcall6.init', archive: 'drivers/kbts/multi/built-in.a' });
    // Every part of a built-in composite is compiled with the composite's KBUILD_MODNAME.
    const core = await readElf(multi.parts[0]!);
    expect(core.symbols.some((s) => /^__initcall__kmod_kbts_multi__\d+_\d+_kbts_multi_init6$/.test(s.name))).toBe(true);
    expect(modinfoOf(core)).toContainEqual(['kbts_multi.license', 'GPL']);
  });
});

describe('compile errors', () => {
  test('are reported as file:line:col in the source tree, not the build copy', async () => {
    const cfg = join(work, 'broken.config');
    writeFileSync(cfg, '');
    const out = join(work, 'broken-out');
    let err: unknown;
    try {
      await buildTree({ dir: BROKEN, configFile: cfg, outDir: out });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BuildError);
    const be = err as BuildError;
    expect(be.diagnostics.filter((d) => d.severity === 'error')).toEqual([
      { file: join(BROKEN, 'broken.c'), line: 9, col: 20, severity: 'error', message: expect.stringContaining('undeclared_helper') },
    ]);
    expect(be.message).toContain(`${join(BROKEN, 'broken.c')}:9:20: error:`);
    expect(be.message).not.toContain(out);
  });

  test('the CLI prints them and exits 1', async () => {
    const cfg = join(work, 'broken.config');
    writeFileSync(cfg, '');
    const res = await execa('node', ['dist/cli/kbuildts.cjs', 'build', '--arch', 'arm64', '--config', cfg, '--out', join(work, 'broken-cli'), 'test/fixtures/kbuild-broken'], { reject: false });
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/kbuild-broken\/broken\.c:9:20: error: implicit declaration of function .undeclared_helper./);
  });

  test('a makefile error is located and exits 1', async () => {
    const dir = join(work, 'badmk');
    await execa('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'Kbuild'), 'obj-m += ok.o\nobj-m += $(wildcard *.o)\n');
    writeFileSync(join(dir, '.config'), '');
    const res = await execa('node', [join(process.cwd(), 'dist/cli/kbuildts.cjs'), 'plan', dir], { reject: false });
    expect(res.exitCode).toBe(1);
    expect(res.stderr.trim()).toBe(`${join(dir, 'Kbuild')}:2:10: unsupported make function $(wildcard ...)`);
  });
});
