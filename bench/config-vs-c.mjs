#!/usr/bin/env node
/**
 * Benchmark: `kbuildts config <mode>` beside the kernel's own scripts/kconfig/conf and Kconfiglib
 * (Debian python3-kconfiglib), on the real Linux tree from the set-up cache, side by side in one
 * run and one environment (same cross compiler, so the `$(shell)` probes agree). Every run is in
 * a fresh object directory, as `make <mode>` would be, after a `sync` (removing the previous
 * run's directory must not slow this run's file creations), and the runs of the tools alternate, so
 * that a change of machine load hits them alike. Prints the median wall time of N runs and the
 * peak RSS and CPU time (user + system, children included: GNU time), the ratios, and whether
 * the issue #3 targets are met (on wall time; on a loaded machine the CPU column is steadier):
 *   - probes replayed: kbuildts within 2x the C tool. Printed for kbuildts's warm run (probe
 *     answers and the front end from its caches) and for kbuildts parsing the tree every time;
 *   - a real run, warm, under half the C tool's real run (which runs its probes one after
 *     another). Printed for kbuildts's warm run (probes cached, keyed by the toolchain's identity,
 *     as the issue allows) and for kbuildts running every probe (concurrently).
 * Last, where kbuildts's parsing run goes: Node's own start (an empty script with the same node
 * options), the CLI's start (`kbuildts config --help`), and the engine's stages (runConfig()'s
 * `stages`: parse, finalisation, mode with its files) measured inside one process that runs the mode several
 * times, parsing each time: the first run is what every CLI run pays (V8 has optimised none of
 * the engine's code yet), the later ones what the same work costs once it has. Set against
 * the 2x budget of C's replayed run, they show how much of a parsing run is the runtime and how
 * much the engine.
 *
 * How each tool runs with "real" probes and with probes "replayed":
 *   C conf      real: conf -s --<mode> Kconfig.
 *               replayed: the same conf.o, confdata.o, ... objects relinked here with
 *               `-Wl,--wrap=popen,--wrap=pclose` and a 40-line popen() that answers the commands it
 *               knows from a recorded table (no process at all), other commands through the real
 *               popen(). No LD_PRELOAD, no shims on PATH: do_shell() itself gets the table.
 *   kbuildts    real: KBUILDTS_PROBE_CACHE=0 (every probe runs, concurrently, src/kconfig/probes.ts;
 *               no front-end snapshot); the parse cache is warm (a first run fills it; not timed).
 *               replayed: the probe cache on and filled, the tree parsed (KBUILDTS_FRONTEND_CACHE=0).
 *               warm: its normal second run: probe cache and front-end snapshot
 *               (src/kconfig/frontend-cache.ts) filled; set against C's replayed run.
 *   Kconfiglib  real: the package's <mode>.py script. Kconfiglib 14.1 cannot parse Linux 6.1 as it
 *               is (the `modules` keyword of kernel/module/Kconfig), so it runs on a copy of the
 *               tree made of symlinks in which the Kconfig files with a `modules` line get
 *               `option modules` instead. replayed: the same script, with kconfiglib._shell_fn
 *               replaced by a lookup in the recorded table.
 * The table is what kbuildts's probe cache recorded (the same commands, run in this environment).
 * The .config of each tool's first run is compared with the C tool's (byte-identical or not).
 *
 * Usage: node bench/config-vs-c.mjs [--series 6.1] [--arch arm64] [--modes alldefconfig,allyesconfig]
 *          [--runs 3] [--no-kconfiglib]
 * Modes: the conf modes; `defconfig` passes the architecture's defconfig file to every tool.
 * Needs `npm run build` and `npm run setup` (python3-kconfiglib is in setup's package list).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { loadManifest } = await import(join(root, 'dist/runner/cache.js'));
const { kconfigEnvironment, defaultCrossCompile, kbuildDefconfigName, srcArchOf } = await import(join(root, 'dist/kconfig/environment.js'));

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '6.1' },
    arch: { type: 'string', default: 'arm64' },
    modes: { type: 'string', default: 'alldefconfig,allyesconfig' },
    runs: { type: 'string', default: '3' },
    'no-kconfiglib': { type: 'boolean', default: false },
  },
});
const src = loadManifest().linuxSource[values.series];
if (!src) throw new Error(`linux-source-${values.series} is not in the cache: run npm run setup`);
const arch = values.arch;
const crossCompile = defaultCrossCompile(arch);
const runs = Number(values.runs);
const work = mkdtempSync(join(tmpdir(), 'kbuildts-bench-cfg-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
// A private kbuildts cache: its parse and probe caches start empty and hold only this run's entries.
const kcache = join(work, 'cache');
// KBUILDTS_FRONTEND_SAVE=inline: the warm-up run writes the front-end snapshot itself, not a
// background writer that would overlap the timed runs after it (frontend-cache.ts).
const env = {
  ...kconfigEnvironment({ srctree: src.srcDir, arch, crossCompile, kernelVersion: src.kernelVersion }),
  KBUILDTS_CACHE: kcache,
  KBUILDTS_FRONTEND_SAVE: 'inline',
};
const cli = join(root, 'dist/cli/kbuildts.cjs');
const defconfigRel = `arch/${srcArchOf(arch)}/configs/${kbuildDefconfigName(src.srcDir, arch)}`;

/**
 * Run argv once in a fresh object directory under GNU time.
 * @returns {{wall: number, rssKiB: number, cpu: number, config: Buffer | null, status: number}}
 */
function runOnce(argv, extraEnv = {}) {
  const cwd = mkdtempSync(join(work, 'obj-'));
  // Settle the file system first: the previous run's object tree (13,000 stamp files after an
  // allyesconfig) was just removed, and its journal commit and discards would otherwise land in
  // this run's file creations, whichever tool it is.
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  // GNU time appends its line to the file given with -o; the tool's own output is dropped.
  const timeFile = join(work, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%M %U %S', ...argv], { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const [rssKiB, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const cfg = join(cwd, '.config');
  const config = existsSync(cfg) ? readFileSync(cfg) : null;
  rmSync(cwd, { recursive: true, force: true });
  if (r.status !== 0) process.stderr.write(`warning: ${argv.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-500)}\n`);
  return { wall, rssKiB, cpu: user + sys, config, status: r.status };
}

// ---- kbuildts: warm-up run (fills the parse cache and records the probe answers) ----
// The CLI runs as the installed `kbuildts` command does: with the node options of its `#!` line
// (src/cli/kbuildts.cts: the young generation's size), under this node; it runs the CLI from its
// bundle with the code cache that the warm-up run below writes (scripts/bundle-cli.mjs).
const shebang = readFileSync(cli, 'utf8').split('\n', 1)[0];
const nodeOptions = /^#!\/usr\/bin\/env -S node(?: |$)/.test(shebang) ? shebang.split(' ').slice(3) : [];
const kArgv = (mode) => [process.execPath, ...nodeOptions, cli, 'config', mode, ...(mode === 'defconfig' ? [defconfigRel] : []), '-s', '--srctree', src.srcDir, '--arch', arch, '--cross-compile', crossCompile];
// --objtree: the cwd (runOnce makes a fresh one); conf runs in the object tree as well.
const kbuildts = (mode, extraEnv) => runOnce([...kArgv(mode), '--objtree', '.'], extraEnv);
kbuildts('alldefconfig', {});
const table = new Map();
for (const f of readdirSync(join(kcache, 'probes')).filter((n) => n.endsWith('.json'))) {
  for (const [cmd, a] of Object.entries(JSON.parse(readFileSync(join(kcache, 'probes', f), 'latin1')).answers)) table.set(cmd, a.out);
}

// ---- C conf relinked with a replaying popen() ----
const confDir = dirname(src.conf);
const replayC = join(work, 'replay-popen.c');
writeFileSync(replayC, `/* popen() that answers recorded commands (KCONF_REPLAY: cmd NUL answer NUL ...). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
FILE *__real_popen(const char *cmd, const char *mode);
int __real_pclose(FILE *f);
static char *tab; static long tlen; static int loaded;
static FILE *mine[64]; static int nmine;
static void load(void) {
  loaded = 1;
  const char *f = getenv("KCONF_REPLAY");
  FILE *fp = f ? fopen(f, "rb") : NULL;
  if (!fp) return;
  fseek(fp, 0, SEEK_END); tlen = ftell(fp); fseek(fp, 0, SEEK_SET);
  tab = malloc(tlen + 1);
  if (fread(tab, 1, tlen, fp) != (size_t)tlen) tlen = 0;
  fclose(fp);
}
FILE *__wrap_popen(const char *cmd, const char *mode) {
  if (!loaded) load();
  for (char *p = tab; p && p < tab + tlen;) {
    char *ans = p + strlen(p) + 1;
    if (!strcmp(p, cmd)) {
      FILE *m = *ans ? fmemopen(ans, strlen(ans), "r") : fopen("/dev/null", "r");
      if (m && nmine < 64) mine[nmine++] = m;
      return m;
    }
    p = ans + strlen(ans) + 1;
  }
  return __real_popen(cmd, mode);
}
int __wrap_pclose(FILE *f) {
  for (int i = 0; i < nmine; i++) if (mine[i] == f) { mine[i] = NULL; return fclose(f) ? -1 : 0; }
  return __real_pclose(f);
}
`);
const confReplay = join(work, 'conf-replay');
const objs = ['conf.o', 'confdata.o', 'expr.o', 'lexer.lex.o', 'menu.o', 'parser.tab.o', 'preprocess.o', 'symbol.o', 'util.o'].map((o) => join(confDir, o));
execFileSync('gcc', ['-O2', '-o', confReplay, replayC, ...objs, '-Wl,--wrap=popen,--wrap=pclose']);
const tableFile = join(work, 'probes.tab');
writeFileSync(tableFile, Buffer.concat([...table].map(([c, o]) => Buffer.from(`${c}\0${o}\0`, 'latin1'))));
const cArgs = (mode) => ['-s', mode === 'defconfig' ? `--defconfig=${defconfigRel}` : `--${mode}`, 'Kconfig'];

// ---- Kconfiglib on a symlink copy of the tree with `modules` -> `option modules` ----
const klib = values['no-kconfiglib'] ? null : (() => {
  const py = '/usr/bin/python3';
  const pkg = '/usr/lib/python3/dist-packages';
  if (spawnSync(py, ['-c', 'import kconfiglib'], { stdio: 'ignore' }).status !== 0) {
    console.log('Kconfiglib: python3-kconfiglib is not installed (npm run setup): left out');
    return null;
  }
  const tree = join(work, 'klib-src');
  const found = spawnSync('grep', ['-rlE', '--include=Kconfig*', '^[[:space:]]*modules[[:space:]]*$', src.srcDir], { encoding: 'utf8' }).stdout
    .split('\n').filter((f) => f && !f.includes('/scripts/kconfig/tests/'));
  const changed = new Map(found.map((f) => [relative(src.srcDir, f), readFileSync(f, 'latin1').replace(/^(\s*)modules\s*$/gm, '$1option modules')]));
  /** A directory of symlinks to `from`, with real subdirectories on the way to changed files. */
  const overlay = (from, to, rel) => {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) {
      const r = rel ? `${rel}/${name}` : name;
      if (changed.has(r)) writeFileSync(join(to, name), changed.get(r), 'latin1');
      else if ([...changed.keys()].some((c) => c.startsWith(`${r}/`)) && lstatSync(join(from, name)).isDirectory()) overlay(join(from, name), join(to, name), r);
      else symlinkSync(join(from, name), join(to, name));
    }
  };
  overlay(src.srcDir, tree, '');
  // The recorded answers, with the commands as Kconfiglib builds them ($(srctree) is the copy).
  const ktab = Object.fromEntries([...table].map(([c, o]) => [c.split(src.srcDir).join(tree), o]));
  const ktabFile = join(work, 'probes-kconfiglib.json');
  writeFileSync(ktabFile, JSON.stringify(ktab));
  const script = (mode) => join(pkg, `${mode}.py`);
  const args = (mode) => (mode === 'defconfig' ? ['--kconfig', 'Kconfig', join(tree, defconfigRel)] : ['Kconfig']);
  const replay = `import json, runpy, sys, kconfiglib
tab = json.load(open(${JSON.stringify(ktabFile)}, encoding='latin-1'))
real = kconfiglib._shell_fn
def shell(kconf, name, command):
    if command in tab:
        return "\\n".join(tab[command].splitlines()).rstrip("\\n").replace("\\n", " ")
    return real(kconf, name, command)
kconfiglib._shell_fn = shell
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
`;
  return {
    note: `Kconfiglib ${spawnSync(py, ['-c', 'import kconfiglib; print(".".join(map(str, kconfiglib.VERSION)))'], { encoding: 'utf8' }).stdout.trim()} runs on a symlink copy of the tree where ${[...changed.keys()].join(', ')} say${changed.size === 1 ? 's' : ''} \`option modules\` instead of \`modules\` (it cannot parse 6.1 otherwise)`,
    has: (mode) => existsSync(script(mode)),
    real: (mode) => runOnce([py, script(mode), ...args(mode)], { srctree: tree }),
    replayed: (mode) => runOnce([py, '-c', replay, script(mode), ...args(mode)], { srctree: tree }),
  };
})();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** [first quartile, median, third quartile] of `xs` (nearest rank). */
const quartiles = (xs) => {
  const o = [...xs].sort((a, b) => a - b);
  return [o[Math.floor((o.length - 1) / 4)], o[Math.floor(o.length / 2)], o[Math.ceil((3 * (o.length - 1)) / 4)]];
};
console.log(`kbuildts config vs scripts/kconfig/conf vs Kconfiglib: Linux ${src.kernelVersion}, ARCH=${arch}, ${runs} runs each, alternating (median wall time, peak RSS)`);
console.log(`probe table: ${table.size} commands recorded; C replayed = conf relinked with a table-driven popen() (-Wl,--wrap=popen)`);
console.log(`kbuildts runs as its #! line says: node ${nodeOptions.join(' ')} dist/cli/kbuildts.cjs`);
if (klib) console.log(klib.note);
const targets = [];
/** C's replayed run per mode (median wall time, s). */
const cReplayedOf = new Map();
for (const mode of values.modes.split(',')) {
  const scen = [
    ['C conf', 'real', () => runOnce([src.conf, ...cArgs(mode)])],
    ['C conf', 'replayed', () => runOnce([confReplay, ...cArgs(mode)], { KCONF_REPLAY: tableFile })],
    ['kbuildts', 'real', () => kbuildts(mode, { KBUILDTS_PROBE_CACHE: '0' })],
    ['kbuildts', 'replayed', () => kbuildts(mode, { KBUILDTS_FRONTEND_CACHE: '0' })],
    ['kbuildts', 'warm', () => kbuildts(mode, {})],
    ...(klib && klib.has(mode) ? [['Kconfiglib', 'real', () => klib.real(mode)], ['Kconfiglib', 'replayed', () => klib.replayed(mode)]] : []),
  ];
  const res = scen.map(() => ({ walls: [], cpus: [], rss: 0, config: null }));
  for (let i = 0; i < runs; i++) {
    scen.forEach(([, , fn], j) => {
      const r = fn();
      res[j].walls.push(r.wall);
      res[j].cpus.push(r.cpu);
      res[j].rss = Math.max(res[j].rss, r.rssKiB);
      if (i === 0) res[j].config = r.config;
    });
  }
  // kbuildts's warm run (probe answers and front end from its caches) is set against C's replayed run.
  const cProbes = (probes) => (probes === 'warm' ? 'replayed' : probes);
  /** The results of one of this mode's scenarios. */
  const resOf = (tool, probes) => res[scen.findIndex(([t, p]) => t === tool && p === probes)];
  const cOf = (probes) => median(resOf('C conf', cProbes(probes)).walls);
  const cCpuOf = (probes) => median(resOf('C conf', cProbes(probes)).cpus);
  console.log(`\n${mode}  (ratios against the C tool with the same probes)`);
  scen.forEach(([tool, probes], j) => {
    const m = median(res[j].walls);
    const same = res[j].config && res[0].config ? (Buffer.compare(res[j].config, res[0].config) === 0 ? 'same .config as C' : '.config DIFFERS from C') : 'no .config';
    const cpu = median(res[j].cpus);
    console.log(`  ${tool.padEnd(11)} ${probes.padEnd(9)} ${m.toFixed(3).padStart(7)} s wall ${(m / cOf(probes)).toFixed(2).padStart(5)}x C   ${cpu.toFixed(2).padStart(5)} s CPU ${(cpu / cCpuOf(probes)).toFixed(2).padStart(5)}x C   ${(res[j].rss / 1024).toFixed(1).padStart(6)} MiB   ${same}`);
  });
  cReplayedOf.set(mode, cOf('replayed'));
  const kOf = (probes) => median(resOf('kbuildts', probes).walls);
  // The same ratios per round (each kbuildts run against C's run of the same round, minutes
  // apart at most): quartiles of these show how much of a ratio is the VM's drift.
  const pairs = (probes, cprobes) => {
    const c = resOf('C conf', cprobes).walls;
    return quartiles(resOf('kbuildts', probes).walls.map((x, i) => x / c[i]));
  };
  targets.push([mode, kOf('warm') / cOf('replayed'), kOf('replayed') / cOf('replayed'), kOf('warm') / cOf('real'), kOf('real') / cOf('real'),
    [pairs('warm', 'replayed'), pairs('replayed', 'replayed'), pairs('warm', 'real'), pairs('real', 'real')]]);
}
// ---- Where kbuildts's parsing run goes: Node's own start, the CLI's start, and the engine's
// stages in one process, first as every CLI run has them (JIT cold) and then once V8 has
// optimised the code (the same runs repeated in the process), against the 2x budget. ----
const emptyScript = join(work, 'empty.mjs');
writeFileSync(emptyScript, '');
const nodeStart = [];
const cliStart = [];
for (let i = 0; i < Math.max(runs, 5); i++) {
  nodeStart.push(runOnce([process.execPath, ...nodeOptions, emptyScript]).wall);
  // The CLI as it starts for a config run (the launcher, the bundle from its code cache, commander
  // and the config command), without the run itself.
  cliStart.push(runOnce([process.execPath, ...nodeOptions, cli, 'config', '--help']).wall);
}
/** runConfig() `n` times in one process, the front end parsed each time: each run's stages (ms). */
const stagesInProcess = (mode, n) => {
  const script = `import { mkdtempSync, rmSync } from 'node:fs';
const { runConfig } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist/kconfig/config.js')).href)});
const out = [];
for (let i = 0; i < ${n}; i++) {
  globalThis.gc();
  const objtree = mkdtempSync(${JSON.stringify(join(work, 'stages-'))});
  const r = runConfig({ mode: ${JSON.stringify(mode)}, srctree: ${JSON.stringify(src.srcDir)}, objtree, arch: ${JSON.stringify(arch)}, crossCompile: ${JSON.stringify(crossCompile)}, silent: true, frontEndCache: 'off', ${mode === 'defconfig' ? `defconfigFile: ${JSON.stringify(defconfigRel)}, ` : ''}});
  out.push(r.stages[0]);
  rmSync(objtree, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, [...nodeOptions, '--expose-gc', '--input-type=module', '-e', script], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`the in-process stage runs failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout);
};
const WARM_FROM = 3; // runs before this one still meet code V8 has not optimised yet
const STAGE_RUNS = WARM_FROM + 5;
const stageRows = targets.map(([mode]) => {
  const runsOf = stagesInProcess(mode, STAGE_RUNS);
  const row = (rs) => Object.fromEntries(['parse', 'finalize', 'mode'].map((k) => [k, median(rs.map((r) => r[k])) / 1000]));
  return { mode, cold: row(runsOf.slice(0, 1)), warm: row(runsOf.slice(WARM_FROM - 1)), cReplayed: cReplayedOf.get(mode) };
});

console.log('\nissue #3 targets (full tree):');
console.log('  (ratio of the median wall times; in brackets, the ratios of the runs of one round: quartiles)');
for (const [mode, warmRep, parsedRep, warmReal, real, paired] of targets) {
  const met = (ok) => (ok ? 'MET' : 'NOT MET');
  const q = (i) => `[${paired[i].map((x) => x.toFixed(2)).join(' ')}]`;
  console.log(`  ${mode}`);
  console.log(`    probes replayed, within 2x C's replayed run:`);
  console.log(`      kbuildts warm (probe cache + front-end snapshot)   ${warmRep.toFixed(2)}x ${q(0)}  ${met(warmRep <= 2)}`);
  console.log(`      kbuildts parsing the tree (KBUILDTS_FRONTEND_CACHE=0) ${parsedRep.toFixed(2)}x ${q(1)}  ${met(parsedRep <= 2)}`);
  console.log(`    a real run, warm, under half C's real run:`);
  console.log(`      kbuildts warm (a user's second run: probes cached by toolchain identity, snapshot) ${warmReal.toFixed(2)}x ${q(2)}  ${met(warmReal < 0.5)}`);
  console.log(`      kbuildts running every probe (KBUILDTS_PROBE_CACHE=0, parse cache warm)          ${real.toFixed(2)}x ${q(3)}  ${met(real < 0.5)}`);
}
const start = median(nodeStart);
const load = median(cliStart) - start;
console.log(`\nwhere kbuildts's parsing run goes (median wall times; the engine's stages measured inside one process, ${STAGE_RUNS} runs):`);
console.log(`  Node's own start (an empty script, same node options)   ${start.toFixed(3)} s`);
console.log(`  the CLI's start (\`kbuildts config --help\`: launcher, bundle and code cache) +${load.toFixed(3)} s`);
for (const { mode, cold, warm, cReplayed } of stageRows) {
  const sum = (r) => r.parse + r.finalize + r.mode;
  const line = (r) => `parse ${r.parse.toFixed(3)} + finalise ${r.finalize.toFixed(3)} + mode and files ${r.mode.toFixed(3)} = ${sum(r).toFixed(3)} s`;
  const budget = 2 * cReplayed;
  console.log(`  ${mode}: 2x C's replayed run is ${budget.toFixed(3)} s, which leaves ${(budget - start - load).toFixed(3)} s for the engine after Node's and the CLI's start`);
  console.log(`    the engine, first run in the process (as in every CLI run: V8 has optimised nothing yet): ${line(cold)}`);
  console.log(`    the engine, runs ${WARM_FROM}-${STAGE_RUNS} in the same process (V8 has optimised the hot code):     ${line(warm)}`);
  console.log(`    so a parsing run costs at least ${(start + load + sum(warm)).toFixed(3)} s (${((start + load + sum(warm)) / cReplayed).toFixed(2)}x C) with the JIT warm, ${(start + load + sum(cold)).toFixed(3)} s (${((start + load + sum(cold)) / cReplayed).toFixed(2)}x C) as it runs`);
}
