/**
 * Conformance of the Kconfig engine (menu finalisation, evaluation, confdata, conf modes) with
 * the C conf of Linux 6.1 and 6.12 on the real trees: the C conf and kbuildts run at the same
 * time in two fresh object trees, in the same environment (oracleEnvironment: what make gives
 * conf), and every output is compared byte for byte — .config, .config.old, defconfig,
 * include/config/auto.conf and auto.conf.cmd, include/generated/autoconf.h and rustc_cfg, the set
 * of include/config/ stamp files — and so is what conf prints.
 *
 * The matrix (issue #3): for 6.1 and 6.12, arm64 and x86_64: allnoconfig, allyesconfig,
 * allmodconfig, alldefconfig, defconfig, tinyconfig, savedefconfig and syncconfig of the defconfig
 * output, randconfig for 10 seeds (each also a fixed point of olddefconfig), and olddefconfig of
 * Debian's own shipped config for that arch.
 * Then, on arm64, the modes that read an existing .config (a thinned one, with new symbols):
 * olddefconfig, listnewconfig, helpnewconfig, oldconfig with answers on stdin.
 * Small language corners are the goldens of test/golden.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfig } from '../src/kconfig/config.js';
import { compareTrees, debianConfig, oracleEnvironment, oracleTree, runOracle } from '../src/conformance/oracle.js';

const OUTPUTS = ['.config', '.config.old', 'defconfig', 'include/config/auto.conf', 'include/config/auto.conf.cmd',
  'include/generated/autoconf.h', 'include/generated/rustc_cfg', 'include/config/*'];
const SEEDS = ['0x1', '0x2', '0x3', '0x4', '0x5', '0x1234', '0xdeadbeef', '42', '7', '0xffff'];

const base = mkdtempSync(join(tmpdir(), 'kconf-conformance-'));
/** How kbuildts got its finalised tree in each case, per series and arch (frontend-cache.ts). */
const frontEnds = new Map<string, string[]>();
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** How one case runs: the input .config, extra environment, stdin answers. */
interface CaseInput {
  prepare?: (dir: string) => void;
  env?: Record<string, string>;
  input?: string;
}

/**
 * Run `mode` on the `series` tree for `arch` with both tools in fresh object trees (after
 * `prepare` put the same input in each) and expect every output and all printed text to be equal.
 * @returns kbuildts's .config (for cases that build on it)
 */
async function both(series: '6.1' | '6.12', arch: string, mode: string, c: CaseInput = {}): Promise<string> {
  const tree = oracleTree(series);
  const env = { ...oracleEnvironment({ series, arch }), ...(c.env ?? {}) };
  const tag = `${series}-${arch}-${mode}-${Object.values(c.env ?? {}).join('-')}`;
  const a = join(base, `c-${tag}`);
  const b = join(base, `ts-${tag}`);
  for (const d of [a, b]) {
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    c.prepare?.(d);
  }
  // The C conf runs as a child process while kbuildts runs here: both at once.
  const oracle = runOracle({ series, arch, mode, objtree: a, env, fresh: false, input: c.input });
  // The first case of a tree parses (and rewrites the snapshot); the later ones read the
  // snapshot: both ways to the finalised tree are compared with C.
  const key = `${series} ${arch}`;
  const frontEndCache = frontEnds.has(key) ? 'use' : 'refresh';
  const r = runConfig({ mode, srctree: tree.srcDir, objtree: b, arch, exactEnv: env, silent: true, input: c.input, frontEndCache });
  frontEnds.set(key, [...(frontEnds.get(key) ?? []), r.frontEnd]);
  const o = await oracle;
  expect(o.exitCode).toBe(0);
  const report = compareTrees(a, b, OUTPUTS).filter((d) => !d.identical)
    .map((d) => `${d.file}:\n  ${d.firstDiffs.join('\n  ')}`).join('\n');
  expect(report).toBe('');
  expect(r.stderr).toBe(o.stderr.length ? `${o.stderr}\n` : '');
  expect(r.stdout.replace(/\n$/, '')).toBe(o.stdout);
  return readFileSync(join(b, '.config'), 'latin1');
}

/** A .config with every 7th symbol line dropped: those symbols are new to olddefconfig & co. */
function thin(text: string): string {
  let n = 0;
  return text.split('\n').filter((l) => !(/^(# )?CONFIG_/.test(l) && ++n % 7 === 0)).join('\n');
}

for (const series of ['6.1', '6.12'] as const) {
  for (const arch of ['arm64', 'x86_64']) {
    describe(`Linux ${series} ${arch}: kbuildts against the C conf, byte for byte`, () => {
      for (const mode of ['allnoconfig', 'alldefconfig', 'allyesconfig', 'allmodconfig', 'tinyconfig']) {
        test(mode, () => both(series, arch, mode));
      }
      let defconfigOut = '';
      test('defconfig', async () => {
        defconfigOut = await both(series, arch, 'defconfig');
      });
      test('savedefconfig of the defconfig output', () =>
        both(series, arch, 'savedefconfig', { prepare: (d) => writeFileSync(join(d, '.config'), defconfigOut, 'latin1') }));
      test('syncconfig of the defconfig output (no include/ yet)', () =>
        both(series, arch, 'syncconfig', { prepare: (d) => writeFileSync(join(d, '.config'), defconfigOut, 'latin1') }));
      test.each(SEEDS)('randconfig with KCONFIG_SEED=%s, and a fixed point of olddefconfig', async (seed) => {
        const rand = await both(series, arch, 'randconfig', { env: { KCONFIG_SEED: seed } });
        // Every randconfig must be a fixed point: olddefconfig on it changes nothing.
        const d = join(base, `fixed-point-${series}-${arch}-${seed}`);
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, '.config'), rand, 'latin1');
        runConfig({ mode: 'olddefconfig', srctree: oracleTree(series).srcDir, objtree: d, arch, exactEnv: oracleEnvironment({ series, arch }), silent: true });
        expect(readFileSync(join(d, '.config'), 'latin1')).toBe(rand);
      });
      test("olddefconfig of Debian's own config for this arch (linux-config package)", () =>
        both(series, arch, 'olddefconfig', { prepare: (d) => writeFileSync(join(d, '.config'), execFileSync('xz', ['-dc', debianConfig(series, arch)])) }));
      test('the cases after the first took the front-end snapshot (so both paths are compared with C)', () => {
        const seen = frontEnds.get(`${series} ${arch}`) ?? [];
        expect(seen.length).toBeGreaterThan(10);
        expect(seen[0]).toBe('parsed');
        expect(seen.slice(1).filter((f) => f !== 'snapshot')).toEqual([]);
      });
      if (arch !== 'arm64') return;
      test('olddefconfig of the thinned defconfig output', () =>
        both(series, arch, 'olddefconfig', { prepare: (d) => writeFileSync(join(d, '.config'), thin(defconfigOut), 'latin1') }));
      test('listnewconfig of the thinned defconfig output', () =>
        both(series, arch, 'listnewconfig', { prepare: (d) => writeFileSync(join(d, '.config'), thin(defconfigOut), 'latin1') }));
      test('helpnewconfig of the thinned defconfig output', () =>
        both(series, arch, 'helpnewconfig', { prepare: (d) => writeFileSync(join(d, '.config'), thin(defconfigOut), 'latin1') }));
      test('oldconfig of the thinned defconfig output, answering from stdin (help requests included)', () =>
        both(series, arch, 'oldconfig', {
          prepare: (d) => writeFileSync(join(d, '.config'), thin(defconfigOut), 'latin1'),
          input: 'y\nn\nm\n2\n\n?\nyes\nfoo\n3\n1\n'.repeat(30),
        }));
      test('olddefconfig of a .config with CRLF line ends, blank lines and stray text', () =>
        both(series, arch, 'olddefconfig', {
          prepare: (d) => writeFileSync(join(d, '.config'), `\r\n${thin(defconfigOut).split('\n').slice(0, 400).join('\r\n')}\nstray text\n\n`, 'latin1'),
        }));
      test('randconfig with KCONFIG_PROBABILITY=10:20:30 and KCONFIG_SEED=0x99', () =>
        both(series, arch, 'randconfig', { env: { KCONFIG_SEED: '0x99', KCONFIG_PROBABILITY: '10:20:30' } }));
    });
  }
}
