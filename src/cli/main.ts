/**
 * The kbuildts command line. It is thin on purpose: each command module in ./commands parses
 * its options and calls the typed library function that does the work.
 *
 * The installed command is ./kbuildts.cts, which runs this module from its bundle
 * (scripts/bundle-cli.mjs) with a V8 code cache, or imports it (`node dist/cli/main.js` also
 * works: the same output, without the launcher's node options and code cache).
 */
import type { Command as CommandClass } from 'commander';

void main(process.argv.slice(2));

/**
 * Run the command line `args` (process.argv without node and the script). Not awaited at the
 * top level: the bundle the launcher runs (scripts/bundle-cli.mjs) is CommonJS, which has no
 * top-level await.
 */
async function main(args: string[]): Promise<void> {
  // `kbuildts build` when nothing changed since the last build: answered from the stamp before
  // anything else is loaded (./noop.ts); every other case loads the CLI as usual.
  if (args[0] === 'build' && (await import('./noop.js')).tryNoop(args)) return;
  // Imported, not require()d through createRequire: the bundle then contains commander and the
  // code cache its compiled code (loaded from node_modules, it cost a warm config run ~10 ms).
  const { Command } = await import('commander');
  type Register = (program: CommandClass) => void;
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
