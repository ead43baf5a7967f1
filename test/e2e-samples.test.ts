/**
 * End to end on samples/: configure with kbuildts's own Kconfig engine
 * (samples/configs/kbuildts_defconfig; the result must equal the kernel's C conf's byte for byte),
 * build for arm64 (buildTree), boot the Debian arm64 kernel in QEMU with an
 * initramfs that insmods the sample modules with parameters (bootArm64), and check the console:
 * the parameter values the hello driver prints, the consumer's call into the exporter, the
 * ccflags-y macros, the composite module's parts, and every insmod/rmmod returning 0.
 *
 * Needs the set-up manifest (arm64 KDIR, vmlinuz, busybox, the 6.1 conf oracle), the cross
 * compiler and qemu-system-aarch64.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { runConfig } from '../src/kconfig/config.js';
import { buildTree } from '../src/runner/build.js';
import { bootArm64 } from '../src/runner/boot.js';
import { loadManifest } from '../src/runner/cache.js';

const SAMPLES = join(process.cwd(), 'samples');

test('samples: kbuildts config → build → boot loads every module with its parameters', async () => {
  const work = mkdtempSync(join(tmpdir(), 'kbt-e2e-samples-'));
  try {
    const cWork = join(work, 'c');
    const kWork = join(work, 'k');
    mkdirSync(cWork);
    const conf = loadManifest().linuxSource['6.1']!.conf;
    await execa(conf, ['-s', `--defconfig=${join(SAMPLES, 'configs/kbuildts_defconfig')}`, 'Kconfig'], { cwd: cWork, env: { srctree: SAMPLES } });
    runConfig({ mode: 'defconfig', defconfigFile: join(SAMPLES, 'configs/kbuildts_defconfig'), srctree: SAMPLES, objtree: kWork, arch: 'arm64', silent: true });
    for (const f of ['.config', 'include/config/auto.conf', 'include/generated/autoconf.h']) {
      expect(readFileSync(join(kWork, f), 'latin1')).toBe(readFileSync(join(cWork, f), 'latin1'));
    }
    const built = await buildTree({ dir: SAMPLES, configFile: join(kWork, '.config'), outDir: join(work, 'out') });
    const ko = (name: string): string => built.modules.find((m) => m.name === name)!.ko;
    const params: Record<string, string[]> = {
      kbts_hello: ['count=2', 'who=arm64', 'levels=5,-3,8'],
      kbts_exporter: ['factor=5'],
      kbts_consumer: ['input=9'],
      kbts_flags: [],
      kbts_multi: [],
    };
    const boot = await bootArm64({
      modules: built.modules.map((m) => ({ path: ko(m.name), params: params[m.name] })),
      expect: [
        'kbts_hello: count=2 who=arm64 nr_levels=3',
        'kbts_hello: levels[1]=-3',
        'kbts_hello: hello, arm64 (2/2)',
        'kbts_exporter: ready, factor=5',
        'kbts_consumer: kbts_exporter_scale(9) = 45',
        'kbts_flags: magic=0x4b42 greeting=hi file_id=42 tree=3',
        'kbts_flags: basename=kbts_flags modname=kbts_flags',
        'kbts_multi: core=kbts_multi_core sum=10',
        'kbts_multi: stats=kbts_multi_stats n=4 max=4',
        'kbts_hello: goodbye, arm64',
      ],
      timeoutMs: 180_000,
    });
    expect(boot.problems).toEqual([]);
    expect(boot.ok).toBe(true);
    // The exporter is loaded before its consumer (depends=), and every init returned 0.
    const order = boot.inits.map((i) => i.module);
    expect(order.indexOf('kbts_exporter')).toBeLessThan(order.indexOf('kbts_consumer'));
    expect(boot.inits.map((i) => [i.module, i.rc]).sort()).toEqual(
      ['kbts_consumer', 'kbts_exporter', 'kbts_flags', 'kbts_hello', 'kbts_multi'].map((m) => [m, 0]),
    );
    expect(boot.lsmod).toEqual(expect.arrayContaining(['kbts_hello', 'kbts_exporter', 'kbts_consumer', 'kbts_flags', 'kbts_multi']));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
