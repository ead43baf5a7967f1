/** `kbuildts new driver NAME`: scaffold a driver and wire it into its parent (src/scaffold/new-driver.ts). */
import type { Command } from 'commander';

/** Register the `new` command group on `program`. */
export function registerNew(program: Command): void {
  const group = program.command('new').description('scaffold new kernel code from templates/');
  group
    .command('driver <name>')
    .description('create <parent>/<name>/{Kconfig,Makefile,<name>.c} and add `source` and `obj-$(CONFIG_X) += <name>/` to the parent')
    .requiredOption('-p, --parent <dir>', 'directory that receives the driver (has a Kconfig and a Makefile or Kbuild)')
    .option('--srctree <dir>', 'tree root that `source` paths are relative to (default: nearest ancestor whose Kconfig has mainmenu)')
    .option('-d, --description <text>', 'one-line description (prompt, help, MODULE_DESCRIPTION)')
    .option('--symbol <SYM>', 'Kconfig symbol without CONFIG_ (default: NAME upper-cased)')
    .action(async (name: string, o: { parent: string; srctree?: string; description?: string; symbol?: string }) => {
      const { newDriver } = await import('../../scaffold/new-driver.js');
      const r = newDriver({ name, parent: o.parent, srctree: o.srctree, description: o.description, symbol: o.symbol });
      for (const f of r.created) process.stdout.write(`  CREATE  ${f}\n`);
      for (const f of r.edited) process.stdout.write(`  EDIT    ${f}\n`);
      process.stdout.write(`CONFIG_${r.symbol} is ready: enable it with 'kbuildts config' or menuconfig.\n`);
    });
}
