/**
 * The direct engine of `kbuildts build` is incremental the way Kbuild is (scripts/Makefile.build
 * if_changed_dep + scripts/basic/fixdep): on a copy of samples/, configured by the kernel's C conf,
 * built for arm64 with the real cross compiler and KDIR, an object is rebuilt only when its source,
 * a header it included, its command line or a CONFIG_ symbol it mentions changed, and a build in
 * which nothing changed runs no process at all. A build killed mid-way (SIGKILL, SIGINT of the CLI
 * process) leaves no truncated output: the next build succeeds and its .ko files are byte-identical
 * to a clean build's. The CLI prints plain step lines when not on a TTY, a table, and with --json
 * one JSON document.
 *
 * Needs the set-up manifest (arm64 KDIR, the 6.1 conf oracle), the cross compiler and dist/ (npm run build).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import fg from 'fast-glob';
import { buildTree, type BuildResult } from '../src/runner/build.js';
import { readElf } from '../src/runner/elf.js';
import { loadManifest } from '../src/runner/cache.js';

const CLI = join(process.cwd(), 'dist/cli/kbuildts.cjs');
const work = mkdtempSync(join(tmpdir(), 'kbt-incremental-'));
const tree = join(work, 'samples');
const configFile = join(work, '.config');
const out = join(work, 'out');
const K = 'drivers/kbts';

/** What a build ran, as `kind target` with the target relative to the output directory. */
const ran = (r: BuildResult, kind?: string): string[] =>
  r.actions.filter((a) => kind === undefined || a.kind === kind).map((a) => relative(r.buildDir, a.target)).sort();
const build = (): Promise<BuildResult> => buildTree({ dir: tree, configFile, outDir: out, jobs: 2 });
/** Move a file's mtime forward (as an editor saving it would). */
const touch = (f: string): void => {
  const t = new Date(Date.now() + 5_000);
  utimesSync(f, t, t);
};
const setConfig = (from: RegExp, to: string): void => {
  const text = readFileSync(configFile, 'utf8');
  expect(text).toMatch(from);
  writeFileSync(configFile, text.replace(from, to));
};

beforeAll(async () => {
  cpSync(join(process.cwd(), 'samples'), tree, { recursive: true });
  const conf = loadManifest().linuxSource['6.1']!.conf;
  await execa(conf, [`--defconfig=${join(tree, 'configs/kbuildts_defconfig')}`, 'Kconfig'], { cwd: work, env: { srctree: tree } });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('incremental direct builds', () => {
  test('first build compiles everything; a second one runs nothing', async () => {
    const first = await build();
    expect(ran(first, 'cc')).toHaveLength(9); // 7 module parts + 2 built-in objects
    expect(ran(first, 'ld-ko')).toHaveLength(5);
    const again = await build();
    expect(again.actions).toEqual([]);
  });

  test('a changed header rebuilds only the objects that include it, and their module', async () => {
    touch(join(tree, K, 'multi/kbts_multi.h'));
    const r = await build();
    expect(ran(r, 'cc')).toEqual([`${K}/multi/kbts_multi_core.o`, `${K}/multi/kbts_multi_ops.o`, `${K}/multi/kbts_multi_stats.o`]);
    expect(ran(r, 'ld-multi')).toEqual([`${K}/multi/kbts_multi.o`]);
    expect(ran(r, 'ld-ko')).toEqual([`${K}/multi/kbts_multi.ko`]);
    expect((await build()).actions).toEqual([]);
  });

  test('a changed source rebuilds that object and its .ko only', async () => {
    touch(join(tree, K, 'hello/kbts_hello.c'));
    const r = await build();
    expect(ran(r, 'cc')).toEqual([`${K}/hello/kbts_hello.o`]);
    expect(ran(r, 'ld-ko')).toEqual([`${K}/hello/kbts_hello.ko`]);
  });

  test('flipping a CONFIG_ symbol rebuilds only the objects whose sources mention it (fixdep)', async () => {
    // kbts_multi_core.c tests IS_ENABLED(CONFIG_KBTS_MULTI_STATS); the symbol also drops a part.
    setConfig(/^CONFIG_KBTS_MULTI_STATS=y$/m, '# CONFIG_KBTS_MULTI_STATS is not set');
    const r = await build();
    expect(ran(r, 'cc')).toEqual([`${K}/multi/kbts_multi_core.o`]);
    expect(ran(r, 'ld-ko')).toEqual([`${K}/multi/kbts_multi.ko`]);
    const multi = await readElf(r.modules.find((m) => m.name === 'kbts_multi')!.ko);
    expect(multi.symbols.some((s) => s.name === 'kbts_multi_stats_report')).toBe(false);
    setConfig(/^# CONFIG_KBTS_MULTI_STATS is not set$/m, 'CONFIG_KBTS_MULTI_STATS=y');
    expect(ran(await build(), 'cc')).toEqual([`${K}/multi/kbts_multi_core.o`]);
  });

  test('a changed command line (ccflags-y through a CONFIG_ symbol) rebuilds that object only', async () => {
    setConfig(/^CONFIG_KBTS_FLAGS_VERBOSE=y$/m, '# CONFIG_KBTS_FLAGS_VERBOSE is not set');
    const r = await build();
    expect(ran(r, 'cc')).toEqual([`${K}/flags/kbts_flags.o`]);
    expect(ran(r, 'ld-ko')).toEqual([`${K}/flags/kbts_flags.ko`]);
    setConfig(/^# CONFIG_KBTS_FLAGS_VERBOSE is not set$/m, 'CONFIG_KBTS_FLAGS_VERBOSE=y');
    expect(ran(await build(), 'cc')).toEqual([`${K}/flags/kbts_flags.o`]);
    expect((await build()).actions).toEqual([]);
  });
});

describe('the CLI', () => {
  test('plain step lines off a TTY, then the table; --json is one document', async () => {
    const dir = join(work, 'cli');
    const r = await execa('node', [CLI, 'build', '--arch', 'arm64', '--config', configFile, '--out', dir, '-j', '2', tree]);
    expect(r.stderr).toMatch(new RegExp(`^  CC \\[M\\]\\s+\\S*${K}/hello/kbts_hello\\.o$`, 'm'));
    expect(r.stderr).toMatch(/^ {2}AR\s+\S*built-in\.a$/m);
    expect(r.stdout).toMatch(/^ {2}drivers\/kbts\/early\/kbts_early\.o → drivers\/kbts\/early\/built-in\.a\s+built-in\s+4 subsys \(\.initcall4\.init\)\s+\d+$/m);
    expect(r.stdout).toMatch(/^ {2}drivers\/kbts\/hello\/kbts_hello\.ko\s+module\s+/m);
    const j = await execa('node', [CLI, 'build', '--arch', 'arm64', '--config', configFile, '--out', dir, '--json', tree]);
    const doc = JSON.parse(j.stdout) as { ok: boolean; engine: string; steps: unknown[]; modules: Array<{ name: string; size: number }>; builtins: Array<{ object: string; initcallLevel: string }> };
    expect(doc).toMatchObject({ ok: true, engine: 'direct', steps: [] });
    expect(doc.modules.map((m) => m.name).sort()).toEqual(['kbts_consumer', 'kbts_exporter', 'kbts_flags', 'kbts_hello', 'kbts_multi']);
    expect(doc.builtins.map((b) => [b.object, b.initcallLevel])).toEqual([[`${K}/early/kbts_early.o`, '4'], [`${K}/status/kbts_status.o`, '6']]);
  });
});

describe('the no-op fast path of the CLI', () => {
  const dir = join(work, 'fast');
  const args = (...more: string[]): string[] => [CLI, 'build', '--arch', 'arm64', '--config', configFile, '--out', dir, '-j', '2', ...more, tree];
  type Doc = { ok: boolean; noop?: boolean; steps: Array<{ kind: string; target: string }>; messages: string[] };
  const json = async (): Promise<Doc> => JSON.parse((await execa('node', args('--json'))).stdout) as Doc;
  const cc = (d: Doc): string[] => d.steps.filter((s) => s.kind === 'cc').map((s) => relative(dir, s.target)).sort();

  test('an unchanged tree is answered from the stamp, with the same summary as a no-op build', async () => {
    const first = await json();
    expect(first.noop).toBeUndefined();
    expect(first.steps.length).toBeGreaterThan(0);
    const second = await json();
    expect(second).toMatchObject({ ok: true, noop: true, steps: [], messages: [] });
    expect({ ...second, noop: undefined }).toEqual({ ...first, steps: [], messages: [], noop: undefined });
    // Text output: a normal no-op run, then the fast path prints the same table and says so.
    const slow = await execa('node', args());
    expect(slow.stderr).not.toMatch(/nothing changed since the last build/);
    const fast = await execa('node', args());
    expect(fast.stderr).toMatch(/^nothing changed since the last build$/m);
    expect(fast.stdout).toBe(slow.stdout);
    expect(fast.stdout).toMatch(/nothing to do \(up to date\)$/m);
  });

  test('a touched header, a touched or changed .config, or a removed output fall through to a real build', async () => {
    await json();
    expect((await json()).noop).toBe(true);
    touch(join(tree, K, 'multi/kbts_multi.h'));
    const h = await json();
    expect(h.noop).toBeUndefined();
    expect(cc(h)).toEqual([`${K}/multi/kbts_multi_core.o`, `${K}/multi/kbts_multi_ops.o`, `${K}/multi/kbts_multi_stats.o`]);
    expect((await json()).noop).toBe(true);

    touch(configFile);
    const t = await json();
    expect(t).toMatchObject({ ok: true, steps: [] });
    expect(t.noop).toBeUndefined();
    expect((await json()).noop).toBe(true);

    setConfig(/^CONFIG_KBTS_FLAGS_VERBOSE=y$/m, '# CONFIG_KBTS_FLAGS_VERBOSE is not set');
    const c = await json();
    expect(c.noop).toBeUndefined();
    expect(cc(c)).toEqual([`${K}/flags/kbts_flags.o`]);
    setConfig(/^# CONFIG_KBTS_FLAGS_VERBOSE is not set$/m, 'CONFIG_KBTS_FLAGS_VERBOSE=y');
    expect(cc(await json())).toEqual([`${K}/flags/kbts_flags.o`]);
    expect((await json()).noop).toBe(true);

    rmSync(join(dir, K, 'hello/kbts_hello.ko'));
    const o = await json();
    expect(o.noop).toBeUndefined();
    expect(o.steps.map((s) => relative(dir, s.target))).toEqual([`${K}/hello/kbts_hello.ko`]);
  });
});

describe('interrupted builds', () => {
  const kos = async (dir: string): Promise<Map<string, Buffer>> => {
    const files = await fg('**/*.ko', { cwd: dir });
    return new Map(files.sort().map((f) => [f, readFileSync(join(dir, f))]));
  };
  let reference: Map<string, Buffer>;
  const dir = join(work, 'killed');
  beforeAll(async () => {
    await execa('node', [CLI, 'build', '--arch', 'arm64', '--config', configFile, '--out', dir, '-j', '2', tree]);
    reference = await kos(dir);
    expect(reference.size).toBe(5);
  });

  test.each([
    ['SIGKILL', 'after its first object is written', '**/*.o'],
    ['SIGINT', 'once modpost has run', '**/*.mod.c'],
  ] as const)('%s %s: the next build succeeds with identical .ko files', async (signal, _when, pattern) => {
    // Wait (without a time limit of our own) until the build has got that far, then kill it. The
    // build may finish between the poll and the kill (it is not interrupted then): try again.
    let res: Awaited<ReturnType<typeof execa>> | undefined;
    for (let attempt = 0; attempt < 3 && res?.signal !== signal; attempt++) {
      rmSync(dir, { recursive: true, force: true });
      const child = execa('node', [CLI, 'build', '--arch', 'arm64', '--config', configFile, '--out', dir, '-j', '2', tree], { reject: false });
      while ((await fg(pattern, { cwd: dir, dot: false }).catch(() => [])).length === 0 && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill(signal);
      res = await child;
    }
    expect(res?.signal).toBe(signal);
    // No truncated output: every object or module in place is a whole ELF file (partial ones have temporary names).
    for (const f of await fg(['**/*.o', '**/*.ko', '**/*.a'], { cwd: dir })) {
      // A thin archive, or (a directory with no built-in object, as GNU ar writes it) an empty one.
      if (f.endsWith('.a')) expect(['!<thin>\n', '!<arch>\n']).toContain(readFileSync(join(dir, f)).subarray(0, 8).toString());
      else await expect(readElf(join(dir, f))).resolves.toBeDefined();
    }
    const again = await execa('node', [CLI, 'build', '--arch', 'arm64', '--config', configFile, '--out', dir, '-j', '2', tree], { reject: false });
    expect(again.exitCode).toBe(0);
    expect(await kos(dir)).toEqual(reference);
    const noop = await execa('node', [CLI, 'build', '--arch', 'arm64', '--config', configFile, '--out', dir, '--json', tree]);
    expect(JSON.parse(noop.stdout)).toMatchObject({ ok: true, steps: [] });
  });
});
