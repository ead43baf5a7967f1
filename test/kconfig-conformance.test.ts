/**
 * Conformance of the Kconfig engine (menu finalisation, evaluation, confdata, conf modes) with
 * the C conf of Linux 6.1 and 6.12 on the real trees: the C conf and kbuildts run in two fresh
 * object trees in the same environment, every output compared byte for byte (stamp file set
 * included). Small language corners are the goldens of test/golden.test.ts.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConfig } from '../src/kconfig/config.js';
import { KconfigError } from '../src/kconfig/model.js';
import { compareTrees, oracleEnvironment, oracleTree, runOracle } from '../src/conformance/oracle.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** First differing lines of two texts, for failure messages. */
function firstDiff(expected: string, actual: string, max = 8): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `first difference at line ${i + 1}:\n` +
        a.slice(i, i + max).map((l) => `- ${l}`).join('\n') + '\n' + b.slice(i, i + max).map((l) => `+ ${l}`).join('\n');
    }
  }
  return '(identical)';
}

function expectSameText(what: string, expected: string, actual: string): void {
  if (expected !== actual) throw new Error(`${what} differs from the C conf's\n${firstDiff(expected, actual)}`);
}


describe('Linux 6.1 (arm64 unless named): kbuildts against the C conf, byte for byte', () => {
  const base = mkdtempSync(join(tmpdir(), 'kconf-conf-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  /**
   * Run `mode` with both tools in fresh object trees (after `prepare` put the same input in
   * each) and compare every output; returns the comparison for reporting.
   */
  async function both(mode: string, prepare?: (dir: string) => void, extraEnv: Record<string, string> = {}, input?: string, arch = 'arm64'): Promise<void> {
    const tree = oracleTree('6.1');
    const env = { ...oracleEnvironment({ series: '6.1', arch }), ...extraEnv };
    const a = join(base, `c-${arch}-${mode}`);
    const b = join(base, `ts-${arch}-${mode}`);
    for (const d of [a, b]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
      prepare?.(d);
    }
    // The C conf runs as a child process while kbuildts runs here: both at once.
    const oracle = runOracle({ series: '6.1', arch, mode, objtree: a, env, fresh: false, input });
    const r = runConfig({ mode, srctree: tree.srcDir, objtree: b, arch, exactEnv: env, silent: true, input });
    const o = await oracle;
    expect(o.exitCode).toBe(0);
    const files = ['.config', '.config.old', 'defconfig', 'include/config/auto.conf', 'include/config/auto.conf.cmd',
      'include/generated/autoconf.h', 'include/generated/rustc_cfg', 'include/config/*'];
    const diffs = compareTrees(a, b, files).filter((c) => !c.identical);
    const report = diffs.map((d) => `${d.file}:\n  ${d.firstDiffs.join('\n  ')}`).join('\n');
    expect(report).toBe('');
    // What conf printed (warnings, listnewconfig output) must match too.
    expect(r.stderr).toBe(o.stderr.length ? `${o.stderr}\n` : '');
    expect(r.stdout.replace(/\n$/, '')).toBe(o.stdout);
  }

  test('allnoconfig', () => both('allnoconfig'));
  test('alldefconfig', () => both('alldefconfig'));
  test('defconfig (arch/arm64/configs/defconfig)', () => both('defconfig'));

  let defconfigOut = '';
  test('olddefconfig of a defconfig output with every 7th symbol line removed', async () => {
    const tree = oracleTree('6.1');
    const seed = join(base, 'seed');
    rmSync(seed, { recursive: true, force: true });
    const o = await runOracle({ series: '6.1', arch: 'arm64', mode: 'defconfig', objtree: seed });
    expect(o.exitCode).toBe(0);
    defconfigOut = readFileSync(join(seed, '.config'), 'utf8');
    let n = 0;
    const thinned = defconfigOut.split('\n').filter((l) => !(/^(# )?CONFIG_/.test(l) && ++n % 7 === 0)).join('\n');
    expect(thinned.length).toBeLessThan(defconfigOut.length);
    await both('olddefconfig', (d) => writeFileSync(join(d, '.config'), thinned));
    void tree;
  });

  test('listnewconfig of the same thinned configuration', async () => {
    let n = 0;
    const thinned = defconfigOut.split('\n').filter((l) => !(/^(# )?CONFIG_/.test(l) && ++n % 7 === 0)).join('\n');
    await both('listnewconfig', (d) => writeFileSync(join(d, '.config'), thinned));
  });

  test('savedefconfig of the defconfig output', async () => {
    await both('savedefconfig', (d) => writeFileSync(join(d, '.config'), defconfigOut));
  });

  test('syncconfig of the defconfig output (no include/ yet)', async () => {
    await both('syncconfig', (d) => writeFileSync(join(d, '.config'), defconfigOut));
  });

  test('oldconfig of the thinned configuration, answering from stdin (help requests included)', async () => {
    let n = 0;
    const thinned = defconfigOut.split('\n').filter((l) => !(/^(# )?CONFIG_/.test(l) && ++n % 7 === 0)).join('\n');
    const answers = 'y\nn\nm\n2\n\n?\nyes\nfoo\n3\n1\n'.repeat(30);
    await both('oldconfig', (d) => writeFileSync(join(d, '.config'), thinned), {}, answers);
  });

  test('helpnewconfig of the thinned configuration', async () => {
    let n = 0;
    const thinned = defconfigOut.split('\n').filter((l) => !(/^(# )?CONFIG_/.test(l) && ++n % 7 === 0)).join('\n');
    await both('helpnewconfig', (d) => writeFileSync(join(d, '.config'), thinned));
  });

  test('tinyconfig (allnoconfig with tiny-base.config, merge of tiny.config, olddefconfig)', () => both('tinyconfig'));
  test('allyesconfig', () => both('allyesconfig'));
  test('allmodconfig', () => both('allmodconfig'));
  test('randconfig with KCONFIG_SEED=0x1234', () => both('randconfig', undefined, { KCONFIG_SEED: '0x1234' }));
  test('x86_64 defconfig (x86_64_defconfig, native compiler)', () => both('defconfig', undefined, {}, undefined, 'x86_64'));
});

describe('Linux 6.12 (arm64 unless named): kbuildts against the C conf, byte for byte', () => {
  const base = mkdtempSync(join(tmpdir(), 'kconf-conf612-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  /** As the 6.1 `both`: run `mode` with both tools in fresh object trees and compare everything. */
  async function both(mode: string, prepare?: (dir: string) => void, extraEnv: Record<string, string> = {}, input?: string, arch = 'arm64'): Promise<void> {
    const tree = oracleTree('6.12');
    const env = { ...oracleEnvironment({ series: '6.12', arch }), ...extraEnv };
    const tag = `${arch}-${mode}${extraEnv.KCONFIG_SEED ?? ''}`;
    const a = join(base, `c-${tag}`);
    const b = join(base, `ts-${tag}`);
    for (const d of [a, b]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
      prepare?.(d);
    }
    const oracle = runOracle({ series: '6.12', arch, mode, objtree: a, env, fresh: false, input });
    const r = runConfig({ mode, srctree: tree.srcDir, objtree: b, arch, exactEnv: env, silent: true, input });
    const o = await oracle;
    expect(o.exitCode).toBe(0);
    const files = ['.config', '.config.old', 'defconfig', 'include/config/auto.conf', 'include/config/auto.conf.cmd',
      'include/generated/autoconf.h', 'include/generated/rustc_cfg', 'include/config/*'];
    const diffs = compareTrees(a, b, files).filter((c) => !c.identical);
    const report = diffs.map((d) => `${d.file}:\n  ${d.firstDiffs.join('\n  ')}`).join('\n');
    expect(report).toBe('');
    expect(r.stderr).toBe(o.stderr.length ? `${o.stderr}\n` : '');
    expect(r.stdout.replace(/\n$/, '')).toBe(o.stdout);
  }

  test('allnoconfig', () => both('allnoconfig'));
  test('alldefconfig', () => both('alldefconfig'));
  test('defconfig (arch/arm64/configs/defconfig)', () => both('defconfig'));
  test('allyesconfig', () => both('allyesconfig'));
  test('allmodconfig (choice members capped by their menu: USB_ROLE_SWITCH=m)', () => both('allmodconfig'));

  let defconfigOut = '';
  const thinned = (): string => {
    let n = 0;
    return defconfigOut.split('\n').filter((l) => !(/^(# )?CONFIG_/.test(l) && ++n % 7 === 0)).join('\n');
  };
  test('olddefconfig of a defconfig output with every 7th symbol line removed', async () => {
    const seed = join(base, 'seed');
    rmSync(seed, { recursive: true, force: true });
    const o = await runOracle({ series: '6.12', arch: 'arm64', mode: 'defconfig', objtree: seed });
    expect(o.exitCode).toBe(0);
    defconfigOut = readFileSync(join(seed, '.config'), 'utf8');
    expect(thinned().length).toBeLessThan(defconfigOut.length);
    await both('olddefconfig', (d) => writeFileSync(join(d, '.config'), thinned()));
  });
  test('savedefconfig of the defconfig output (choice defaults left out)', () =>
    both('savedefconfig', (d) => writeFileSync(join(d, '.config'), defconfigOut)));
  test('listnewconfig of the thinned configuration', () => both('listnewconfig', (d) => writeFileSync(join(d, '.config'), thinned())));
  test('helpnewconfig of the thinned configuration', () => both('helpnewconfig', (d) => writeFileSync(join(d, '.config'), thinned())));
  test('syncconfig of the thinned configuration (no include/ yet)', () => both('syncconfig', (d) => writeFileSync(join(d, '.config'), thinned())));
  test('oldconfig of the thinned configuration, answering from stdin', () =>
    both('oldconfig', (d) => writeFileSync(join(d, '.config'), thinned()), {}, 'y\nn\nm\n2\n\n?\nyes\nfoo\n3\n1\n'.repeat(30)));
  test('olddefconfig of a .config with CRLF line ends, blank lines and stray text', () => {
    const odd = `\r\n${defconfigOut.split('\n').slice(0, 400).join('\r\n')}\n\nstray text\nCONFIG_NO_EQUALS\n`;
    return both('olddefconfig', (d) => writeFileSync(join(d, '.config'), odd));
  });
  test('tinyconfig', () => both('tinyconfig'));
  for (const seed of ['0x1', '0x2', '0x3', '0x4', '0x5', '0x1234', '0xdeadbeef', '42', '7', '0xffff']) {
    test(`randconfig with KCONFIG_SEED=${seed}`, () => both('randconfig', undefined, { KCONFIG_SEED: seed }));
  }
  test('randconfig with KCONFIG_PROBABILITY=10:20:30 and KCONFIG_SEED=0x99', () =>
    both('randconfig', undefined, { KCONFIG_SEED: '0x99', KCONFIG_PROBABILITY: '10:20:30' }));
  test('x86_64 defconfig (x86_64_defconfig: INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF chosen)', () => both('defconfig', undefined, {}, undefined, 'x86_64'));
  test('x86_64 allmodconfig', () => both('allmodconfig', undefined, {}, undefined, 'x86_64'));
  const debian = '/usr/src/linux-config-6.12/config.amd64_none_amd64.xz';
  test("x86_64 olddefconfig of Debian's amd64 6.12 config (linux-config-6.12, installed by setup)", () =>
    both('olddefconfig', (d) => writeFileSync(join(d, '.config'), execFileSync('xz', ['-dc', debian])), {}, undefined, 'x86_64'));
});
