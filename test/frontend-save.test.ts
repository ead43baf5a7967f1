/**
 * The front-end snapshot written in the background (src/kconfig/frontend-cache.ts
 * startSnapshotSave, snapshot-saver.ts): a run that misses the snapshot of a big tree leaves it to
 * a detached writer and returns without writing it; the writer writes it and removes its claim;
 * the next run reads it and gives the same files. One writer per snapshot: a fresh claim makes a
 * run start none, a stale one is taken over. The writer is the built module, so these tests run
 * the built package (dist/, as a user does): the library call from dist/ and the command.
 * `KBUILDTS_FRONTEND_SAVE=background` stands in for a kernel-sized tree (the size test's
 * threshold: 2,000 symbols).
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ConfigModule from '../src/kconfig/config.js';

const CLI = join(process.cwd(), 'dist/cli/kbuildts.cjs');
const dist = (await import(pathToFileURL(join(process.cwd(), 'dist/kconfig/config.js')).href)) as typeof ConfigModule;

let root: string;
let tree: string;
let cache: string;
const saved = { cache: process.env.KBUILDTS_CACHE, save: process.env.KBUILDTS_FRONTEND_SAVE };

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kbuildts-fesave-'));
  tree = join(root, 'tree');
  mkdirSync(tree);
  // Older than 2 s: a file modified just before a parse makes that run write no snapshot.
  writeFileSync(join(tree, 'Kconfig'), 'mainmenu "Background snapshot"\nconfig A\n\tbool "A"\n\tdefault y\nconfig B\n\ttristate "B"\n\tdepends on A\n\tdefault m\n');
  const t = new Date(Date.now() - 60_000);
  utimesSync(join(tree, 'Kconfig'), t, t);
});

beforeEach(() => {
  cache = join(root, `cache-${Math.random().toString(36).slice(2)}`);
  process.env.KBUILDTS_CACHE = cache;
  process.env.KBUILDTS_FRONTEND_SAVE = 'background';
});

afterAll(() => {
  for (const [k, v] of [['KBUILDTS_CACHE', saved.cache], ['KBUILDTS_FRONTEND_SAVE', saved.save]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(root, { recursive: true, force: true });
});

/** The snapshot directory's entries of one kind (`.snap` or `.save`). */
const entries = (ext: string): string[] => (existsSync(join(cache, 'frontend')) ? readdirSync(join(cache, 'frontend')).filter((n) => n.endsWith(ext)) : []);

/** Wait until the background writer is done: a snapshot and no claim (at most 60 s). */
async function writerDone(): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (entries('.snap').length === 1 && entries('.save').length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the background writer did not finish: ${readdirSync(join(cache, 'frontend')).join(' ')}`);
}

let runs = 0;
/** alldefconfig through the built library in a fresh object tree; @returns the result and the .config text. */
function run(extra: Partial<ConfigModule.RunConfigOptions> = {}): ConfigModule.RunConfigResult & { config: string } {
  const obj = join(root, `obj-${runs++}`);
  const r = dist.runConfig({ mode: 'alldefconfig', srctree: tree, objtree: obj, arch: 'arm64', frontEndSave: 'background', ...extra });
  return { ...r, config: readFileSync(join(obj, '.config'), 'latin1') };
}

/** The command in a fresh object tree; @returns its .config text. */
async function cli(): Promise<string> {
  const obj = join(root, `obj-${runs++}`);
  const r = await execa(CLI, ['config', 'alldefconfig', '-s', '--srctree', tree, '--objtree', obj], { reject: false });
  expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
  return readFileSync(join(obj, '.config'), 'latin1');
}

test('a miss leaves the snapshot to a detached writer; the run after it reads the snapshot', async () => {
  const first = run();
  expect(first.frontEnd).toBe('parsed');
  expect(first.snapshotSaves).toEqual(['started']);
  expect(first.stages[0].save).toBe(0); // not written by this run
  await writerDone();
  const second = run();
  expect(second.frontEnd).toBe('snapshot');
  expect(second.snapshotSaves).toEqual([]);
  expect(second.config).toBe(first.config);
  expect(first.config).toMatch(/^CONFIG_B=y$/m); // no `modules` symbol: m is y
});

test('a small tree, or KBUILDTS_FRONTEND_SAVE=inline, writes the snapshot in the run itself', () => {
  delete process.env.KBUILDTS_FRONTEND_SAVE; // the size test: 3 symbols
  const small = run();
  expect(small.snapshotSaves).toEqual([]);
  expect(small.stages[0].save).toBeGreaterThan(0);
  expect(entries('.snap')).toHaveLength(1);
  // A miss under 'use' again (an empty cache), now with the override ('refresh' never defers).
  cache = join(root, 'cache-inline');
  process.env.KBUILDTS_CACHE = cache;
  process.env.KBUILDTS_FRONTEND_SAVE = 'inline';
  expect(run().snapshotSaves).toEqual([]);
  expect(entries('.save')).toEqual([]);
});

test('the command writes no snapshot itself; one writer per snapshot: a fresh claim is respected, a stale one taken over', async () => {
  // The snapshot's name, from a run that writes it inline; then it is removed and claimed.
  process.env.KBUILDTS_FRONTEND_SAVE = 'inline';
  const config = await cli();
  const [snap] = entries('.snap');
  rmSync(join(cache, 'frontend', snap));
  const claim = join(cache, 'frontend', snap.replace(/\.snap$/, '.save'));
  writeFileSync(claim, 'held by another writer');

  process.env.KBUILDTS_FRONTEND_SAVE = 'background';
  expect(await cli()).toBe(config);
  // The command returned: it wrote no snapshot, and left the fresh claim alone (no writer started).
  expect(entries('.snap')).toEqual([]);
  expect(readFileSync(claim, 'utf8')).toBe('held by another writer');

  const old = new Date(Date.now() - 20 * 60_000);
  utimesSync(claim, old, old);
  expect(await cli()).toBe(config);
  await writerDone();
  expect(run().frontEnd).toBe('snapshot');
});
