/**
 * The front-end snapshot (src/kconfig/frontend-cache.ts) through runConfig: a second run on the
 * same inputs reads it and gives the same files and the same printed text (`$(info)`,
 * `$(warning-if)`); a changed input of any kind (a sourced file's bytes, an environment variable
 * the Kconfig reads, set or unset, a file of the same name in the object tree, a damaged
 * snapshot) makes it parse again; KBUILDTS_FRONTEND_CACHE=0 and 'off' never read it.
 * (The conformance matrix compares both paths with the C conf on the real trees.)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfig, type RunConfigOptions, type RunConfigResult } from '../src/kconfig/config.js';
import { useContext } from '../src/kconfig/evaluate.js';
import { loadSession } from '../src/tui/session.js';

let root: string;
let tree: string;
const saved = { cache: process.env.KBUILDTS_CACHE, off: process.env.KBUILDTS_FRONTEND_CACHE };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kbuildts-frontend-'));
  process.env.KBUILDTS_CACHE = join(root, 'cache'); // snapshots, probe and parse caches of this test only
  delete process.env.KBUILDTS_FRONTEND_CACHE;
  tree = join(root, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  writeOld(join(tree, 'Kconfig'), [
    'mainmenu "Snapshot test"',
    'VAL := $(shell,echo 42)',
    '$(info,parsing with VAL=$(VAL))',
    '$(warning-if,y,a warning from the parse)',
    'config A',
    '\tbool "A"',
    '\tdefault y',
    'source "sub/Kconfig"',
    'config FROM_ENV',
    '\tstring',
    '\tdefault "$(SNAP_TEST_VAR)"',
    'config FROM_KCONFIG_VAR',
    '\tstring',
    '\tdefault "$(KCONFIG_SNAP_TEST)"',
    '',
  ].join('\n'));
  writeOld(join(tree, 'sub/Kconfig'), 'config C\n\tint "C"\n\tdefault 7\n\tdepends on A\n');
});

afterAll(() => {
  if (saved.cache === undefined) delete process.env.KBUILDTS_CACHE;
  else process.env.KBUILDTS_CACHE = saved.cache;
  if (saved.off !== undefined) process.env.KBUILDTS_FRONTEND_CACHE = saved.off;
  rmSync(root, { recursive: true, force: true });
});

/**
 * Write a file with an mtime a minute ago: a file modified less than 2 s before a parse makes
 * that run write no snapshot (tested last).
 */
function writeOld(path: string, text: string): void {
  writeFileSync(path, text);
  const t = new Date(Date.now() - 60_000);
  utimesSync(path, t, t);
}

let runs = 0;
/** alldefconfig in a fresh object tree (or `objtree`); @returns the result and the .config text */
function run(env: Record<string, string> = {}, extra: Partial<RunConfigOptions> = {}, objtree?: string): RunConfigResult & { config: string } {
  const obj = objtree ?? join(root, `obj-${runs++}`);
  mkdirSync(obj, { recursive: true });
  const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env };
  const r = runConfig({ mode: 'alldefconfig', srctree: tree, objtree: obj, arch: 'arm64', env: base, ...extra });
  return { ...r, config: readFileSync(join(obj, '.config'), 'latin1') };
}

/** Every file under dir (relative path -> bytes as latin1). */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]) {
    try {
      out[f] = readFileSync(join(dir, f), 'latin1');
    } catch {
      // a directory
    }
  }
  return out;
}

test('the second run reads the snapshot and writes and prints exactly what the first did', () => {
  const a = join(root, 'same-a');
  const b = join(root, 'same-b');
  const first = run({}, {}, a);
  const second = run({}, {}, b);
  expect(first.frontEnd).toBe('parsed');
  expect(second.frontEnd).toBe('snapshot');
  expect(first.stdout).toContain('parsing with VAL=42\n');
  expect(first.stderr).toContain('Kconfig:4: a warning from the parse\n');
  expect(second.stdout).toBe(first.stdout);
  expect(second.stderr).toBe(first.stderr);
  expect(files(b)).toEqual(files(a));
  expect(first.config).toMatch(/^CONFIG_C=7$/m);
  expect(readdirSync(join(process.env.KBUILDTS_CACHE!, 'frontend')).filter((f) => f.endsWith('.snap')).length).toBeGreaterThan(0);
  // The stage times say which stages ran: the parse, finalisation and snapshot write (after the
  // look for a snapshot), or the snapshot read.
  const ran = (r: RunConfigResult): string[] => r.stages.flatMap((s) => (['snapshot', 'parse', 'finalize', 'save', 'mode'] as const).filter((k) => s[k] > 0));
  expect(first.stages.map((s) => s.from)).toEqual(['parsed']);
  expect(ran(first).filter((k) => k !== 'snapshot')).toEqual(['parse', 'finalize', 'save', 'mode']);
  expect(second.stages.map((s) => s.from)).toEqual(['snapshot']);
  expect(ran(second)).toEqual(['snapshot', 'mode']);
});

test('the codec part of a snapshot starts at a multiple of 4 (its int32 tables are read in place)', () => {
  const dir = join(process.env.KBUILDTS_CACHE!, 'frontend');
  const snaps = readdirSync(dir).filter((f) => f.endsWith('.snap'));
  expect(snaps.length).toBeGreaterThan(0);
  for (const f of snaps) expect((4 + readFileSync(join(dir, f)).readUInt32LE(0)) % 4).toBe(0);
});

test('the interactive front ends (loadSession) read the same snapshot, with the .config applied', () => {
  const obj = join(root, 'session');
  mkdirSync(obj, { recursive: true });
  writeFileSync(join(obj, '.config'), 'CONFIG_A=y\nCONFIG_C=12\n');
  const quiet = { stdout: () => {}, stderr: () => {} };
  try {
    const s = loadSession({ srctree: tree, objtree: obj, arch: 'arm64', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, ...quiet });
    expect(s.frontEnd).toBe('snapshot');
    const c = s.ctx.tree.byName.get('C')!;
    expect(c.def[0].val).toBe('12'); // S_DEF_USER from the .config
    // Nothing selects or implies A or C: one shared empty rev_dep/implied (frontend-cache.ts emptyDepSharer).
    const a = s.ctx.tree.byName.get('A')!;
    expect(a.rev_dep).toBe(c.rev_dep);
    expect(a.implied).toBe(c.rev_dep);
    expect(c.rev_dep).toEqual({ expr: null, tri: 0 });
  } finally {
    useContext(null);
  }
});

test('a changed sourced file is parsed again', () => {
  expect(run().frontEnd).toBe('snapshot');
  writeOld(join(tree, 'sub/Kconfig'), 'config C\n\tint "C"\n\tdefault 8\n\tdepends on A\n');
  const r = run();
  expect(r.frontEnd).toBe('parsed');
  expect(r.config).toMatch(/^CONFIG_C=8$/m);
  expect(run().frontEnd).toBe('snapshot');
});

/**
 * Run with `variable` unset, set to each value (twice), then unset again, and expect the value in
 * the .config line of `symbol` and how the front end was had ('parsed' or 'snapshot') each time.
 */
function envSteps(variable: string, symbol: string, steps: [value: string | undefined, frontEnd: string][]): void {
  for (const [value, frontEnd] of steps) {
    const r = run(value === undefined ? {} : { [variable]: value });
    expect({ value, frontEnd: r.frontEnd, line: r.config.split('\n').find((l) => l.startsWith(`CONFIG_${symbol}=`)) })
      .toEqual({ value, frontEnd, line: `CONFIG_${symbol}="${value ?? ''}"` });
  }
}

test('an environment variable the Kconfig reads: set, changed or unset, gives the tree of those inputs', () => {
  envSteps('SNAP_TEST_VAR', 'FROM_ENV', [
    [undefined, 'snapshot'],
    ['hello', 'parsed'],
    ['hello', 'snapshot'],
    ['world', 'parsed'],
    // Unset again: the snapshot of the first environment (another probe-cache key) is still valid.
    [undefined, 'snapshot'],
  ]);
});

test('a variable outside the probe-cache key (KCONFIG_*) that the Kconfig reads is checked in the snapshot', () => {
  // Looked up and unset when the snapshot was made: once set, the same key, so the snapshot's own check.
  envSteps('KCONFIG_SNAP_TEST', 'FROM_KCONFIG_VAR', [
    [undefined, 'snapshot'],
    ['one', 'parsed'],
    ['one', 'snapshot'],
    ['two', 'parsed'],
    [undefined, 'parsed'],
  ]);
});

test('a file of the same name in the object tree (found first, as conf does) is parsed again', () => {
  expect(run().frontEnd).toBe('snapshot');
  const obj = join(root, 'shadowed');
  mkdirSync(join(obj, 'sub'), { recursive: true });
  writeOld(join(obj, 'sub/Kconfig'), 'config C\n\tint "C"\n\tdefault 99\n\tdepends on A\n');
  const r = run({}, {}, obj);
  expect(r.frontEnd).toBe('parsed');
  expect(r.config).toMatch(/^CONFIG_C=99$/m);
});

test('a damaged snapshot is ignored and replaced', () => {
  run(); // (the snapshot of the last test was made with the object tree's sub/Kconfig)
  expect(run().frontEnd).toBe('snapshot');
  const dir = join(process.env.KBUILDTS_CACHE!, 'frontend');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.snap'))) truncateSync(join(dir, f), 100);
  const r = run();
  expect(r.frontEnd).toBe('parsed');
  expect(r.config).toMatch(/^CONFIG_C=8$/m);
  expect(run().frontEnd).toBe('snapshot');
});

test("KBUILDTS_FRONTEND_CACHE=0 and frontEndCache 'off' parse every time; 'refresh' parses and rewrites", () => {
  expect(run({}, { frontEndCache: 'off' }).frontEnd).toBe('parsed');
  expect(run({}, { frontEndCache: 'refresh' }).frontEnd).toBe('parsed');
  expect(run().frontEnd).toBe('snapshot');
  process.env.KBUILDTS_FRONTEND_CACHE = '0';
  try {
    expect(run().frontEnd).toBe('parsed');
    expect(run().frontEnd).toBe('parsed');
  } finally {
    delete process.env.KBUILDTS_FRONTEND_CACHE;
  }
});

test('a file modified just before the parse: no snapshot is written, and a same-size edit with the old mtime is still seen', () => {
  expect(run().frontEnd).toBe('snapshot');
  const sub = join(tree, 'sub/Kconfig');
  writeFileSync(sub, 'config C\n\tint "C"\n\tdefault 5\n\tdepends on A\n'); // now: too recent
  const fresh = run();
  expect(fresh.frontEnd).toBe('parsed');
  expect(fresh.config).toMatch(/^CONFIG_C=5$/m);
  expect(run().frontEnd).toBe('parsed'); // no snapshot was written for it
  // Backdated: the next run writes one; then the same size and another mtime, other bytes.
  const old = new Date(Date.now() - 60_000);
  utimesSync(sub, old, old);
  expect(run().frontEnd).toBe('parsed');
  expect(run().frontEnd).toBe('snapshot');
  writeFileSync(sub, 'config C\n\tint "C"\n\tdefault 6\n\tdepends on A\n');
  const older = new Date(Date.now() - 120_000);
  utimesSync(sub, older, older);
  const edited = run();
  expect(edited.frontEnd).toBe('parsed');
  expect(edited.config).toMatch(/^CONFIG_C=6$/m);
});
