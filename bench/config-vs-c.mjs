#!/usr/bin/env node
/**
 * Benchmark: `kbuildts config <mode>` beside the kernel's own scripts/kconfig/conf, on the real
 * Linux tree from the set-up cache, in one run and one environment (same cross compiler, so the
 * `$(shell)` probes agree). Each tool runs in a fresh object directory, as `make <mode>` would.
 * Prints the median wall time of N runs, the peak RSS (GNU time), and the ratio kbuildts / C.
 *
 * Usage: node bench/config-vs-c.mjs [--series 6.1] [--arch arm64] [--modes alldefconfig,allnoconfig] [--runs 3]
 * Needs `npm run build` and `npm run setup`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { loadManifest } = await import(join(root, 'dist/runner/cache.js'));
const { kconfigEnvironment, defaultCrossCompile } = await import(join(root, 'dist/kconfig/environment.js'));

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '6.1' },
    arch: { type: 'string', default: 'arm64' },
    modes: { type: 'string', default: 'alldefconfig,allnoconfig' },
    runs: { type: 'string', default: '3' },
  },
});
const src = loadManifest().linuxSource[values.series];
if (!src) throw new Error(`linux-source-${values.series} is not in the cache: run npm run setup`);
const crossCompile = defaultCrossCompile(values.arch);
const env = kconfigEnvironment({ srctree: src.srcDir, arch: values.arch, crossCompile, kernelVersion: src.kernelVersion });
const runs = Number(values.runs);

/**
 * Run the command `argvFor(objtree)` `runs` times, each in a fresh object directory.
 * @returns {{median: number, rssMiB: number}} median wall seconds and the largest peak RSS in MiB
 */
function measure(argvFor) {
  const samples = [];
  let rssKiB = 0;
  for (let i = 0; i < runs; i++) {
    const cwd = mkdtempSync(join(tmpdir(), 'kbuildts-bench-'));
    const t0 = process.hrtime.bigint();
    let report = '';
    try {
      // GNU time writes its line to stderr: swap it onto stdout, drop the tool's own stdout.
      report = execFileSync('/bin/sh', ['-c', '"$@" 2>&1 >/dev/null', 'sh', '/usr/bin/time', '-f', 'KBUILDTS_RSS %M', ...argvFor(cwd)], { cwd, env, encoding: 'utf8' });
    } finally {
      samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
      rmSync(cwd, { recursive: true, force: true });
    }
    const m = /KBUILDTS_RSS (\d+)/.exec(report);
    if (m) rssKiB = Math.max(rssKiB, Number(m[1]));
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], rssMiB: rssKiB / 1024 };
}

const cli = join(root, 'dist/cli/main.js');
console.log(`kbuildts config vs scripts/kconfig/conf: Linux ${src.kernelVersion}, ARCH=${values.arch}, ${runs} runs each (median wall time, peak RSS)`);
for (const mode of values.modes.split(',')) {
  const c = measure(() => [src.conf, '-s', `--${mode}`, 'Kconfig']);
  const k = measure((cwd) => [process.execPath, cli, 'config', mode, '--srctree', src.srcDir, '--objtree', cwd, '--arch', values.arch, '--cross-compile', crossCompile]);
  console.log(
    `${mode.padEnd(14)} C conf ${c.median.toFixed(3)} s (${c.rssMiB.toFixed(1)} MiB)   kbuildts ${k.median.toFixed(3)} s (${k.rssMiB.toFixed(1)} MiB)   ratio ${(k.median / c.median).toFixed(2)}x`,
  );
}
