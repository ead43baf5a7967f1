/**
 * `kbuildts build --arch arm64 --kernel [--srctree LINUX] [--driver DIR] [-j N] [--out O]`:
 * a whole kernel Image with a driver built in (src/runner/kernel-build.ts), configured by
 * kbuildts's own Kconfig engine, built by the kernel's make, with progress on stderr.
 * Boot it with `kbuildts boot --kernel O/arch/arm64/boot/Image --append "initcall_debug loglevel=8"`.
 */
import { relative } from 'node:path';
import cliProgress from 'cli-progress';
import { buildKernel, KernelBuildError, type KernelBuildEvent } from '../../runner/kernel-build.js';
import { KernelTreeError } from '../../runner/kernel-tree.js';

/** Options of {@link runBuildKernel}, as `kbuildts build` parses them. */
export interface BuildKernelCliOptions {
  arch: string;
  srctree?: string;
  driver?: string;
  driverName?: string;
  enable?: string[];
  out?: string;
  jobs?: number;
  crossCompile?: string;
  json?: boolean;
}

function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') || r === '' ? p : r;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * Run the kernel build with readable progress: a bar on a terminal; otherwise one line per
 * non-compile step and one per 25 compiles (every step of the driver's own directory is shown),
 * compiler diagnostics as `file:line:col: severity: message`. Sets process.exitCode 1 on a
 * failed configuration or build.
 */
export async function runBuildKernel(opts: BuildKernelCliOptions): Promise<void> {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let driverDir = '';
  const onEvent = (e: KernelBuildEvent): void => {
    if (e.type === 'phase') {
      if (e.driverDir) driverDir = `${e.driverDir}/`;
      bar?.stop();
      bar = null;
      process.stderr.write(`[${e.phase}] ${e.message}\n`);
      if (e.phase === 'build' && tty) {
        bar = new cliProgress.SingleBar(
          { format: '  {bar} {value}/{total}  {step}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(0, 0, { step: '' });
      }
    } else if (e.type === 'step') {
      const inDriver = driverDir !== '' && e.target.startsWith(driverDir);
      if (bar) {
        bar.setTotal(e.expected);
        bar.update(e.index, { step: `${e.verb} ${e.target}` });
        
      } else if (inDriver || !/^(CC|AR)$/.test(e.verb) || e.index % 25 === 0) {
        process.stderr.write(`  [${String(e.index).padStart(4)}/${e.expected}] ${e.verb.padEnd(8)} ${e.target}\n`);
      }
    } else {
      process.stderr.write(`${bar ? '\n' : ''}${e.text}\n`);
    }
  };
  try {
    const r = await buildKernel({
      arch: opts.arch as 'arm64',
      source: opts.srctree,
      driver: opts.driver,
      driverName: opts.driverName,
      enable: opts.enable,
      outDir: opts.out,
      jobs: opts.jobs,
      crossCompile: opts.crossCompile,
      onEvent,
    });
    (bar as cliProgress.SingleBar | null)?.stop();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ...r, tree: { srcDir: r.tree.srcDir, origin: r.tree.origin, created: r.tree.created, driver: r.tree.driver } }, null, 2)}\n`);
      return;
    }
    const d = r.tree.driver!;
    const lines = [
      `kernel tree   ${r.tree.srcDir}${r.tree.created ? ` (unpacked in ${secs(r.tree.createMs)})` : ' (reused)'}`,
      `driver        ${shortPath(d.origin)} → ${d.relDir} (obj-$(CONFIG_${d.symbol}) += ${d.relDir.replace(/^drivers\//, '')}/)${d.copied.length ? `, ${d.copied.length} file(s) updated` : ''}`,
      `configuration ${r.configFile}: tinyconfig + ${Object.keys(r.symbols).length} symbols, ${r.configured ? `computed in ${secs(r.timings.configureMs)}` : 'unchanged (cached)'}`,
      `              ${Object.entries(r.symbols).map(([k, v]) => `${k}=${v}`).join(' ')}`,
      `              kernel syncconfig ${r.syncconfigAgrees ? 'left it byte-identical' : 'REWROTE it (kbuildts and scripts/kconfig disagree)'}`,
      `build         ${r.steps} step(s) in ${secs(r.timings.buildMs)} (${Object.entries(r.stepsByVerb).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${v} ${k}`).join(', ') || 'nothing to do'})`,
      ...r.initcalls.map((c) => `initcall      ${shortPath(c.object)}: ${c.symbol} in ${c.section}`),
      `Image         ${r.image} (${(r.imageBytes / 1048576).toFixed(1)} MiB)`,
      `boot it:      kbuildts boot --kernel ${shortPath(r.image)} --append "initcall_debug loglevel=8"`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (err) {
    (bar as cliProgress.SingleBar | null)?.stop();
    if (err instanceof KernelBuildError || err instanceof KernelTreeError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
