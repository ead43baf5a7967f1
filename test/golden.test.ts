/**
 * Golden tests for Kconfig language corners (issue #3 item 8).
 *
 * Each case under test/fixtures/golden/<case>/ is a small standalone Kconfig tree with a
 * case.json naming the kernel series and modes; expected/<series>/<mode>/ holds what the C conf
 * of that series wrote (scripts/golden-regen.mjs, nothing hand-written). Per case, series and
 * mode this test:
 *
 * 1. runs kbuildts (runConfig) in a fresh temporary object tree with srctree = the case
 *    directory and the same environment the generator gave conf, and compares byte for byte
 *    .config, defconfig, include/config/auto.conf(.cmd), include/generated/autoconf.h and
 *    rustc_cfg, the set of stamp files, conf's warnings (stderr), stdout and the exit status;
 * 2. (when the C conf of the series is set up) regenerates that series/mode with the C conf into
 *    a temporary directory and checks the committed expected/ is still exactly its output.
 *
 * Known kbuildts bugs are listed in KNOWN_FAILING (jest test.failing, so the suite passes while
 * they are open; when a bug is fixed the test starts "failing" and the entry must be removed).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runConfig } from '../src/kconfig/config.js';
import { KconfigError } from '../src/kconfig/model.js';

const HERE = dirname(fileURLToPath(import.meta.url));

interface GoldenCase {
  description: string;
  series: string[];
  modes: string[];
  seriesModes?: Record<string, string[]>;
  allconfig?: string;
  env?: Record<string, string>;
  stdin?: string;
}

/** The generator's exports (scripts/golden-regen.mjs), typed for this test. */
interface Regen {
  GOLDEN_ROOT: string;
  OUTPUT_FILES: [string, string][];
  listCases(): string[];
  loadCase(dir: string): GoldenCase;
  modesFor(c: GoldenCase, series: string): string[];
  goldenEnv(dir: string, c: GoldenCase, mode: string): Record<string, string>;
  prepareObjtree(dir: string, mode: string, objtree: string): void;
  collectOutputs(objtree: string, outDir: string, run: { stdout: string; stderr: string; status: number }): void;
  confFor(series: string): string | null;
  generateCase(dir: string, outRoot?: string): string[];
}
const regen = (await import(pathToFileURL(resolve(HERE, '..', 'scripts', 'golden-regen.mjs')).href)) as Regen;

/** KERNELVERSION given to runConfig per series (only the major.minor selects the semantics). */
const KERNEL_VERSION: Record<string, string> = { '6.1': '6.1.0', '6.12': '6.12.0' };

/**
 * `<case>/<series>/<mode>` → the kbuildts bug that makes it fail (see the report of issue #3
 * item 8). Remove an entry when its bug is fixed.
 */
const KNOWN_FAILING: Record<string, string> = {
};

/**
 * Whole series kbuildts does not implement yet (`<series>` → reason). Empty: 6.1 and 6.12 are
 * both implemented (runConfig follows the tree's version); a failing case goes to KNOWN_FAILING.
 */
const KNOWN_FAILING_SERIES: Record<string, string> = {
};

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

const read = (p: string): string => (existsSync(p) ? readFileSync(p, 'latin1') : '<missing>');

/**
 * Every file of two expected/<series>/<mode>/ directories compared; "" when identical.
 * `skip` names files left out (stderr.txt of a Kconfig error, see the test).
 */
function compareDirs(expDir: string, gotDir: string, skip: string[] = []): string {
  const names = [...new Set([...readdirSync(expDir), ...readdirSync(gotDir)])].filter((n) => !skip.includes(n)).sort();
  const out: string[] = [];
  for (const n of names) {
    const e = read(join(expDir, n));
    const g = read(join(gotDir, n));
    if (e !== g) out.push(`${n}: ${firstDiff(e, g)}`);
  }
  return out.join('\n');
}

const cases = regen.listCases();
/**
 * Case/series pairs that have run once: the first mode of a pair parses (and rewrites the
 * front-end snapshot), the later ones may read the snapshot, so both are compared with C.
 */
const parsedOnce = new Set<string>();

test('the golden set has its cases', () => {
  expect(cases.length).toBeGreaterThanOrEqual(15);
});

for (const name of cases) {
  const dir = join(regen.GOLDEN_ROOT, name);
  const c = regen.loadCase(dir);
  describe(`${name}: ${c.description}`, () => {
    for (const series of c.series) {
      for (const mode of regen.modesFor(c, series)) {
        const key = `${name}/${series}/${mode}`;
        const bug = KNOWN_FAILING[key] ?? KNOWN_FAILING_SERIES[series];
        const t = bug ? test.failing : test;
        t(`kbuildts ${series} ${mode} = C conf${bug ? ` (known bug: ${bug})` : ''}`, () => {
          const exp = join(dir, 'expected', series, mode);
          expect(existsSync(join(exp, 'status.txt'))).toBe(true);
          const work = mkdtempSync(join(tmpdir(), 'kgolden-ts-'));
          const got = mkdtempSync(join(tmpdir(), 'kgolden-out-'));
          try {
            const obj = join(work, 'obj');
            regen.prepareObjtree(dir, mode, obj);
            let stdout = '';
            let stderr = '';
            let status = 0;
            let error = '';
            let thrown: unknown;
            const frontEndCache = parsedOnce.has(`${name}/${series}`) ? 'use' : 'refresh';
            parsedOnce.add(`${name}/${series}`);
            try {
              runConfig({
                frontEndCache, mode, srctree: dir, objtree: obj, arch: 'arm64', kernelVersion: KERNEL_VERSION[series],
                exactEnv: regen.goldenEnv(dir, c, mode), silent: true, input: c.stdin ?? '',
                defconfigFile: mode === 'savedefconfig' ? 'defconfig' : mode === 'defconfig' ? 'input.config' : undefined,
                onStdout: (s) => { stdout += s; }, onStderr: (s) => { stderr += s; },
              });
            } catch (e) {
              status = 1;
              thrown = e;
              error = `kbuildts threw: ${(e as Error).message}\n`;
            }
            regen.collectOutputs(obj, join(got, 'out'), { stdout, stderr, status });
            // A Kconfig error: conf prints each error as `file:line: text` (and goes on parsing
            // after a syntax error), kbuildts throws one KconfigError with `file:line:col: text`
            // (the CLI's format). The status and the (absent) outputs are compared as usual;
            // for stderr, what kbuildts printed before the error must be what conf printed
            // first, and the error must be at a location conf reported.
            const expStatus = readFileSync(join(exp, 'status.txt'), 'utf8');
            const skip: string[] = [];
            if (expStatus === '1\n' && thrown instanceof KconfigError) {
              const cErr = readFileSync(join(exp, 'stderr.txt'), 'latin1');
              const cLocations = [...cErr.matchAll(/^([^\s:]+):(\d+): /gm)].map((m) => `${m[1]}:${m[2]}`);
              // 6.12 prints a recursive dependency without a `file:line: ` prefix: then the
              // whole of what kbuildts printed must be exactly conf's stderr.
              if (cLocations.length === 0) {
                if (cErr !== stderr) throw new Error(`${key}: stderr differs\n${firstDiff(cErr, stderr)}`);
              } else expect(cLocations).toContain(`${thrown.file}:${thrown.line}`);
              if (!cErr.startsWith(stderr)) throw new Error(`${key}: stderr before the error differs\n${firstDiff(cErr, stderr)}`);
              skip.push('stderr.txt');
            }
            const diffs = compareDirs(exp, join(got, 'out'), skip);
            if (diffs) throw new Error(`${key}: kbuildts differs from the C conf\n${error}${diffs}`);
          } finally {
            rmSync(work, { recursive: true, force: true });
            rmSync(got, { recursive: true, force: true });
          }
        });
      }
    }
  });
}

describe('the committed expected/ files are what the current C conf writes', () => {
  for (const name of cases) {
    const dir = join(regen.GOLDEN_ROOT, name);
    const c = regen.loadCase(dir);
    test(`${name} (${c.series.join(', ')})`, () => {
      const out = mkdtempSync(join(tmpdir(), 'kgolden-regen-'));
      try {
        const done = regen.generateCase(dir, out);
        const committed = c.series.flatMap((s) => readdirSync(join(dir, 'expected', s)).map((m) => `${s}/${m}`)).sort();
        expect(committed).toEqual([...done].sort());
        const diffs = done.map((sm) => compareDirs(join(dir, 'expected', sm), join(out, sm))).filter((d) => d).join('\n');
        if (diffs) throw new Error(`${name}: expected/ is stale (run node scripts/golden-regen.mjs ${name})\n${diffs}`);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
