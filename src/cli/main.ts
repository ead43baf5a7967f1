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
  type Register = (program: InstanceType<typeof Command>) => void;
  /** Each command's module; only the one named on the command line is loaded (all for help). */
  const COMMANDS: Record<string, () => Promise<Register>> = {
    config: async () => (await import('./commands/config.js')).registerConfig,
    plan: async () => (await import('./commands/plan.js')).registerPlan,
    build: async () => (await import('./commands/build.js')).registerBuild,
    boot: async () => (await import('./commands/boot.js')).registerBoot,
    new: async () => (await import('./commands/new.js')).registerNew,
    inspect: async () => (await import('./commands/inspect.js')).registerInspect,
    menuconfig: async () => (await import('./commands/menuconfig.js')).registerMenuconfig,
  };
  const named = args[0] !== undefined && Object.hasOwn(COMMANDS, args[0]) ? [COMMANDS[args[0]]] : Object.values(COMMANDS);
  const [{ reportError }, ...registers] = await Promise.all([import('./errors.js'), ...named.map((load) => load())]);

  const program = new Command();
  program
    .name('kbuildts')
    .description('Kconfig and Kbuild for TypeScript: configure kernels as scripts/kconfig does, cross-build drivers, boot them in QEMU')
    .version('0.1.0');

  for (const register of registers) register(program);

  program.parseAsync(process.argv).catch((err: unknown) => {
    process.exitCode = reportError(err);
  });
}
