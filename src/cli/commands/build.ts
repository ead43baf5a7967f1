/**
 * `kbuildts build --arch arm64 [--kdir DIR] [--config FILE] [--out DIR] [DIR]`: build a driver
 * tree through the kernel's Kbuild (`make -C KDIR M=...`, src/runner/build.ts), show progress,
 * verify vermagic and initcall sections, and list the results.
 * Exit status: 0; 1 for bad input (makefile `file:line:col:` errors, compiler errors with paths
 * in the source tree, failed verification); 2 when a set-up part (KDIR, cross compiler) is missing.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { KbuildError } from '../../kbuild/makefile.js';
import { BuildError, buildTree, type BuildEvent } from '../../runner/build.js';

const LEVEL_NAMES: Record<string, string> = { early: 'early', '0': 'pure', '1': 'core', '2': 'postcore', '3': 'arch', '4': 'subsys', '5': 'fs', rootfs: 'rootfs', '6': 'device', '7': 'late' };

function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') || r === '' ? p : r;
}

/** Register the `build` command on `program`. */
export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('cross-build a driver tree through the kernel\'s Kbuild (make -C KDIR M=...) and verify the results')
    .argument('[dir]', 'the driver tree (a directory with a Kbuild file or Makefile)', '.')
    .option('--arch <arch>', 'target architecture (only arm64)', 'arm64')
    .option('--kdir <dir>', 'kernel build tree (default: $KBUILDTS_KDIR, else the set-up cache\'s arm64 headers)')
    .option('-c, --config <file>', 'the .config to route against (default: DIR/.config)')
    .option('-o, --out <dir>', 'build directory mirroring DIR (default: under the kbuildts cache)')
    .option('--cross-compile <prefix>', 'CROSS_COMPILE prefix', 'aarch64-linux-gnu-')
    .option('-j, --jobs <n>', 'parallel jobs for make', (v) => Number.parseInt(v, 10))
    .option('--extra-symbols <files...>', 'Module.symvers of other trees (KBUILD_EXTRA_SYMBOLS)')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, opts: { arch: string; kdir?: string; config?: string; out?: string; crossCompile: string; jobs?: number; extraSymbols?: string[]; json?: boolean }) => {
      const tty = process.stderr.isTTY === true;
      let bar: cliProgress.SingleBar | null = null;
      let done = 0;
      const onEvent = (e: BuildEvent): void => {
        if (e.type === 'plan') {
          process.stderr.write(`building ${shortPath(dir)} in ${e.buildDir}\n`);
          if (tty) {
            bar = new cliProgress.SingleBar(
              { format: '  {bar} {value}/{total}  {step}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.total, 0, { step: '' });
          }
        } else if (e.type === 'phase') {
          if (!tty) process.stderr.write(`[${e.phase}]\n`);
          else bar?.update(done, { step: e.phase });
        } else {
          if (e.counted) done++;
          if (tty) bar?.update(done, { step: `${e.verb} ${shortPath(e.target)}` });
          else process.stderr.write(`  ${e.verb.padEnd(8)} ${shortPath(e.target)}\n`);
        }
      };
      try {
        const r = await buildTree({
          dir,
          arch: opts.arch as 'arm64',
          kdir: opts.kdir,
          configFile: opts.config,
          outDir: opts.out,
          crossCompile: opts.crossCompile,
          jobs: opts.jobs,
          extraSymbols: opts.extraSymbols,
          onEvent,
        });
        (bar as cliProgress.SingleBar | null)?.stop();
        for (const w of r.warnings) process.stderr.write(`${w}\n`);
        for (const m of r.messages) process.stderr.write(`${m}\n`);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              {
                buildDir: r.buildDir,
                kernelRelease: r.kernelRelease,
                modules: r.modules.map(({ name, object, ko, vermagic }) => ({ name, object, ko, vermagic })),
                builtins: r.builtins,
                symvers: r.symvers,
              },
              null,
              2,
            )}\n`,
          );
          return;
        }
        let out = `target kernel ${r.kernelRelease}\n`;
        for (const m of r.modules) out += `  module    ${shortPath(m.ko)}  vermagic ok (${m.vermagic})\n`;
        for (const b of r.builtins) {
          const lvl = b.initcallLevel === null ? 'no initcall' : `${b.initcallSection} (${LEVEL_NAMES[b.initcallLevel] ?? b.initcallLevel}_initcall)`;
          out += `  built-in  ${b.object} → ${b.archive}  ${lvl}\n`;
        }
        out += `${r.modules.length} module(s), ${r.builtins.length} built-in object(s)\n`;
        process.stdout.write(out);
      } catch (err) {
        (bar as cliProgress.SingleBar | null)?.stop();
        if (err instanceof KbuildError || err instanceof BuildError) {
          process.stderr.write(`${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
