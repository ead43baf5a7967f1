// Parse time of the whole Linux 6.1 arm64 Kconfig tree (src/kconfig/parse.ts), in fresh processes:
//   node bench/parse.mjs            (after `npx tsc -p . && node scripts/precompile-grammar.mjs`)
// Scenarios:
//   cold-probes   no parse cache, `$(shell)` probes really run (what a first `kbuildts config` costs)
//   cold          no parse cache, probes answered from a recorded table (front end alone)
//   disk-cache    prepared files from the content-hash cache (<dir>/parse), probes replayed
//   in-process    second parse in the same process (line/shape caches warm), probes replayed
// Prints wall and CPU milliseconds (min of N runs); the machine is shared, CPU time is steadier.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const dist = new URL('../dist/kconfig/', import.meta.url);

async function child(mode, probesFile, cacheDir) {
  const { parseKconfig } = await import(new URL('parse.js', dist));
  const { kconfigEnvironment } = await import(new URL('environment.js', dist));
  const { loadManifest } = await import(new URL('../runner/cache.js', dist));
  const linux = loadManifest().linuxSource['6.1'];
  const srctree = linux.srcDir;
  const env = kconfigEnvironment({ srctree, arch: 'arm64', crossCompile: 'aarch64-linux-gnu-', kernelVersion: linux.kernelVersion });
  const probes = mode === 'cold-probes' ? null : JSON.parse(readFileSync(probesFile, 'utf8'));
  const recorded = {};
  const { defaultRunShell } = await import(new URL('preprocess.js', dist));
  const runShell = probes ? (cmd) => probes[cmd] : (cmd, e) => (recorded[cmd] = defaultRunShell(cmd, e));
  const objtree = mkdtempSync(join(tmpdir(), 'kbuildts-bench-'));
  const opts = { srctree, objtree, file: 'Kconfig', version: '6.1', env, runShell, log: () => {}, cache: mode === 'disk-cache' ? cacheDir : false };
  if (mode === 'in-process') parseKconfig(opts);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const t = parseKconfig(opts);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (mode === 'cold-probes') writeFileSync(probesFile, JSON.stringify(recorded));
  rmSync(objtree, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ wall, cpu: (cpu.user + cpu.system) / 1000, files: t.files.length, shell: t.shellCount, hits: t.cacheHits }) + '\n');
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
} else {
  const work = mkdtempSync(join(tmpdir(), 'kbuildts-bench-parse-'));
  const probesFile = join(work, 'probes.json');
  const cacheDir = join(work, 'parse');
  const run = (mode) => {
    const r = spawnSync(process.execPath, [self, '--child', mode, probesFile, cacheDir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  const N = Number(process.env.BENCH_RUNS ?? 3);
  const results = {};
  for (const mode of ['cold-probes', 'cold', 'disk-cache', 'in-process']) {
    if (mode === 'disk-cache') run('disk-cache'); // fill the cache
    const rs = Array.from({ length: N }, () => run(mode));
    results[mode] = { wallMs: Math.round(Math.min(...rs.map((r) => r.wall))), cpuMs: Math.round(Math.min(...rs.map((r) => r.cpu))), files: rs[0].files, shell: rs[0].shell, cacheHits: rs[0].hits };
    console.log(mode.padEnd(12), JSON.stringify(results[mode]));
  }
  rmSync(work, { recursive: true, force: true });
}
