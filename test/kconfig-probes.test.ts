/**
 * `$(shell)` probes (src/kconfig/probes.ts): the disk cache and the concurrent runs, observed
 * through what actually runs. A fake compiler on PATH logs every invocation, writes to stderr for
 * one flag, and for `--sleep` records how many of its kind run at once. The checks:
 * - a cold concurrent parse gives exactly what the one-by-one parse (conf's way) gives, including
 *   probes built from earlier answers (`MAJOR := $(shell,set -- $(VERSION) && echo $2)`);
 * - the second parse runs nothing, gives the same result and replays the recorded stderr;
 * - a changed compiler (another file at the same name) invalidates the cache: the probes run again;
 * - KBUILDTS_PROBE_CACHE=0 (and `cache: false`) run every probe each time;
 * - misses run at the same time (the `--sleep` probes overlap), and one by one with jobs: 1.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Expr } from '../src/kconfig/model.js';
import { parseKconfig, type ParsedKconfig, type ParseOptions } from '../src/kconfig/parse.js';
import { probeCacheKey } from '../src/kconfig/probes.js';
import { ccVersionText } from '../src/kconfig/environment.js';

const dir = mkdtempSync(join(tmpdir(), 'kbuildts-probes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'bin');
const tree = join(dir, 'tree');
const log = join(dir, 'cc.log');
const cacheRoot = join(dir, 'probe-cache');
mkdirSync(bin);
mkdirSync(tree);

/** The fake compiler; `variant` changes its bytes (a "rebuilt" toolchain). */
function writeCompiler(variant: string): void {
  writeFileSync(
    join(bin, 'fakecc'),
    `#!/bin/sh
# ${variant}
echo "$*" >> "$PROBE_LOG"
case "$1" in
  --version) echo "fakecc Fake 7.3.1"; echo "Copyright";;
  --warn) echo "fakecc: warning: $2" >&2; echo warned;;
  --sleep) mkdir "$PROBE_LOG.run.$2"; ls -d "$PROBE_LOG".run.* | wc -l >> "$PROBE_LOG.conc"; sleep 0.4; rmdir "$PROBE_LOG.run.$2";;
esac
case "$*" in *-fbad*) exit 1;; esac
exit 0
`,
  );
  chmodSync(join(bin, 'fakecc'), 0o755);
}
writeCompiler('v1');

writeFileSync(
  join(tree, 'Kconfig'),
  `mainmenu "probes"
if-success = $(shell,{ $(1); } >/dev/null 2>&1 && echo "$(2)" || echo "$(3)")
success = $(if-success,$(1),y,n)
cc-option = $(success,$(CC) -Werror $(1) -c -x c /dev/null)
VERSION := $(shell,$(CC) --version)
MAJOR := $(shell,set -- $(VERSION) && echo $3)
MAJOR_IS_7 := $(success,test "$(MAJOR)" = 7.3.1)

config VERSION_TEXT
	string
	default "$(VERSION) / $(MAJOR) / $(MAJOR_IS_7)"

config HAS_A
	def_bool $(cc-option,-fa)

config HAS_B
	def_bool $(cc-option,-fb)

config HAS_BAD
	def_bool $(cc-option,-fbad)

config AGAIN_A
	def_bool $(cc-option,-fa)

config WARNED
	string
	default "$(shell,$(CC) --warn probe-one)"

config SLEPT
	string
	default "$(shell,$(CC) --sleep 1)$(shell,$(CC) --sleep 2)$(shell,$(CC) --sleep 3)$(shell,$(CC) --sleep 4)"
`,
);

const env: Record<string, string> = {
  PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  CC: 'fakecc',
  PROBE_LOG: log,
  srctree: tree,
};

const exprText = (e: Expr | null): string => {
  if (!e) return '';
  const x = e as unknown as Record<string, unknown>;
  if (e.type === 'symbol') return (x.sym as { name: string | null }).name ?? '?';
  return `${e.type}(${Object.values(x).filter((v) => v && typeof v === 'object').map((v) => ('type' in (v as object) ? exprText(v as Expr) : ((v as { name?: string }).name ?? ''))).join(',')})`;
};

/** What the probes decided: every named symbol's properties, plus the commands in order. */
function summary(t: ParsedKconfig): string {
  const syms = t.symbols.filter((s) => s.name && /^[A-Z_0-9]+$/.test(s.name) && s.props.length);
  return [...syms.map((s) => `${s.name}: ${s.props.map((p) => `${p.type}=${p.text ?? exprText(p.expr)}`).join('; ')}`), ...t.shellCommands].join('\n');
}

const ranLines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

function parse(probes: ParseOptions['probes'], stderr: string[] = []): ParsedKconfig {
  return parseKconfig({ srctree: tree, objtree: tree, file: 'Kconfig', env, log: () => {}, cache: false, probes: { stderr: (t) => stderr.push(t), ...probes } });
}

let sequential: string;
let sequentialRuns: string[];
let sequentialStderr: string[];

beforeAll(() => {
  rmSync(log, { force: true });
  sequentialStderr = [];
  const t = parse({ cache: false, jobs: 1 }, sequentialStderr);
  sequential = summary(t);
  sequentialRuns = ranLines();
  expect(t.probes).toMatchObject({ ran: t.shellCount, rounds: 1 });
});

test('the one-by-one parse sees the answers (the fixture is meaningful)', () => {
  expect(sequential).toMatch(/VERSION_TEXT: .*default=fakecc Fake 7\.3\.1 Copyright \/ 7\.3\.1 \/ y$/m);
  expect(sequential).toMatch(/HAS_A: .*default=y/);
  expect(sequential).toMatch(/HAS_BAD: .*default=n/);
  expect(sequential).toMatch(/WARNED: .*default=warned/);
  expect(sequentialStderr).toEqual(['fakecc: warning: probe-one\n']);
  // conf runs the repeated cc-option twice; so does the one-by-one mode.
  expect(sequentialRuns.filter((l) => l.startsWith('-Werror -fa')).length).toBe(2);
});

test('cold cache: concurrent probes give the one-by-one result; warm cache runs nothing and replays stderr', () => {
  rmSync(cacheRoot, { recursive: true, force: true });
  rmSync(log, { force: true });
  const coldErr: string[] = [];
  const cold = parse({ cache: cacheRoot, jobs: 4 }, coldErr);
  expect(summary(cold)).toBe(sequential);
  expect(coldErr).toEqual(sequentialStderr);
  // Every distinct command ran once (the repeated cc-option once), dependent ones included.
  expect([...ranLines()].sort()).toEqual([...new Set(sequentialRuns)].sort());
  expect(cold.probes!.cacheHits).toBe(0);
  expect(cold.probes!.rounds).toBeGreaterThan(1);
  expect(existsSync(cold.probes!.cacheFile!)).toBe(true);

  rmSync(log, { force: true });
  const warmErr: string[] = [];
  const warm = parse({ cache: cacheRoot, jobs: 4 }, warmErr);
  expect(summary(warm)).toBe(sequential);
  expect(ranLines()).toEqual([]); // nothing ran
  expect(warm.probes).toMatchObject({ ran: 0, rounds: 1 });
  expect(warm.probes!.cacheHits).toBe(new Set(warm.shellCommands).size);
  expect(warmErr).toEqual(sequentialStderr); // the probe's stderr, replayed
});

test('a changed compiler invalidates the cached answers', () => {
  parse({ cache: cacheRoot, jobs: 4 }); // warm
  const before = probeCacheKey(env);
  writeCompiler('v2 (rebuilt)');
  expect(probeCacheKey(env)).not.toBe(before);
  rmSync(log, { force: true });
  const t = parse({ cache: cacheRoot, jobs: 4 });
  expect(summary(t)).toBe(sequential);
  expect(ranLines().length).toBeGreaterThan(0);
  expect(t.probes!.cacheHits).toBe(0);
  // Other tool variables and the environment are part of the key too.
  expect(probeCacheKey({ ...env, CC: 'gcc' })).not.toBe(probeCacheKey(env));
  expect(probeCacheKey({ ...env, ARCH: 'x86' })).not.toBe(probeCacheKey(env));
  expect(probeCacheKey({ ...env, PWD: '/elsewhere', SHLVL: '3' })).toBe(probeCacheKey(env));
});

test('KBUILDTS_PROBE_CACHE=0 runs every probe each time', () => {
  parse({ cache: cacheRoot }); // warm
  const saved = process.env.KBUILDTS_PROBE_CACHE;
  process.env.KBUILDTS_PROBE_CACHE = '0';
  try {
    rmSync(log, { force: true });
    const t = parse({ jobs: 4 });
    expect(summary(t)).toBe(sequential);
    expect(ranLines().length).toBe(new Set(sequentialRuns).size);
    expect(t.probes!.cacheFile).toBeNull();
  } finally {
    if (saved === undefined) delete process.env.KBUILDTS_PROBE_CACHE;
    else process.env.KBUILDTS_PROBE_CACHE = saved;
  }
});

test('misses run at the same time; jobs: 1 runs them one by one', () => {
  const conc = `${log}.conc`;
  rmSync(conc, { force: true });
  parse({ cache: false, jobs: 4 });
  const parallel = readFileSync(conc, 'utf8').split('\n').filter(Boolean).map(Number);
  expect(Math.max(...parallel)).toBeGreaterThan(1);
  rmSync(conc, { force: true });
  parse({ cache: false, jobs: 1 });
  const serial = readFileSync(conc, 'utf8').split('\n').filter(Boolean).map(Number);
  expect(Math.max(...serial)).toBe(1);
});

test('CC_VERSION_TEXT: `$(CC) --version` runs once per compiler identity, and again when the compiler changes', () => {
  const bin = join(dir, 'version-bin');
  mkdirSync(bin, { recursive: true });
  const cc = join(bin, 'fake-gcc');
  const count = join(dir, 'fake-gcc.count');
  const write = (banner: string): void => {
    writeFileSync(cc, `#!/bin/sh\necho run >> ${count}\necho '${banner}'\necho 'Copyright # line'\n`);
    chmodSync(cc, 0o755);
  };
  const saved = { cache: process.env.KBUILDTS_CACHE, path: process.env.PATH };
  process.env.KBUILDTS_CACHE = join(dir, 'version-cache');
  process.env.PATH = `${bin}:${saved.path ?? ''}`;
  try {
    write('fake-gcc (Test #1) 1.0');
    expect(ccVersionText('fake-gcc')).toBe('fake-gcc (Test 1) 1.0');
    expect(ccVersionText('fake-gcc')).toBe('fake-gcc (Test 1) 1.0');
    expect(readFileSync(count, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    write('fake-gcc (Test #22) 2.0'); // another size: another identity
    expect(ccVersionText('fake-gcc')).toBe('fake-gcc (Test 22) 2.0');
    expect(readFileSync(count, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    expect(() => ccVersionText('no-such-gcc-kbuildts')).toThrow(/compiler no-such-gcc-kbuildts not found/);
  } finally {
    process.env.PATH = saved.path;
    if (saved.cache === undefined) delete process.env.KBUILDTS_CACHE;
    else process.env.KBUILDTS_CACHE = saved.cache;
  }
});
