/** `kbuildts config`: stub; the owning module replaces this file. */
import type { Command } from 'commander';

/** Register the `config` command on `program`. */
export function registerConfig(program: Command): void {
  program.command('config').description('(not yet implemented)').action(() => {
    throw new Error('config is not implemented yet');
  });
}
