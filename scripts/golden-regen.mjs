#!/usr/bin/env node
/**
 * Re-create the expected outputs of the Kconfig language-corner goldens
 * (test/fixtures/golden/<case>/expected/) with the kernel's own C conf, so that nothing under
 * expected/ is written by hand. test/golden.test.ts compares kbuildts against these files and
 * also calls {@link generateCase} into a temporary directory to check that the committed
 * expected/ is still what the current C conf produces.
 *
 * A case directory holds:
 * - `Kconfig`: a standalone tree (srctree = the case directory);
 * - `case.json`: `{ "description": "...", "series": ["6.1", "6.12"], "modes": ["olddefconfig", ...],
 *   "seriesModes": { "6.12": [...] }, "allconfig": "allconfig", "env": { ... }, "stdin": "..." }` — `modes` for
 *   every series unless `seriesModes` names that series; `allconfig` is a file of the case given
 *   to the all*config modes as KCONFIG_ALLCONFIG (a relative name: conf finds it under $srctree);
 *   `env` adds variables to conf's environment; `stdin` is the text given on conf's standard input
 *   (answers for oldconfig; default empty);
 * - `input.config`: the .config given to olddefconfig, savedefconfig, listnewconfig,
 *   helpnewconfig, oldconfig and syncconfig; `defconfig` mode reads it as --defconfig=input.config.
 *
 * Each (series, mode) runs the C conf as make does — in a fresh object directory,
 * `conf -s --<mode> Kconfig`, environment {@link goldenEnv} — and the outputs are copied to
 * expected/<series>/<mode>/: `.config`, `defconfig` (savedefconfig), `auto.conf`, `auto.conf.cmd`,
 * `autoconf.h`, `rustc_cfg` (each only if conf wrote it), `stamps.txt` (stamp file names under
 * include/config/, sorted), `stdout.txt`, `stderr.txt` (conf's warnings) and `status.txt` (exit
 * status).
 *
 * Usage: node scripts/golden-regen.mjs [CASE ...]     (default: every case)
 * The C conf of each series comes from the setup manifest (<cache>/manifest.json, see
 * src/runner/cache.ts) or the conventional <cache>/oracle/<series>-build/scripts/kconfig/conf.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** test/fixtures/golden, absolute. */
export const GOLDEN_ROOT = resolve(HERE, '..', 'test', 'fixtures', 'golden');

/** Modes whose run starts from the case's input.config as .config. */
export const INPUT_MODES = ['olddefconfig', 'savedefconfig', 'listnewconfig', 'helpnewconfig', 'oldconfig', 'syncconfig',
  'yes2modconfig', 'mod2yesconfig', 'mod2noconfig'];

/** The output files copied from the object directory: [name under expected/, path in objtree]. */
export const OUTPUT_FILES = [
  ['.config', '.config'],
  ['defconfig', 'defconfig'],
  ['auto.conf', 'include/config/auto.conf'],
  ['auto.conf.cmd', 'include/config/auto.conf.cmd'],
  ['autoconf.h', 'include/generated/autoconf.h'],
  ['rustc_cfg', 'include/generated/rustc_cfg'],
];

function cacheDir() {
  if (process.env.KBUILDTS_CACHE) return process.env.KBUILDTS_CACHE;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'kbuildts');
}

/** Absolute path of the C conf of a series ("6.1", "6.12"), or null when it is not set up. */
export function confFor(series) {
  let conf;
  try {
    conf = JSON.parse(readFileSync(join(cacheDir(), 'manifest.json'), 'utf8')).linuxSource?.[series]?.conf;
  } catch {
    conf = undefined;
  }
  conf ??= join(cacheDir(), 'oracle', `${series}-build`, 'scripts', 'kconfig', 'conf');
  return existsSync(conf) ? conf : null;
}

/** Read and check a case's case.json. */
export function loadCase(caseDir) {
  const c = JSON.parse(readFileSync(join(caseDir, 'case.json'), 'utf8'));
  if (!Array.isArray(c.series) || !Array.isArray(c.modes)) throw new Error(`${caseDir}/case.json: needs "series" and "modes" arrays`);
  return c;
}

/** The modes of a case for one series. */
export function modesFor(c, series) {
  return c.seriesModes?.[series] ?? c.modes;
}

/** Every case directory name under {@link GOLDEN_ROOT}, sorted. */
export function listCases() {
  return readdirSync(GOLDEN_ROOT).filter((d) => existsSync(join(GOLDEN_ROOT, d, 'case.json'))).sort();
}

/**
 * conf's environment for a case and mode: only what the fixture needs, so the outputs do not
 * depend on the machine (PATH for $(shell), srctree, KCONFIG_CONFIG, LC_ALL=C, then case.env,
 * KCONFIG_ALLCONFIG for the all*config modes when the case has an allconfig file).
 */
export function goldenEnv(caseDir, c, mode) {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', srctree: caseDir, KCONFIG_CONFIG: '.config', LC_ALL: 'C', ...(c.env ?? {}) };
  if (c.allconfig && /^all.*config$/.test(mode)) env.KCONFIG_ALLCONFIG = c.allconfig;
  return env;
}

/** conf's command line (after the binary) for a mode. */
export function confArgs(mode) {
  if (mode === 'savedefconfig') return ['-s', '--savedefconfig=defconfig', 'Kconfig'];
  if (mode === 'defconfig') return ['-s', '--defconfig=input.config', 'Kconfig'];
  return ['-s', `--${mode}`, 'Kconfig'];
}

/** Prepare a fresh object directory for a mode (input.config copied to .config where used). */
export function prepareObjtree(caseDir, mode, objtree) {
  mkdirSync(objtree, { recursive: true });
  if (INPUT_MODES.includes(mode) && existsSync(join(caseDir, 'input.config'))) copyFileSync(join(caseDir, 'input.config'), join(objtree, '.config'));
}

/**
 * Collect the outputs of a run in `objtree` into `outDir` (the expected/<series>/<mode>/ layout).
 */
export function collectOutputs(objtree, outDir, run) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const [name, rel] of OUTPUT_FILES) {
    if (existsSync(join(objtree, rel))) copyFileSync(join(objtree, rel), join(outDir, name));
  }
  const stampDir = join(objtree, 'include', 'config');
  const stamps = existsSync(stampDir) ? listStamps(stampDir) : [];
  writeFileSync(join(outDir, 'stamps.txt'), stamps.map((s) => `${s}\n`).join(''));
  writeFileSync(join(outDir, 'stdout.txt'), run.stdout, 'latin1');
  writeFileSync(join(outDir, 'stderr.txt'), run.stderr, 'latin1');
  writeFileSync(join(outDir, 'status.txt'), `${run.status}\n`);
}

/** Stamp files under include/config/ (auto.conf* excluded), relative, sorted. */
export function listStamps(stampDir) {
  const out = [];
  const walk = (d, prefix) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else if (!(prefix === '' && e.name.startsWith('auto.conf'))) out.push(`${prefix}${e.name}`);
    }
  };
  walk(stampDir, '');
  return out.sort();
}

/**
 * Run the C conf for every (series, mode) of one case and write the outputs under
 * `outRoot/<series>/<mode>/` (default: the case's expected/, replaced).
 * @returns the list of `<series>/<mode>` written.
 * @throws Error when the C conf of a series named by the case is not set up.
 */
export function generateCase(caseDir, outRoot = join(caseDir, 'expected')) {
  const c = loadCase(caseDir);
  const done = [];
  if (outRoot === join(caseDir, 'expected')) rmSync(outRoot, { recursive: true, force: true });
  for (const series of c.series) {
    const conf = confFor(series);
    if (!conf) throw new Error(`the C conf for Linux ${series} is not set up (run scripts/setup.sh)`);
    for (const mode of modesFor(c, series)) {
      const work = mkdtempSync(join(tmpdir(), 'kgolden-c-'));
      try {
        prepareObjtree(caseDir, mode, work);
        const r = spawnSync(conf, confArgs(mode), { cwd: work, env: goldenEnv(caseDir, c, mode), encoding: 'latin1', input: c.stdin ?? '' });
        if (r.error) throw r.error;
        collectOutputs(work, join(outRoot, series, mode), { stdout: r.stdout, stderr: r.stderr, status: r.status });
        done.push(`${series}/${mode}`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
  }
  return done;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const names = process.argv.length > 2 ? process.argv.slice(2) : listCases();
  for (const name of names) {
    const dir = join(GOLDEN_ROOT, name);
    for (const sm of generateCase(dir)) {
      const st = readFileSync(join(dir, 'expected', sm, 'status.txt'), 'utf8').trim();
      const err = readFileSync(join(dir, 'expected', sm, 'stderr.txt'), 'latin1');
      console.log(`${name} ${sm}: exit ${st}${err ? ` (${err.split('\n').length - 1} stderr lines)` : ''}`);
    }
  }
}
