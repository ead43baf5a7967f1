#!/usr/bin/env node
/**
 * `kbuildts config alldefconfig` on the full kernel tree right after a Kconfig edit, the run that
 * misses the front-end snapshot (src/kconfig/frontend-cache.ts): with the snapshot written by the
 * run itself (`KBUILDTS_FRONTEND_SAVE=inline`), against the command's default for a kernel tree,
 * a detached writer started after the outputs; then the run after that one, which reads the
 * snapshot the writer left. Wall time of the command, medians and quartiles.
 *
 * The tree is a copy of linux-source-<series> made of symbolic links (`cp -rs`), in which one
 * file, drivers/misc/Kconfig, is a real copy: each round appends a comment line to it and dates
 * it a minute back (a file modified within 2 s of a parse makes that run write no snapshot). A
 * private cache; a first run fills its parse and probe caches (not timed). The two ways alternate
 * round by round; the writer is waited for (its claim file gone) before the next run.
 *
 * Usage: node bench/config-after-edit.mjs [--series 6.1] [--arch arm64] [--runs 7]
 * Needs `npm run build` and `npm run setup`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { loadManifest } = await import(join(root, 'dist/runner/cache.js'));
const { defaultCrossCompile } = await import(join(root, 'dist/kconfig/environment.js'));

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '6.1' },
    arch: { type: 'string', default: 'arm64' },
    runs: { type: 'string', default: '7' },
  },
});
const src = loadManifest().linuxSource[values.series];
if (!src) throw new Error(`linux-source-${values.series} is not in the cache: run npm run setup`);
const runs = Number(values.runs);
const work = mkdtempSync(join(tmpdir(), 'kbuildts-bench-edit-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const tree = join(work, 'tree');
execFileSync('cp', ['-rs', src.srcDir, tree]);
const edited = join(tree, 'drivers/misc/Kconfig');
rmSync(edited);
copyFileSync(join(src.srcDir, 'drivers/misc/Kconfig'), edited);
const cache = join(work, 'cache');
const claims = join(cache, 'frontend');
// Run as the installed command runs: by its #! line (node on PATH, with the line's node options).
const cli = join(root, 'dist/cli/kbuildts.cjs');

/** One command run in a fresh object tree; @returns its wall time in seconds. */
function run(save) {
  const obj = mkdtempSync(join(work, 'obj-'));
  const env = { ...process.env, KBUILDTS_CACHE: cache, ...(save ? { KBUILDTS_FRONTEND_SAVE: save } : {}) };
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cli, ['config', 'alldefconfig', '-s', '--srctree', tree, '--arch', values.arch,
    '--cross-compile', defaultCrossCompile(values.arch), '--objtree', obj], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`kbuildts exited ${r.status}: ${r.stderr.toString().slice(-500)}`);
  rmSync(obj, { recursive: true, force: true });
  return wall;
}

/** Wait until no background writer holds a claim. */
function writerDone() {
  while (existsSync(claims) && readdirSync(claims).some((n) => n.endsWith('.save'))) spawnSync('sleep', ['0.1']);
}

let edits = 0;
function edit() {
  appendFileSync(edited, `# bench edit ${++edits}\n`);
  const t = new Date(Date.now() - 60_000);
  utimesSync(edited, t, t);
}

run('inline');
const times = { inline: [], background: [], next: [] };
for (let r = 0; r < runs; r++) {
  edit();
  times.inline.push(run('inline'));
  edit();
  times.background.push(run());
  writerDone();
  times.next.push(run());
}

const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const fmt = (xs) => `${q(xs, 0.5).toFixed(3)} s [${q(xs, 0.25).toFixed(3)} ${q(xs, 0.75).toFixed(3)}]`;
console.log(`kbuildts config alldefconfig after a Kconfig edit, linux-source-${values.series} ${values.arch}, ${runs} rounds (median [quartiles])`);
const rows = [
  ['snapshot written by the run itself (KBUILDTS_FRONTEND_SAVE=inline)', times.inline],
  ['snapshot left to a background writer (the default)', times.background],
  ["the run after it, reading the writer's snapshot", times.next],
];
for (const [label, xs] of rows) console.log(`  ${label.padEnd(70)} ${fmt(xs)}`);
