/**
 * `kbuildts build --arch arm64 [options] [DIR]`: cross-build a driver tree (src/runner/build.ts).
 * By default the direct engine compiles every routed object with the kernel's own command lines
 * (src/runner/direct.ts: incremental per object, parallel with -j, default the number of CPUs);
 * `--via-make` goes through `make -C KDIR M=...` instead. Both verify vermagic and initcall
 * sections. On a TTY a progress bar is shown, otherwise one line per step run; then a table of
 * what was built (object, built-in or module, initcall level, loaded size). `--json` prints one
 * JSON document on stdout instead (also on failure, with the located diagnostics).
 * The compiler can be wrapped (`--cc-wrapper ccache|distcc|CMD`) or replaced, as `make CC=...`
 * does, by `--cc CMD` or the CC environment variable.
 * Exit status: 0; 1 for bad input (makefile `file:line:col:` errors, compiler errors with paths
 * in the source tree, failed verification); 2 when a set-up part (KDIR, cross compiler) is missing.
 */
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type cliProgressType from 'cli-progress';
import type { BuildEvent, BuildResult } from '../../runner/build.js';
import type { FileStat } from '../noop.js';

const LEVEL_NAMES: Record<string, string> = { early: 'early', '0': 'pure', '1': 'core', '2': 'postcore', '3': 'arch', '4': 'subsys', '5': 'fs', rootfs: 'rootfs', '6': 'device', '7': 'late' };

function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') || r === '' ? p : r;
}

/** Options of the build command as commander hands them over. */
interface BuildCliOptions {
  arch: string;
  kdir?: string;
  config?: string;
  out?: string;
  crossCompile: string;
  jobs?: number;
  extraSymbols?: string[];
  json?: boolean;
  viaMake?: boolean;
  ccWrapper?: string;
  cc?: string;
  [other: string]: unknown;
}

/** The final table: object, built-in or module, initcall level, size (bytes loaded). */
export function formatBuildTable(r: BuildResult): string {
  const rows: string[][] = [['object', 'kind', 'initcall', 'size']];
  for (const m of r.modules) rows.push([m.object.replace(/\.o$/, '.ko'), 'module', 'module_init (at load)', String(m.size)]);
  for (const b of r.builtins) {
    const lvl = b.initcallLevel === null ? '-' : `${b.initcallLevel} ${LEVEL_NAMES[b.initcallLevel] ?? b.initcallLevel} (${b.initcallSection})`;
    rows.push([`${b.object} → ${b.archive}`, 'built-in', lvl, String(b.size)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  let out = `built in ${shortPath(r.buildDir)} for ${r.kernelRelease} (vermagic and initcall sections verified)\n`;
  out += `  ${line(rows[0]!)}\n`;
  for (const row of rows.slice(1)) out += `  ${line(row)}\n`;
  out += `${r.modules.length} module(s), ${r.builtins.length} built-in object(s)`;
  if (r.engine === 'direct') out += `, ${r.actions.length === 0 ? 'nothing to do (up to date)' : `${r.actions.length} step(s) run`}`;
  return `${out}\n`;
}

/** Register the `build` command on `program`. */
export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('cross-build a driver tree (directly with the kernel\'s own flags, or --via-make through make -C KDIR M=...) and verify the results')
    .argument('[dir]', 'the driver tree (a directory with a Kbuild file or Makefile)', '.')
    .option('--arch <arch>', 'target architecture (only arm64)', 'arm64')
    .option('--kdir <dir>', 'kernel build tree (default: $KBUILDTS_KDIR, else the set-up cache\'s arm64 headers)')
    .option('-c, --config <file>', 'the .config to route against (default: DIR/.config)')
    .option('-o, --out <dir>', 'build directory (default: under the kbuildts cache)')
    .option('--cross-compile <prefix>', 'CROSS_COMPILE prefix', 'aarch64-linux-gnu-')
    .option('-j, --jobs <n>', 'parallel jobs (default: the number of CPUs)', (v) => Number.parseInt(v, 10))
    .option('--extra-symbols <files...>', 'Module.symvers of other trees (KBUILD_EXTRA_SYMBOLS)')
    .option('--via-make', 'build through the kernel\'s Kbuild (make -C KDIR M=...) instead of directly')
    .option('--cc-wrapper <cmd>', 'put CMD in front of every compile: ccache, distcc, or any command')
    .option('--cc <cmd>', 'the compiler command, replacing the kernel\'s as make CC=... does (default: $CC when set)')
    .option('--json', 'print one JSON document on stdout (for CI) instead of progress and a table')
    // kbuildts build --kernel: a whole kernel Image with a driver built in (./build-kernel.ts).
    .option('--kernel', 'build a kernel Image (tinyconfig + console + the driver built in, make O=...) instead of the driver tree alone')
    .option('--srctree <path>', 'with --kernel: the Linux source, a tarball or directory (default /usr/src/linux-source-6.1.tar.xz); a private copy is built')
    .option('--driver <dir>', 'with --kernel: the driver directory to build in (default samples/drivers/kbts/early)')
    .option('--enable <symbols...>', 'with --kernel: symbols to set =y (default: the driver\'s own)')
    .action(async (dir: string, opts: BuildCliOptions) => {
      // Loaded on demand (start-up of the other commands).
      if (opts.kernel) {
        const { runBuildKernel } = await import('./build-kernel.js');
        await runBuildKernel({ ...opts, srctree: opts.srctree as string | undefined, driver: opts.driver as string | undefined, enable: opts.enable as string[] | undefined });
        return;
      }
      const noop = await import('../noop.js');
      const cliArgs = process.argv.slice(2);
      // Inputs of the no-op stamp whose stats are taken before the build (an edit during the
      // build must not be recorded as built).
      const root = resolve(dir);
      const configFile = resolve(opts.config ?? join(root, '.config'));
      const before = opts.viaMake ? [] : [...noop.walkTree(root, new Set(opts.out ? [resolve(opts.out)] : [])), ...[noop.statOf(configFile)].filter((x) => x !== null)];
      const { default: cliProgress } = await import('cli-progress');
      const { KbuildError } = await import('../../kbuild/makefile.js');
      const { BuildError, buildTree } = await import('../../runner/build.js');
      const json = opts.json === true;
      const tty = process.stderr.isTTY === true && !json;
      let bar: cliProgressType.SingleBar | null = null;
      let done = 0;
      let buildDir = '';
      /** A step's target as Kbuild prints it: relative to the build directory. */
      const shown = (t: string): string => (buildDir && t.startsWith(`${buildDir}/`) ? t.slice(buildDir.length + 1) : shortPath(t));
      const onEvent = (e: BuildEvent): void => {
        if (json) return;
        if (e.type === 'plan') {
          buildDir = e.buildDir;
          process.stderr.write(`building ${shortPath(dir)} in ${e.buildDir}\n`);
          if (tty) {
            bar = new cliProgress.SingleBar(
              { format: '  {bar} {value}/{total}  {step}', hideCursor: true, clearOnComplete: true, stream: process.stderr },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.total, 0, { step: '' });
          }
        } else if (e.type === 'phase') {
          if (!tty) {
            if (opts.viaMake) process.stderr.write(`[${e.phase}]\n`);
          } else bar?.update(done, { step: e.phase });
        } else {
          if (e.counted) done++;
          if (tty) bar?.update(done, { step: `${e.verb} ${shown(e.target)}` });
          else if (e.ran !== false) process.stderr.write(`  ${e.verb.padEnd(8)} ${shown(e.target)}\n`);
        }
      };
      const ccEnv = process.env.CC?.trim();
      const ccLine = ccEnv && opts.cc === undefined && !json ? `compiler from the environment: CC=${ccEnv}\n` : '';
      process.stderr.write(ccLine);
      /** Write the no-op stamp after a direct build (see ../noop.ts). */
      const stamp = async (r: BuildResult, stdout: string, stderr: string): Promise<void> => {
        if (r.engine !== 'direct' || !r.kdir || !r.crossCompile) return;
        const { which } = await import('../../runner/toolchain.js');
        const { kflagsCacheFile } = await import('../../runner/kflags.js');
        const { cacheDir } = await import('../../runner/cache.js');
        const kdirFiles = ['Makefile', 'include/generated/utsrelease.h', 'include/generated/autoconf.h', 'include/config/auto.conf', 'Module.symvers',
          'scripts/mod/modpost', 'scripts/module.lds', 'scripts/genksyms/genksyms', 'scripts/basic/fixdep', `arch/${opts.arch}/Makefile`].map((f) => join(r.kdir!, f));
        const words = (v: string | undefined): string[] => (v ?? '').split(/\s+/).filter(Boolean);
        const tools = [`${r.crossCompile}gcc`, `${r.crossCompile}ld`, `${r.crossCompile}ar`, words(opts.cc ?? ccEnv)[0], words(opts.ccWrapper)[0]]
          .filter((t): t is string => t !== undefined)
          .map((t) => (t.includes('/') ? resolve(t) : which(t)))
          .filter((t): t is string => t !== undefined);
        let kflagsFile: string[] = [];
        try {
          kflagsFile = [await kflagsCacheFile(r.kdir, opts.arch, r.crossCompile)];
        } catch {
          return;
        }
        const extra = (opts.extraSymbols ?? []).map((f) => resolve(f));
        const after = [...kdirFiles, ...tools, ...kflagsFile, ...extra, join(cacheDir(), 'manifest.json')]
          .map((f) => noop.statOf(f) ?? ([f, 0, -1] as FileStat));
        noop.writeNoopStamp(cliArgs, r.buildDir, before, after, stdout, stderr);
      };
      try {
        const r = await buildTree({
          dir,
          arch: opts.arch as 'arm64',
          kdir: opts.kdir,
          configFile: opts.config,
          outDir: opts.out,
          crossCompile: opts.crossCompile,
          jobs: opts.jobs, // buildTree's default: every core
          extraSymbols: opts.extraSymbols,
          engine: opts.viaMake ? 'make' : 'direct',
          ccWrapper: opts.ccWrapper,
          cc: opts.cc ?? (ccEnv ? ccEnv : undefined),
          onEvent,
        });
        (bar as cliProgressType.SingleBar | null)?.stop();
        if (json) {
          const doc = (steps: BuildResult['actions'], messages: string[], upToDate: boolean): string =>
            `${JSON.stringify(
              {
                ok: true,
                engine: r.engine,
                buildDir: r.buildDir,
                kernelRelease: r.kernelRelease,
                modules: r.modules.map(({ name, object, ko, vermagic, size }) => ({ name, object, ko, vermagic, size })),
                builtins: r.builtins,
                archives: r.archives,
                symvers: r.symvers,
                steps,
                warnings: r.warnings,
                messages,
                // true when answered from the no-op stamp (nothing changed since the last build).
                ...(upToDate ? { noop: true } : {}),
              },
              null,
              2,
            )}\n`;
          process.stdout.write(doc(r.actions, r.messages, false));
          // A later run with nothing changed prints what a no-op build prints: no steps, no compiler messages.
          await stamp(r, doc([], [], true), ccLine);
          return;
        }
        for (const w of r.warnings) process.stderr.write(`${w}\n`);
        for (const m of r.messages) process.stderr.write(`${m}\n`);
        process.stdout.write(formatBuildTable(r));
        await stamp(
          r,
          formatBuildTable({ ...r, actions: [] }),
          `${ccLine}building ${shortPath(dir)} in ${r.buildDir}\nnothing changed since the last build\n${r.warnings.map((w) => `${w}\n`).join('')}`,
        );
      } catch (err) {
        (bar as cliProgressType.SingleBar | null)?.stop();
        if (err instanceof KbuildError || err instanceof BuildError) {
          if (json) {
            const diagnostics = err instanceof BuildError ? err.diagnostics : [];
            process.stdout.write(`${JSON.stringify({ ok: false, error: err.message, diagnostics }, null, 2)}\n`);
          } else process.stderr.write(`${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
