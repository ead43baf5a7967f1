/**
 * `kbuildts build` (the direct engine, src/runner/direct.ts driven by buildTree) against the
 * kernel's own Kbuild (`--via-make`: `make -C KDIR M=...`): samples/ is configured by the kernel's
 * C conf from samples/configs/kbuildts_defconfig and built both ways for arm64 with the real cross
 * compiler and the real KDIR. Every .ko must have the same section names, the same .modinfo fields
 * (vermagic, license, parm, parmtype, depends, name) and the same __versions entries; the built-in
 * objects are archived per directory into thin built-in.a archives as scripts/Makefile.build does;
 * and the modules of both engines load in QEMU (bootArm64) with their parameters, the consumer
 * calling the exporter, every init returning 0.
 *
 * Needs the set-up manifest (arm64 KDIR, vmlinuz, busybox, the 6.1 conf oracle), the cross
 * compiler and qemu-system-aarch64.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildTree, type BuildResult } from '../src/runner/build.js';
import { readElf, splitModinfo } from '../src/runner/elf.js';
import { parseVersions } from '../src/runner/inspect.js';
import { bootArm64 } from '../src/runner/boot.js';
import { loadManifest } from '../src/runner/cache.js';

const SAMPLES = join(process.cwd(), 'samples');
const MODULES = ['kbts_consumer', 'kbts_exporter', 'kbts_flags', 'kbts_hello', 'kbts_multi'];
const FIELDS = ['vermagic', 'license', 'parm', 'parmtype', 'depends', 'name'];
const work = mkdtempSync(join(tmpdir(), 'kbt-direct-vs-make-'));

let viaMake: BuildResult;
let direct: BuildResult;

const ko = (r: BuildResult, name: string): string => r.modules.find((m) => m.name === name)!.ko;
async function fields(file: string): Promise<Array<[string, string]>> {
  const info = splitModinfo((await readElf(file)).section('.modinfo')!.data);
  return info.filter(([k]) => FIELDS.includes(k));
}

beforeAll(async () => {
  const conf = loadManifest().linuxSource['6.1']!.conf;
  await execa(conf, [`--defconfig=${join(SAMPLES, 'configs/kbuildts_defconfig')}`, 'Kconfig'], { cwd: work, env: { srctree: SAMPLES } });
  const configFile = join(work, '.config');
  viaMake = await buildTree({ dir: SAMPLES, configFile, outDir: join(work, 'make'), engine: 'make' });
  direct = await buildTree({ dir: SAMPLES, configFile, outDir: join(work, 'direct'), engine: 'direct' });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('kbuildts build (direct) produces what Kbuild produces', () => {
  test('the same modules and built-in objects, built by each engine', () => {
    expect(direct.engine).toBe('direct');
    expect(viaMake.engine).toBe('make');
    expect(direct.modules.map((m) => m.name).sort()).toEqual(MODULES);
    expect(viaMake.modules.map((m) => m.name).sort()).toEqual(MODULES);
    expect(direct.builtins.map((b) => [b.object, b.initcallSection])).toEqual(viaMake.builtins.map((b) => [b.object, b.initcallSection]));
    for (const m of direct.modules) expect(m.ko.startsWith(join(work, 'direct'))).toBe(true);
  });

  test.each(MODULES)('%s.ko: same section names', async (name) => {
    const mine = (await readElf(ko(direct, name))).sections.map((s) => s.name);
    const theirs = (await readElf(ko(viaMake, name))).sections.map((s) => s.name);
    expect(mine).toEqual(theirs);
    expect(mine).toEqual(expect.arrayContaining(['.gnu.linkonce.this_module', '.modinfo', '__versions', '.init.text']));
  });

  test.each(MODULES)('%s.ko: same .modinfo vermagic, license, parm, parmtype, depends, name', async (name) => {
    const mine = await fields(ko(direct, name));
    expect(mine).toEqual(await fields(ko(viaMake, name)));
    expect(mine.map(([k]) => k)).toEqual(expect.arrayContaining(['vermagic', 'license', 'depends', 'name']));
  });

  test.each(MODULES)('%s.ko: same __versions entries', async (name) => {
    const versions = async (f: string): Promise<Array<{ name: string; crc: string }>> => {
      const e = await readElf(f);
      return parseVersions(e.section('__versions')!.data, e.bits);
    };
    const mine = await versions(ko(direct, name));
    expect(mine).toEqual(await versions(ko(viaMake, name)));
    expect(mine.map((v) => v.name)).toContain('module_layout');
  });

  test('Module.symvers: the exporter\'s symbol with the same CRC', () => {
    const entries = (f: string): string[] => readFileSync(f, 'utf8').trim().split('\n').map((l) => {
      const [crc, sym, , kind] = l.split('\t');
      return `${crc} ${sym} ${kind}`;
    });
    expect(entries(direct.symvers!)).toEqual(entries(viaMake.symvers!));
    expect(entries(direct.symvers!)).toEqual([expect.stringMatching(/^0x[0-9a-f]{8} kbts_exporter_scale EXPORT_SYMBOL$/)]);
  });

  test('built-in objects go into thin built-in.a archives per directory, up to the root', async () => {
    const dir = direct.buildDir;
    const ar = async (a: string): Promise<string[]> => String((await execa('aarch64-linux-gnu-ar', ['t', join(dir, a)])).stdout).split('\n');
    expect(readFileSync(join(dir, 'drivers/kbts/early/built-in.a')).subarray(0, 8).toString()).toBe('!<thin>\n');
    expect(await ar('drivers/kbts/early/built-in.a')).toEqual([join(dir, 'drivers/kbts/early/kbts_early.o')]);
    // The parent's archive holds the children's members in link order (obj-y order of the Kbuild file).
    expect(await ar('built-in.a')).toEqual([join(dir, 'drivers/kbts/early/kbts_early.o'), join(dir, 'drivers/kbts/status/kbts_status.o')]);
    expect(direct.archives).toEqual(expect.arrayContaining([join(dir, 'built-in.a'), join(dir, 'drivers/built-in.a'), join(dir, 'drivers/kbts/status/built-in.a')]));
    for (const b of direct.builtins) {
      const e = await readElf(b.parts[0]!);
      expect(e.symbols.some((s) => s.name === 'init_module' && s.shndx !== 0)).toBe(false);
      expect(b.size).toBeGreaterThan(0);
    }
  });

  test.each(['direct', 'make'] as const)('the modules built by the %s engine load: parameters, consumer calls exporter, every init returns 0', async (engine) => {
    const built = engine === 'direct' ? direct : viaMake;
    const params: Record<string, string[]> = {
      kbts_hello: ['count=2', `who=${engine}`, 'levels=5,-3,8'],
      kbts_exporter: ['factor=7'],
      kbts_consumer: ['input=6'],
    };
    const boot = await bootArm64({
      modules: built.modules.map((m) => ({ path: m.ko, params: params[m.name] })),
      expect: [
        `kbts_hello: count=2 who=${engine} nr_levels=3`,
        `kbts_hello: hello, ${engine} (2/2)`,
        'kbts_exporter: ready, factor=7',
        'kbts_consumer: kbts_exporter_scale(6) = 42',
        'kbts_flags: magic=0x4b42 greeting=hi file_id=42 tree=3',
        'kbts_multi: stats=kbts_multi_stats n=4 max=4',
      ],
      timeoutMs: 180_000,
    });
    expect(boot.problems).toEqual([]);
    expect(boot.ok).toBe(true);
    expect(boot.inits.map((i) => [i.module, i.rc]).sort()).toEqual(MODULES.map((m) => [m, 0]));
  });
});
