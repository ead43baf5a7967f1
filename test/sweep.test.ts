/**
 * The wider conformance sweep's plan (`npm run conformance`, src/conformance/sweep.ts): which
 * ARCHes it knows, the compiler each runs with, and the cases it makes of a real tree; and one
 * case run (a Debian configuration as both tools' input). The sweep
 * itself runs outside the tests (673 cases with every compiler of `setup.sh --sweep`); CI's
 * conformance runs are test/kconfig-conformance.test.ts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as SweepModule from '../src/conformance/sweep.js';
import { SWEEP_ARCHES, SWEEP_MODES, debianConfigFiles, sweepCases } from '../src/conformance/sweep.js';
import { oracleTree } from '../src/conformance/oracle.js';
import { defaultCrossCompile, srcArchOf } from '../src/kconfig/environment.js';
import { debianPackageFor } from '../src/runner/toolchain.js';

const { srcDir } = oracleTree('6.1');

test('every ARCH of the sweep is an arch of the tree, with a Debian cross compiler unless it is the host', () => {
  for (const arch of SWEEP_ARCHES) {
    expect(existsSync(join(srcDir, 'arch', srcArchOf(arch), 'Kconfig'))).toBe(true);
    const prefix = defaultCrossCompile(arch);
    if (arch === 'x86_64') expect(prefix).toBe('');
    else expect(prefix).toMatch(/^[a-z0-9_]+-linux-gnu[a-z]*-$/);
    // A missing compiler's error names the package to install (toolchain.ts findToolchain()).
    expect(debianPackageFor(prefix)).toBe(prefix === '' ? 'gcc' : `gcc-${prefix.slice(0, -1)}`);
  }
  expect(defaultCrossCompile('sh')).toBe('sh4-linux-gnu-');
  expect(defaultCrossCompile('parisc')).toBe('hppa-linux-gnu-');
  expect(defaultCrossCompile('sparc')).toBe('sparc64-linux-gnu-');
});

test('cases: the mode-independent targets, then each arch/<srcarch>/configs/*defconfig (ARCH=x86 for x86)', () => {
  const cases = sweepCases(['6.1'], ['sh', 'x86_64']);
  const sh = cases.filter((c) => c.arch === 'sh').map((c) => c.mode);
  const shFiles = readdirSync(join(srcDir, 'arch', 'sh', 'configs')).filter((f) => f.endsWith('defconfig')).sort();
  expect(sh).toEqual([...SWEEP_MODES, ...shFiles]);
  expect(sh).toHaveLength(60); // 6.1 has 55 sh defconfig files
  const x86 = cases.filter((c) => c.arch !== 'sh');
  expect(x86.slice(0, SWEEP_MODES.length).map((c) => [c.arch, c.mode])).toEqual(SWEEP_MODES.map((m) => ['x86_64', m]));
  expect(x86.slice(SWEEP_MODES.length).map((c) => [c.arch, c.mode])).toEqual([
    ['x86', 'i386_defconfig'],
    ['x86', 'x86_64_defconfig'],
  ]);
  expect(sweepCases(['6.1'], ['sparc'], { modes: ['allnoconfig'] })).toEqual([{ series: '6.1', arch: 'sparc', mode: 'allnoconfig' }]);
  expect(sweepCases(['6.1'], ['sparc'], { modes: [] })).toEqual([]);
});

test('randconfig cases: one per KCONFIG_SEED after the other targets; never unseeded', () => {
  expect(sweepCases(['6.1'], ['riscv'], { modes: ['randconfig'], seeds: ['1', '0x2a'] })).toEqual([
    { series: '6.1', arch: 'riscv', mode: 'randconfig', seed: '1' },
    { series: '6.1', arch: 'riscv', mode: 'randconfig', seed: '0x2a' },
  ]);
  expect(sweepCases(['6.1'], ['riscv'], { modes: ['allnoconfig'], seeds: ['7'] }).map((c) => [c.mode, c.seed])).toEqual([
    ['allnoconfig', undefined],
    ['randconfig', '7'],
  ]);
  const all = sweepCases(['6.1'], ['riscv'], { seeds: ['3'] });
  expect(all[all.length - 1]).toEqual({ series: '6.1', arch: 'riscv', mode: 'randconfig', seed: '3' });
  expect(all.filter((c) => c.mode === 'randconfig')).toHaveLength(1);
  expect(() => sweepCases(['6.1'], ['riscv'], { modes: ['randconfig'] })).toThrow(/--seeds/);
});

test("Debian's configurations: an olddefconfig case each, for the ARCH its file name gives, on every series", () => {
  const dir = mkdtempSync(join(tmpdir(), 'kbuildts-sweep-'));
  try {
    for (const f of ['config.amd64_none_amd64.xz', 'config.i386_none_686-pae.xz', 'config.armhf_none_armmp.xz', 'config.arm64_rt_arm64.xz', 'config.armel_none_rpi', 'config.foo_none_bar.xz', 'README']) {
      writeFileSync(join(dir, f), '');
    }
    expect(debianConfigFiles([dir]).map(([f, arch]) => [basename(f), arch])).toEqual([
      ['config.amd64_none_amd64.xz', 'x86_64'],
      ['config.arm64_rt_arm64.xz', 'arm64'],
      ['config.armel_none_rpi', 'arm'],
      ['config.armhf_none_armmp.xz', 'arm'],
      ['config.i386_none_686-pae.xz', 'i386'],
    ]);
    // The same file given twice is one case; a file of the same name elsewhere is another.
    const other = mkdtempSync(join(tmpdir(), 'kbuildts-sweep-'));
    writeFileSync(join(other, 'config.armel_none_rpi'), '');
    expect(debianConfigFiles([dir, join(dir, 'config.armel_none_rpi'), other]).filter(([f]) => basename(f) === 'config.armel_none_rpi')).toEqual([
      [join(dir, 'config.armel_none_rpi'), 'arm'],
      [join(other, 'config.armel_none_rpi'), 'arm'],
    ].sort((a, b) => a[0].localeCompare(b[0])));
    rmSync(other, { recursive: true, force: true });
    const cases = sweepCases(['6.1', '6.12'], ['x86_64', 'arm', 'riscv'], { modes: [], debianConfigs: [dir] });
    expect(cases.map((c) => [c.series, c.arch, c.mode, basename(c.input!)])).toEqual(
      ['6.1', '6.12'].flatMap((s) => [
        [s, 'x86_64', 'olddefconfig', 'config.amd64_none_amd64.xz'],
        [s, 'i386', 'olddefconfig', 'config.i386_none_686-pae.xz'],
        [s, 'arm', 'olddefconfig', 'config.armel_none_rpi'],
        [s, 'arm', 'olddefconfig', 'config.armhf_none_armmp.xz'],
      ]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a Debian configuration's case: both tools start from it (olddefconfig of the amd64 config, as CI's conformance test does)", async () => {
  // A case runs kbuildts as a child process of the built package (dist/conformance/lib-child.js),
  // so it is run from dist/ (`npm test` builds it first).
  const { runCase, formatResult } = (await import(pathToFileURL(join(process.cwd(), 'dist/conformance/sweep.js')).href)) as typeof SweepModule;
  const input = '/usr/src/linux-config-6.1/config.amd64_none_amd64.xz';
  const out = mkdtempSync(join(tmpdir(), 'kbuildts-sweep-'));
  try {
    const r = await runCase({ series: '6.1', arch: 'x86_64', mode: 'olddefconfig', input }, { out, keep: true });
    expect(r.differing).toEqual([]);
    expect(r).toMatchObject({ identical: true, oracleExit: 0, kbuildtsExit: 0 });
    expect(formatResult(r)).toBe(`6.1 x86_64 olddefconfig of ${input}: identical (C ${(r.oracleMs / 1000).toFixed(1)}s, kbuildts ${(r.kbuildtsMs / 1000).toFixed(1)}s)`);
    // The input was used: Debian's config is modular (an allnoconfig-like run would have no =m).
    const [dir] = readdirSync(join(out, '6.1', 'x86_64'));
    expect(dir).toMatch(/^olddefconfig-config\.amd64_none_amd64\.xz-[0-9a-f]{8}$/);
    const config = readFileSync(join(out, '6.1', 'x86_64', dir, 'kbuildts', '.config'), 'latin1');
    expect(config).toMatch(/^CONFIG_EXT4_FS=m$/m);
    expect(existsSync(join(out, '6.1', 'x86_64', dir, 'kbuildts', '.config.old'))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
