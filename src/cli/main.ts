#!/usr/bin/env -S node --max-semi-space-size=128 --min-semi-space-size=128
/**
 * The kbuildts command line. It is thin on purpose: each command module in ./commands parses
 * its options and calls the typed library function that does the work.
 *
 * The `#!` line gives V8 a young generation of 128 MB semi-spaces from the start (the default
 * starts at 1 MB and grows to 16 MB). A config run allocates its whole Kconfig tree at once and
 * keeps it: with the default, V8 scavenges a dozen times and copies the live tree twice (into the
 * other semi-space, then into the old generation), some 70 ms of a 0.5 s warm allyesconfig and
 * 90 ms of a parsed one on the 6.1 arm64 tree; with this setting it does not collect at all.
 * Peak RSS, measured when the setting came in: 132 -> 124 MB warm, 144 -> 180 MB with the tree
 * parsed. `env -S` is GNU coreutils 8.30+ and BSD env. `node dist/cli/main.js` runs without the setting; the same output, more GC.
 */
import { createRequire } from 'node:module';

// `kbuildts build` when nothing changed since the last build: answered from the stamp before
// anything else is loaded (./noop.ts); every other case loads the CLI as usual.
const args = process.argv.slice(2);
if (!(args[0] === 'build' && (await import('./noop.js')).tryNoop(args))) {
  // commander is CommonJS: require() loads it without the ESM loader's translation of a CJS
  // package (which parses its sources for export names), some 4 ms less on every command.
  const { Command } = createRequire(import.meta.url)('commander') as typeof import('commander');
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

  program.parseAsync(process.argv).then(
    () => {
      if (args[0] === 'config') exitOnceFlushed();
    },
    (err: unknown) => {
      process.exitCode = reportError(err);
    },
  );
}

/**
 * End the process now (with process.exitCode) when stdout and stderr hold nothing unwritten;
 * otherwise leave it to end by itself once they drain. For commands whose work is over when
 * their action's promise settles (`config`: its outputs are written synchronously, and the
 * interactive oldconfig's worker has written them before it answers): returning to the event
 * loop would first run the garbage collections V8 scheduled during the run, 20-50 ms of copying
 * a Kconfig tree in a heap that is about to be discarded.
 */
function exitOnceFlushed(): void {
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
}
