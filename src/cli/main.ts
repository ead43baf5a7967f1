#!/usr/bin/env node
/**
 * The kbuildts command line. It is thin on purpose: each command module in ./commands parses
 * its options and calls the typed library function that does the work.
 */
// `kbuildts build` when nothing changed since the last build: answered from the stamp before
// anything else is loaded (./noop.ts); every other case loads the CLI as usual.
const args = process.argv.slice(2);
if (!(args[0] === 'build' && (await import('./noop.js')).tryNoop(args))) {
  const { Command } = await import('commander');
  const [{ registerConfig }, { registerPlan }, { registerBuild }, { registerBoot }, { registerNew }, { registerInspect }, { registerMenuconfig }, { reportError }] = await Promise.all([
    import('./commands/config.js'),
    import('./commands/plan.js'),
    import('./commands/build.js'),
    import('./commands/boot.js'),
    import('./commands/new.js'),
    import('./commands/inspect.js'),
    import('./commands/menuconfig.js'),
    import('./errors.js'),
  ]);

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
}
