#!/usr/bin/env node
/**
 * The kbuildts command line. It is thin on purpose: each command module in ./commands parses
 * its options and calls the typed library function that does the work.
 */
import { Command } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerPlan } from './commands/plan.js';
import { registerBuild } from './commands/build.js';
import { registerBoot } from './commands/boot.js';
import { registerNew } from './commands/new.js';
import { registerInspect } from './commands/inspect.js';
import { registerMenuconfig } from './commands/menuconfig.js';
import { reportError } from './errors.js';

const program = new Command();
program
  .name('kbuildts')
  .description('Kconfig and Kbuild for TypeScript: configure kernels as scripts/kconfig does, cross-build drivers, boot them in QEMU')
  .version('0.1.0');

registerConfig(program);
registerPlan(program);
registerBuild(program);
registerBoot(program);
registerNew(program);
registerInspect(program);
registerMenuconfig(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportError(err);
});
