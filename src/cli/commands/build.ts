/** `kbuildts build`: stub; the owning module replaces this file. */
import type { Command } from 'commander';

/** Register the `build` command on `program`. */
export function registerBuild(program: Command): void {
  program.command('build').description('(not yet implemented)').action(() => {
    throw new Error('build is not implemented yet');
  });
}
