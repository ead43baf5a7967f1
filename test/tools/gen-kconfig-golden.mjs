#!/usr/bin/env node
/**
 * Regenerate the golden outputs of test/fixtures/kconfig-golden/<case>/ with the C conf of
 * Linux 6.1 (the oracle): for each mode, conf runs in a fresh directory the way make runs it
 * (`conf -s --<mode> Kconfig`, srctree = the fixture directory; for olddefconfig/listnewconfig
 * the fixture's input.config is the .config). Outputs go to <case>/expected/<mode>/:
 * config (.config), auto.conf, auto.conf.cmd, autoconf.h, rustc_cfg, stamps.txt (stamp file
 * names under include/config/), stdout.txt, stderr.txt, status.txt.
 *
 * Usage: node test/tools/gen-kconfig-golden.mjs [CONF]   (default: the cached 6.1 oracle conf)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', 'fixtures', 'kconfig-golden');
const cache = process.env.KBUILDTS_CACHE ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kbuildts');
const conf = process.argv[2] ?? join(cache, 'oracle', '6.1-build', 'scripts', 'kconfig', 'conf');

export const GOLDEN_MODES = ['allnoconfig', 'alldefconfig', 'allyesconfig', 'allmodconfig', 'olddefconfig', 'listnewconfig', 'savedefconfig'];

for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  if (!existsSync(join(dir, 'Kconfig'))) continue;
  for (const mode of GOLDEN_MODES) {
    const hasInput = existsSync(join(dir, 'input.config'));
    if ((mode === 'olddefconfig' || mode === 'listnewconfig' || mode === 'savedefconfig') && !hasInput) continue;
    const work = mkdtempSync(join(tmpdir(), 'kgold-'));
    if (hasInput && ['olddefconfig', 'listnewconfig', 'savedefconfig'].includes(mode)) cpSync(join(dir, 'input.config'), join(work, '.config'));
    const args = ['-s', mode === 'savedefconfig' ? '--savedefconfig=defconfig' : `--${mode}`, 'Kconfig'];
    const env = { PATH: process.env.PATH, srctree: dir, KCONFIG_CONFIG: '.config', LC_ALL: 'C' };
    const r = spawnSync(conf, args, { cwd: work, env, encoding: 'utf8' });
    const out = join(dir, 'expected', mode);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const copy = (from, to) => { if (existsSync(join(work, from))) cpSync(join(work, from), join(out, to)); };
    copy('.config', 'config');
    copy('defconfig', 'defconfig');
    copy('include/config/auto.conf', 'auto.conf');
    copy('include/config/auto.conf.cmd', 'auto.conf.cmd');
    copy('include/generated/autoconf.h', 'autoconf.h');
    copy('include/generated/rustc_cfg', 'rustc_cfg');
    const stampDir = join(work, 'include', 'config');
    const stamps = existsSync(stampDir) ? readdirSync(stampDir).filter((f) => !f.startsWith('auto.conf')).sort() : [];
    writeFileSync(join(out, 'stamps.txt'), stamps.map((s) => `${s}\n`).join(''));
    writeFileSync(join(out, 'stdout.txt'), r.stdout);
    writeFileSync(join(out, 'stderr.txt'), r.stderr);
    writeFileSync(join(out, 'status.txt'), `${r.status}\n`);
    rmSync(work, { recursive: true, force: true });
    console.log(`${name}/${mode}: exit ${r.status}${r.stderr ? ` (${r.stderr.split('\n').length - 1} stderr lines)` : ''}`);
  }
}
