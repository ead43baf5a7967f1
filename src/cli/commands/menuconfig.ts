/**
 * `kbuildts menuconfig [--srctree DIR] [--objtree DIR] [--arch ARCH]`: the menu-driven
 * configuration of `make ARCH=... menuconfig` (Linux 6.1 scripts/kconfig/mconf.c), drawn with
 * @inquirer prompts (src/tui/menuconfig.ts). Reads and writes KCONFIG_CONFIG (default .config)
 * in the object tree; saving writes .config (previous one kept as .config.old), then the
 * include/config/auto.conf, include/generated/autoconf.h outputs as syncconfig (run by the
 * next `make`) writes them; --no-syncconfig: as mconf alone, only when auto.conf is missing.
 * Exit status: 0; 1 for bad input or a write error; 3 otherwise (src/cli/errors.ts).
 */
import type { Command } from 'commander';

/** Register the `menuconfig` command on `program`. */
export function registerMenuconfig(program: Command): void {
  program
    .command('menuconfig')
    .description('browse and edit the configuration in menus, as `make menuconfig` does (Linux 6.1 mconf)')
    .option('--srctree <dir>', 'kernel source tree', '.')
    .option('--objtree <dir>', 'object tree (O=), where .config is; default: the source tree')
    .option('--arch <arch>', 'ARCH', 'arm64')
    .option('--cross-compile <prefix>', 'CROSS_COMPILE (default for arm64: aarch64-linux-gnu-)')
    .option('--no-syncconfig', 'after saving, write auto.conf/autoconf.h only when they do not exist yet (exactly mconf; the next `make` syncs them)')
    .option('-s, --silent', 'no "configuration written" / "End of the configuration" messages (mconf -s)')
    .action(async (opts: { srctree: string; objtree?: string; arch: string; crossCompile?: string; syncconfig?: boolean; silent?: boolean }) => {
      const { runMenuconfig } = await import('../../tui/menuconfig.js');
      process.exitCode = await runMenuconfig({
        srctree: opts.srctree,
        objtree: opts.objtree ?? opts.srctree,
        arch: opts.arch,
        crossCompile: opts.crossCompile,
        syncconfig: opts.syncconfig !== false,
        silent: opts.silent,
        // A missed front-end snapshot of a kernel tree is written by a detached process.
        frontEndSave: 'background',
      });
    });
}
