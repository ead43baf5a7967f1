/** `kbuildts plan`: stub; the owning module replaces this file. */
import type { Command } from 'commander';

/** Register the `plan` command on `program`. */
export function registerPlan(program: Command): void {
  program.command('plan').description('(not yet implemented)').action(() => {
    throw new Error('plan is not implemented yet');
  });
}
