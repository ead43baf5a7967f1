/**
 * `kbuildts plan [DIR] [--config FILE] [--json]`: print the Kbuild routing table of a driver
 * tree (src/kbuild/plan.ts): each object of obj-y / obj-m / lib-y, built-in or module, its
 * composite parts, per-part flags and output, evaluated against a .config.
 * Exit status: 0, or 1 with `file:line:col: message` on stderr for bad makefiles or .config.
 */
import type { Command } from 'commander';

/** Register the `plan` command on `program`. */
export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('show how Kbuild routes a driver tree: built-in or module, composite parts, flags, outputs')
    .argument('[dir]', 'the driver tree (a directory with a Kbuild file or Makefile)', '.')
    .option('-c, --config <file>', 'the .config to evaluate against (default: DIR/.config)')
    .option('--json', 'print the routing as JSON')
    .action(async (dir: string, opts: { config?: string; json?: boolean }) => {
      const { formatPlan, planJson, planTree } = await import('../../kbuild/plan.js');
      const { KbuildError } = await import('../../kbuild/makefile.js');
      try {
        const routing = planTree({ dir, configFile: opts.config });
        process.stdout.write(opts.json ? `${JSON.stringify(planJson(routing), null, 2)}\n` : formatPlan(routing));
      } catch (err) {
        if (err instanceof KbuildError) {
          process.stderr.write(`${err.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw err;
      }
    });
}
