/**
 * `kbuildts config <mode> [FILE...] --srctree DIR --objtree DIR --arch ARCH --cross-compile PREFIX`:
 * configure a kernel tree as `make ARCH=... CROSS_COMPILE=... O=... <mode>` does with Linux 6.1 or
 * 6.12 scripts/kconfig (src/kconfig/config.ts runConfig); `config merge BASE FRAGMENT...` is
 * scripts/kconfig/merge_config.sh. KCONFIG_CONFIG, KCONFIG_ALLCONFIG,
 * KCONFIG_SEED and the other KCONFIG_* variables of the environment are honoured.
 * Exit status: 0; 1 for bad input (Kconfig errors as `file:line:col: message`, missing
 * defconfig file); 2 for a missing set-up part; 3 otherwise (src/cli/errors.ts).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CONF_MODES } from '../../kconfig/modes.js';
import { defaultCrossCompile } from '../../kconfig/environment.js';

/** All of stdin as conf reads it (bytes as latin1); empty when there is none. */
function readStdin(): string {
  try {
    return readFileSync(0, 'latin1');
  } catch {
    return '';
  }
}

/** Register the `config` command on `program`. */
export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('configure a kernel tree exactly as `make <mode>` does (Linux 6.1 or 6.12 scripts/kconfig, by the tree version)')
    .argument('<mode>', `one of: ${CONF_MODES.join(', ')}, <name>_defconfig, tinyconfig, <fragment>.config, merge`)
    .argument('[files...]', 'for defconfig: the defconfig file (default arch/$SRCARCH/configs/$KBUILD_DEFCONFIG); for savedefconfig: the output (default "defconfig"); for merge: BASE FRAGMENT...; for tinyconfig and <fragment>.config: extra fragments merged after the target\'s own')
    .option('--srctree <dir>', 'kernel source tree', '.')
    .option('--objtree <dir>', 'object tree (O=); default: the source tree')
    .option('--arch <arch>', 'ARCH', 'arm64')
    .option('--cross-compile <prefix>', 'CROSS_COMPILE (default for arm64: aarch64-linux-gnu-)')
    .option('-s, --silent', 'do not print "configuration written to" messages (conf -s)')
    .option('--no-probe-cache', 'run every $(shell) probe instead of replaying recorded answers (as KBUILDTS_PROBE_CACHE=0)')
    .option('--merge-only', 'merge: only merge the fragments into .config, run no mode (merge_config.sh -m)')
    .option('--allnoconfig', 'merge: run allnoconfig instead of alldefconfig on the merged file (merge_config.sh -n)')
    .option('--builtin', 'merge: a fragment\'s =m does not demote an existing =y (merge_config.sh -y)')
    .option('--warn-redundant', 'merge: report fragments that set a value already set (merge_config.sh -r)')
    .option('--strict', 'merge: a fragment that redefines a value is an error (merge_config.sh -s)')
    .addHelpText('after', `\nModes:\n  ${CONF_MODES.join('\n  ')}\n  <name>_defconfig   defconfig from arch/$SRCARCH/configs/<name>_defconfig\n  tinyconfig         allnoconfig + kernel/configs/tiny-base.config, then tiny.config merged\n  <fragment>.config  merge kernel/configs/<fragment>.config (and the arch one) into .config, olddefconfig\n  merge BASE FRAG... scripts/kconfig/merge_config.sh: merge the fragments onto BASE, then alldefconfig\n                     with KCONFIG_ALLCONFIG=<merged>, and report requested values that did not stick\n`)
    .action(async (mode: string, files: string[], opts: {
      srctree: string; objtree?: string; arch: string; crossCompile?: string; silent?: boolean; probeCache?: boolean;
      mergeOnly?: boolean; allnoconfig?: boolean; builtin?: boolean; warnRedundant?: boolean; strict?: boolean;
    }) => {
      const fragmentTarget = mode === 'merge' || mode === 'tinyconfig' || (mode.endsWith('.config') && !mode.endsWith('_defconfig'));
      if (!fragmentTarget && files.length > 1) {
        throw Object.assign(new Error(`${mode} takes at most one file (got ${files.length})`), { userError: true });
      }
      const file = fragmentTarget ? undefined : files[0];
      // The probe cache is read by the Kconfig front end (src/kconfig/probes.ts) from the environment.
      if (opts.probeCache === false) process.env.KBUILDTS_PROBE_CACHE = '0';
      // oldconfig/oldaskconfig/syncconfig ask questions: on a terminal with @inquirer prompts
      // (src/tui/oldconfig.ts); otherwise the answers are stdin's lines, as conf reads them.
      const asks = mode === 'oldconfig' || mode === 'oldaskconfig' || mode === 'syncconfig';
      if (asks && process.stdin.isTTY && process.stdout.isTTY) {
        const { runInteractiveConfig } = await import('../../tui/oldconfig.js');
        process.exitCode = await runInteractiveConfig({
          mode, srctree: opts.srctree, objtree: opts.objtree ?? opts.srctree, arch: opts.arch,
          crossCompile: opts.crossCompile ?? defaultCrossCompile(opts.arch), silent: opts.silent, frontEndSave: 'background',
        });
        return;
      }
      // Loaded on demand: `kbuildts --help` and the other commands do not pay for the Kconfig engine.
      const { runConfig } = await import('../../kconfig/config.js');
      const r = runConfig({
        mode,
        srctree: opts.srctree,
        objtree: opts.objtree ?? opts.srctree,
        arch: opts.arch,
        crossCompile: opts.crossCompile ?? defaultCrossCompile(opts.arch),
        defconfigFile: file,
        fragments: fragmentTarget ? files : undefined,
        merge: { mergeOnly: opts.mergeOnly, allnoconfig: opts.allnoconfig, builtin: opts.builtin, warnRedundant: opts.warnRedundant, strict: opts.strict },
        silent: opts.silent,
        input: asks && mode !== 'syncconfig' ? readStdin() : '',
        // conf's text is bytes (files are read as latin1): write the same bytes back out.
        onStdout: (t) => process.stdout.write(Buffer.from(t, 'latin1')),
        onStderr: (t) => process.stderr.write(Buffer.from(t, 'latin1')),
        collectOutput: false,
        // A missed front-end snapshot of a kernel tree is written by a detached process after
        // the outputs, not before the mode (0.8-0.9 s on arm64 6.1): see frontend-cache.ts.
        frontEndSave: 'background',
      });
      void r;
    });
}
