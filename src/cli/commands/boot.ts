/**
 * `kbuildts boot`: boot the arm64 kernel in QEMU with an initramfs that loads the given modules
 * with their parameters, unloads them, and powers off; print the console and a summary.
 * Exit status 0 only when the boot was ok (see BootResult.ok in src/runner/boot.ts), 1 otherwise.
 */
import { Command, Option } from 'commander';
import type { BootModule, BootResult } from '../../runner/boot.js';
import { errnoName } from '../../runner/initramfs.js';
import { normalizeModuleName } from '../../runner/modinfo.js';
import { basename } from 'node:path';

/** A CLI input error (exit status 1, one line on stderr). */
function usageError(message: string): Error {
  return Object.assign(new Error(message), { userError: true });
}

/**
 * Split an `--insmod` value into the module path and its parameters. Words are separated by
 * white space; double quotes group a value with spaces and are kept, as the kernel's parameter
 * parser strips them (kernel/params.c next_arg): `hello.ko whom="big world" count=3` gives
 * path "hello.ko" and params ['whom="big world"', 'count=3'].
 * @throws Error (userError) for an empty value, an unclosed quote, or a parameter without `=`
 *   that is not a bool flag name.
 */
export function parseInsmodSpec(spec: string): BootModule {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (const ch of spec) {
    if (ch === '"') {
      quoted = !quoted;
      cur += ch;
      inWord = true;
    } else if (/\s/.test(ch) && !quoted) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quoted) throw usageError(`--insmod '${spec}': unclosed double quote`);
  if (inWord) words.push(cur);
  if (words.length === 0) throw usageError('--insmod needs a .ko file');
  const [path, ...params] = words;
  return { path: path.replace(/"/g, ''), params };
}

/** Which module an `--param MODULE=...` refers to: by file name, with `-` and `_` alike. */
function moduleKey(path: string): string {
  return normalizeModuleName(basename(path).replace(/\.ko$/, ''));
}

/** A one-line-per-item summary of a boot for people. */
export function formatSummary(r: BootResult, kernel: string): string {
  const out: string[] = [];
  out.push(`kbuildts boot: ${kernel}, ${(r.durationMs / 1000).toFixed(1)} s${r.timedOut ? ' (timed out)' : ''}`);
  for (const i of r.inits) {
    const name = errnoName(i.rc);
    const rc = Number.isNaN(i.rc) ? 'no result' : `rc=${i.rc}${name ? ` (${name})` : ''}`;
    out.push(`  insmod ${i.module}${i.params.length ? ` ${i.params.join(' ')}` : ''}: ${rc}`);
  }
  for (const rm of r.rmmods) out.push(`  rmmod ${rm.module}: rc=${rm.rc}${errnoName(rm.rc) ? ` (${errnoName(rm.rc)})` : ''}`);
  out.push(r.ok ? 'result: OK' : `result: FAILED (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})`);
  for (const p of r.problems) out.push(`  - ${p}`);
  return `${out.join('\n')}\n`;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** Register the `boot` command on `program`. */
export function registerBoot(program: Command): void {
  program
    .command('boot')
    .description('boot an arm64 kernel in QEMU, insmod the given modules (dependency order) with their parameters, lsmod, rmmod, power off')
    .addOption(new Option('--arch <arch>', 'target architecture').choices(['arm64']).default('arm64'))
    .option('--insmod <spec>', "module and its parameters as one word: 'PATH.ko [name=value ...]' (repeatable)", collect)
    .option('--param <module=name=value>', 'one more parameter for the module whose file is MODULE.ko (repeatable)', collect)
    .option('--expect <text>', 'console text that must appear; /REGEX/ for a regular expression (repeatable)', collect)
    .option('--kernel <image>', 'kernel Image to boot (default: the Debian arm64 image from `npm run setup`)')
    .option('--append <args>', 'extra kernel command line, e.g. "initcall_debug loglevel=8"')
    .option('--timeout <seconds>', 'kill QEMU after this long', '120')
    .option('--quiet', 'do not print the console, only the summary')
    .option('--json', 'print the result as JSON instead of the console and summary')
    .addHelpText(
      'after',
      `
Module parameters go with the module, in insmod syntax; quote the whole --insmod value:
  kbuildts boot --insmod 'hello.ko whom=world count=3' --insmod dep.ko
  kbuildts boot --insmod hello.ko --param hello=whom=world --param hello=count=3
A value with spaces takes double quotes inside:  --insmod 'hello.ko whom="big world"'
Modules load in dependency order (modinfo depends=), whatever order they are given in, and
unload in reverse. The boot is OK (exit 0) only when every insmod and rmmod returned 0, every
--expect text appeared, and the kernel printed no Oops, BUG, WARNING, "Unable to handle" or
"Call trace". Console markers: KBUILDTS-INSMOD <name> rc=<n> (n: 0 or -errno), KBUILDTS-RMMOD,
KBUILDTS-LSMOD-BEGIN/END, KBUILDTS-DONE.
Built-in drivers: --kernel Image --append "initcall_debug loglevel=8" (no --insmod needed).`,
    )
    .action(async (opts: {
      arch: string; insmod?: string[]; param?: string[]; expect?: string[]; kernel?: string; append?: string;
      timeout: string; quiet?: boolean; json?: boolean;
    }) => {
      const modules = (opts.insmod ?? []).map(parseInsmodSpec);
      for (const p of opts.param ?? []) {
        const m = /^([^=]+)=(.+)$/.exec(p);
        if (!m) throw usageError(`--param '${p}': expected MODULE=name=value (e.g. hello=whom=world)`);
        const key = normalizeModuleName(m[1].replace(/\.ko$/, ''));
        const target = modules.find((mod) => moduleKey(mod.path) === key);
        if (!target) throw usageError(`--param '${p}': no --insmod module named ${m[1]} (have: ${modules.map((x) => moduleKey(x.path)).join(', ') || 'none'})`);
        target.params = [...(target.params ?? []), m[2]];
      }
      const timeout = Number(opts.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw usageError(`--timeout '${opts.timeout}': expected a number of seconds`);
      const expect = (opts.expect ?? []).map((e) => (e.length > 2 && e.startsWith('/') && e.endsWith('/') ? new RegExp(e.slice(1, -1)) : e));
      const stream = !opts.quiet && !opts.json;
      const { bootArm64 } = await import('../../runner/boot.js');
      const { builtinVerdictsForImage, formatVerdicts } = await import('../../runner/initcalls.js');
      const result = await bootArm64({
        kernel: opts.kernel,
        modules,
        expect,
        append: opts.append,
        timeoutMs: timeout * 1000,
        onOutput: stream ? (chunk) => process.stdout.write(chunk.replace(/\r\n/g, '\n')) : undefined,
      });
      // A kernel from `kbuildts build --kernel`: judge its built-in driver's initcall (src/runner/initcalls.ts).
      const builtin = opts.kernel ? builtinVerdictsForImage(opts.kernel, result.console) : null;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...result, expect: opts.expect ?? [], ...(builtin ? { builtin: builtin.verdicts } : {}) }, null, 2)}\n`);
      } else {
        process.stdout.write(`${stream ? '\n' : ''}${formatSummary(result, result.command[result.command.indexOf('-kernel') + 1])}`);
        if (builtin) process.stdout.write(formatVerdicts(builtin.record, builtin.verdicts));
      }
      process.exitCode = result.ok && (!builtin || (builtin.verdicts.length > 0 && builtin.verdicts.every((v) => v.ok))) ? 0 : 1;
    });
}
