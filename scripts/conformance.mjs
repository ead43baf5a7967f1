#!/usr/bin/env node
/**
 * `npm run conformance [-- options]`: the wider conformance sweep (issue #3). For each kernel
 * series set up (6.1, 6.12), each ARCH with a compiler installed, and each configuration target
 * (allnoconfig, allyesconfig, allmodconfig, alldefconfig, defconfig, arch/<srcarch>/configs/
 * *defconfig), run the C conf and kbuildts in the same environment and compare .config,
 * include/config/auto.conf(.cmd), include/generated/autoconf.h, rustc_cfg and the stamp files.
 *
 * Options: --series 6.1,6.12  --arch arm64,x86_64  --modes allnoconfig,...  --seeds 1,0x2a,...
 *          --jobs N  --driver lib|cli  --out DIR  --keep  --json FILE
 * --seeds adds a randconfig case per KCONFIG_SEED to each ARCH (`--modes randconfig --seeds ...`:
 * only those). --debian-configs DIR,... adds olddefconfig of each Debian kernel configuration
 * (`config.<debian arch>_<featureset>_<flavour>.xz`, as in /usr/src/linux-config-6.1) for the
 * ARCHes swept; `--modes none` leaves out the other targets.
 * Prints one line per case (and the first differing lines), then `N identical, M differ`.
 * Exit status 0 when everything is identical, 1 otherwise. Library: dist/conformance/sweep.js.
 */
import { writeFileSync } from 'node:fs';
import { runSweep, formatResult } from '../dist/conformance/sweep.js';

const argv = process.argv.slice(2);
const opts = {};
let json;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => {
    if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
    return argv[++i];
  };
  if (a === '--series') opts.series = val().split(',');
  else if (a === '--arch' || a === '--arches') opts.arches = val().split(',');
  else if (a === '--modes' || a === '--mode') opts.modes = val().split(',').filter((m) => m !== 'none');
  else if (a === '--seeds' || a === '--seed') opts.seeds = val().split(',');
  else if (a === '--debian-configs') opts.debianConfigs = val().split(',');
  else if (a === '--jobs' || a === '-j') opts.jobs = Number(val());
  else if (a === '--driver') opts.driver = val();
  else if (a === '--out') opts.out = val();
  else if (a === '--keep') opts.keep = true;
  else if (a === '--json') json = val();
  else if (a === '--help' || a === '-h') {
    console.log('usage: npm run conformance -- [--series 6.1,6.12] [--arch arm64,x86_64] [--modes m1,m2|none] [--seeds s1,s2] [--debian-configs DIR,...] [--jobs N] [--driver lib|cli] [--out DIR] [--keep] [--json FILE]');
    process.exit(0);
  } else {
    console.error(`conformance: unknown option ${a}`);
    process.exit(2);
  }
}

const t0 = Date.now();
const results = await runSweep({
  ...opts,
  onResult: (r, done, total) => console.log(`[${done}/${total}] ${formatResult(r)}`),
});
const same = results.filter((r) => r.identical).length;
const differ = results.length - same;
console.log(`\n${same} identical, ${differ} differ (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
if (json) writeFileSync(json, JSON.stringify(results, null, 2));
process.exitCode = differ ? 1 : 0;
