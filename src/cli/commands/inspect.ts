/**
 * `kbuildts inspect FILE.o|FILE.ko [--json]`: built-in or module, initcall level and entry,
 * modinfo, parameters, exports, undefined symbols and __versions of one kernel object.
 * The work is in src/runner/inspect.ts.
 */
import type { Command } from 'commander';

/** Register the `inspect` command on `program`. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show what a kernel object (.o or .ko) is: built-in or module, initcall, modinfo, parameters, exports, needed symbols')
    .argument('<file>', 'a .o or .ko file')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const { formatInspect, inspectObject } = await import('../../runner/inspect.js');
      const r = await inspectObject(file);
      process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : formatInspect(r));
    });
}
