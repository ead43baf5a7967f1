/**
 * The wider conformance sweep's plan (`npm run conformance`, src/conformance/sweep.ts): which
 * ARCHes it knows, the compiler each runs with, and the cases it makes of a real tree. The sweep
 * itself runs outside the tests (673 cases with every compiler of `setup.sh --sweep`); CI's
 * conformance runs are test/kconfig-conformance.test.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SWEEP_ARCHES, SWEEP_MODES, sweepCases } from '../src/conformance/sweep.js';
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
  expect(sweepCases(['6.1'], ['sparc'], ['allnoconfig'])).toEqual([{ series: '6.1', arch: 'sparc', mode: 'allnoconfig' }]);
});

test('randconfig cases: one per KCONFIG_SEED after the other targets; never unseeded', () => {
  expect(sweepCases(['6.1'], ['riscv'], ['randconfig'], ['1', '0x2a'])).toEqual([
    { series: '6.1', arch: 'riscv', mode: 'randconfig', seed: '1' },
    { series: '6.1', arch: 'riscv', mode: 'randconfig', seed: '0x2a' },
  ]);
  expect(sweepCases(['6.1'], ['riscv'], ['allnoconfig'], ['7']).map((c) => [c.mode, c.seed])).toEqual([
    ['allnoconfig', undefined],
    ['randconfig', '7'],
  ]);
  const all = sweepCases(['6.1'], ['riscv'], undefined, ['3']);
  expect(all[all.length - 1]).toEqual({ series: '6.1', arch: 'riscv', mode: 'randconfig', seed: '3' });
  expect(all.filter((c) => c.mode === 'randconfig')).toHaveLength(1);
  expect(() => sweepCases(['6.1'], ['riscv'], ['randconfig'])).toThrow(/--seeds/);
});
