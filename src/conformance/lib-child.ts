/**
 * Child process for the conformance sweep's "lib" driver: runs kbuildts's runConfig() (from
 * src/kconfig/config.ts) for one configuration, so the sweep can run it concurrently with the C
 * conf. Invoked as `node dist/conformance/lib-child.js '<json>'` where the JSON is
 * `{mode, srctree, objtree, arch, crossCompile?, defconfigFile?}`; the environment of the
 * process is used exactly (`exactEnv`), as the oracle's conf gets it.
 *
 * Exit status: 0 on success; 1 when runConfig throws (message on stderr), as conf exits 1.
 */
import { runConfig } from '../kconfig/config.js';

interface ChildArgs {
  mode: string;
  srctree: string;
  objtree: string;
  arch: string;
  crossCompile?: string;
  defconfigFile?: string;
}

function main(): number {
  const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  try {
    const r = runConfig({ ...args, exactEnv: env, silent: true });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return 0;
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    return 1;
  }
}

process.exitCode = main();
