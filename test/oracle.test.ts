/**
 * The conformance oracle itself: the kconfig-dump tool builds against the kernel's own
 * scripts/kconfig and reports the known sizes of the arm64 trees, and runOracle() runs conf
 * exactly as make did when the setup script produced the reference outputs (a determinism check
 * of the harness: same inputs, byte-identical outputs).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { availableSeries, buildDumpTool, compareTrees, dumpOracle, oracleTree, runOracle } from '../src/conformance/oracle.js';
import { cacheDir } from '../src/runner/cache.js';

const series = availableSeries();
const scratch = mkdtempSync(join(tmpdir(), 'kbuildts-oracle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Sizes measured with the C tool (see /work/shared/notes/kconfig-oracle-facts.md). */
const expected: Record<string, { files: number; opened: number; symbols: number; choices: number; shell: number }> = {
  '6.1': { files: 1486, opened: 1488, symbols: 16365, choices: 72, shell: 95 },
  '6.12': { files: 1602, opened: 1602, symbols: 17573, choices: 74, shell: 107 },
};

describe('kconfig-dump (6.1, arm64)', () => {
  let dump: Awaited<ReturnType<typeof dumpOracle>>;

  beforeAll(async () => {
    expect(series).toContain('6.1');
    dump = await dumpOracle({ series: '6.1', arch: 'arm64' });
  });

  test('builds once and is reused', async () => {
    const exe = await buildDumpTool('6.1');
    expect(exe).toBe(join(cacheDir(), 'oracle', '6.1-dump', 'kconfig-dump'));
    expect(existsSync(exe)).toBe(true);
  });

  test('counts: 1,486 files, 16,365 symbols, 72 choices, 95 shell probes', () => {
    const e = expected['6.1'];
    expect(dump.counts.files).toBe(e.files);
    // Every `source` statement opens its file again: 1,487 of them plus the top Kconfig.
    expect(dump.counts.sources + 1).toBe(e.opened);
    expect(dump.counts.symbols).toBe(e.symbols);
    expect(dump.counts.choices).toBe(e.choices);
    expect(dump.counts.shell).toBe(e.shell);
  });

  test('the format is complete: one record per table symbol in both orders, one node per menu', () => {
    const lines = dump.text.split('\n');
    expect(lines[0]).toBe('kconfig-dump 1');
    expect(lines[lines.length - 2]).toBe('end');
    const hashAt = lines.indexOf('section hash');
    const menuAt = lines.indexOf('section menu');
    expect(hashAt).toBeGreaterThan(0);
    expect(menuAt).toBeGreaterThan(hashAt);
    const symsIn = (from: number, to: number): string[] => lines.slice(from, to).filter((l) => l.startsWith('sym '));
    const hashSyms = symsIn(hashAt, menuAt);
    const menuSyms = symsIn(menuAt, lines.length);
    expect(hashSyms.length).toBe(dump.counts['symbols-all']);
    expect([...menuSyms].sort()).toEqual([...hashSyms].sort());
    expect(lines.filter((l) => l.startsWith('node ')).length).toBe(dump.counts.menus);
    expect(lines.filter((l) => l.startsWith('file ')).length).toBe(dump.counts.files);
    expect(lines).toContain('file Kconfig');
    expect(lines).toContain('node 0 root - ?:0 flags 0x0');
    // The C printer's parenthesisation, as conf --help would show it.
    expect(dump.text).toMatch(/^sym ARM64 bool /m);
  });

  test('--config prints the values conf computes', async () => {
    const run = await runOracle({ series: '6.1', arch: 'arm64', mode: 'allnoconfig', objtree: join(scratch, 'values') });
    expect(run.exitCode).toBe(0);
    const d = await dumpOracle({ series: '6.1', arch: 'arm64', objtree: run.objtree, sections: ['values'], config: '.config' });
    expect(d.text).toMatch(/^value ARM64 bool tri y str "y" visible n flags /m);
    expect(d.text).toMatch(/^value MODULES bool tri n str "n" visible y flags [A-Z_|]*DEF_USER[A-Z_|]* user n$/m);
  });
});

describe('runOracle (6.1, arm64)', () => {
  const reference = join(cacheDir(), 'oracle', '6.1-build');

  test('allnoconfig reproduces the reference outputs byte for byte', async () => {
    expect(existsSync(join(reference, 'include', 'config', 'auto.conf'))).toBe(true);
    const run = await runOracle({ series: '6.1', arch: 'arm64', mode: 'allnoconfig', objtree: join(scratch, 'allno') });
    expect(run.exitCode).toBe(0);
    expect(run.written).toEqual(expect.arrayContaining(['.config', 'include/config/auto.conf', 'include/config/auto.conf.cmd',
      'include/generated/autoconf.h', 'include/generated/rustc_cfg']));
    const cmp = compareTrees(reference, run.objtree);
    expect(cmp.filter((c) => !c.identical)).toEqual([]);
    expect(cmp.map((c) => c.file)).toContain('include/config/*');
  });

  test('alldefconfig twice in fresh directories gives identical trees; rerun in place writes nothing', async () => {
    const a = await runOracle({ series: '6.1', arch: 'arm64', mode: 'alldefconfig', objtree: join(scratch, 'def-a') });
    const b = await runOracle({ series: '6.1', arch: 'arm64', mode: 'alldefconfig', objtree: join(scratch, 'def-b') });
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(0);
    expect(compareTrees(a.objtree, b.objtree).filter((c) => !c.identical)).toEqual([]);
    // conf writes auto.conf only when it is missing (conf_write_autoconf(0)), and 6.1's
    // conf_write() leaves an unchanged .config alone (is_same()): a rerun in place writes nothing.
    const again = await runOracle({ series: '6.1', arch: 'arm64', mode: 'alldefconfig', objtree: a.objtree, fresh: false });
    expect(again.exitCode).toBe(0);
    expect(again.written).toEqual([]);
    // And a different mode shows up as differences, with readable first lines.
    const no = await runOracle({ series: '6.1', arch: 'arm64', mode: 'allnoconfig', objtree: join(scratch, 'def-c') });
    const diff = compareTrees(a.objtree, no.objtree);
    const dotconfig = diff.find((c) => c.file === '.config')!;
    expect(dotconfig.identical).toBe(false);
    expect(dotconfig.firstDiffs.some((l) => /^[-+](CONFIG_|# CONFIG_)/.test(l))).toBe(true);
  });
});

describe('runOracle vs make (6.1, arm64)', () => {
  test('tinyconfig (allnoconfig + tiny-base.config, merge_config.sh tiny.config, olddefconfig) as `make tinyconfig`', async () => {
    const src = oracleTree('6.1').srcDir;
    const viaMake = join(scratch, 'make-tiny');
    const [made, run] = await Promise.all([
      execa('make', ['-s', '-C', src, `O=${viaMake}`, 'ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-', 'tinyconfig'], { reject: false, all: true }),
      runOracle({ series: '6.1', arch: 'arm64', mode: 'tinyconfig', objtree: join(scratch, 'oracle-tiny') }),
    ]);
    expect(made.exitCode).toBe(0);
    expect(run.exitCode).toBe(0);
    expect(run.commands.map((c) => c.slice(1).join(' '))).toEqual([
      '-s --allnoconfig Kconfig',
      `${src}/scripts/kconfig/merge_config.sh -m .config ${src}/kernel/configs/tiny.config`,
      '-s --olddefconfig Kconfig',
    ]);
    expect(compareTrees(viaMake, run.objtree).filter((c) => !c.identical)).toEqual([]);
  });
});

describe('kconfig-dump (6.12, arm64)', () => {
  test('counts: 1,602 files, 17,573 symbols, 74 choices, 107 shell probes', async () => {
    const d = await dumpOracle({ series: '6.12', arch: 'arm64', sections: ['counts'] });
    const e = expected['6.12'];
    expect(d.counts.files).toBe(e.files);
    expect(d.counts.sources + 1).toBe(e.opened);
    expect(d.counts.symbols).toBe(e.symbols);
    expect(d.counts.choices).toBe(e.choices);
    expect(d.counts.shell).toBe(e.shell);
  });

  test('runOracle allnoconfig reproduces the reference outputs of `make allnoconfig`', async () => {
    const reference = join(cacheDir(), 'oracle', '6.12-build');
    expect(existsSync(join(reference, 'include', 'config', 'auto.conf'))).toBe(true);
    const run = await runOracle({ series: '6.12', arch: 'arm64', mode: 'allnoconfig', objtree: join(scratch, 'allno-6.12') });
    expect(run.exitCode).toBe(0);
    expect(compareTrees(reference, run.objtree).filter((c) => !c.identical)).toEqual([]);
  });
});
