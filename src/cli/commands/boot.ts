/** `kbuildts boot`: stub; the owning module replaces this file. */
import type { Command } from 'commander';

/** Register the `boot` command on `program`. */
export function registerBoot(program: Command): void {
  program.command('boot').description('(not yet implemented)').action(() => {
    throw new Error('boot is not implemented yet');
  });
}
