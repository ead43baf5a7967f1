/**
 * Boot an arm64 kernel under QEMU (TCG) with an initramfs that loads and unloads the given
 * modules, and judge the result from the serial console.
 *
 * The machine: `qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512 -nographic -nic none
 * -kernel IMAGE -initrd initramfs.cpio.gz -append "console=ttyAMA0 panic=-1 cryptomgr.notests=1 ..."
 * -no-reboot` (the Debian arm64 vmlinuz is an uncompressed Image with an EFI stub header, which
 * -kernel takes as is; `-nic none` because the default NIC needs an ipxe ROM that is not
 * installed; panic=-1 with -no-reboot makes a panic end QEMU). Kernel parameters:
 * Documentation/admin-guide/kernel-parameters.txt; module parameters:
 * Documentation/admin-guide/kernel-parameters.rst ("module parameters ... insmod").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { loadArm64, loadManifest } from './cache.js';
import { buildInitramfs, parseMarkers, type InitModule } from './initramfs.js';
import { modloadHelper } from './modload.js';
import { ModInfoError, missingDependencies, orderByDependencies, readModinfo, type ModInfo } from './modinfo.js';
import { ToolchainError, which } from './toolchain.js';

/** A module to load, with its parameters. */
export interface BootModule {
  /** Path of the .ko (absolute or relative to the cwd). */
  path: string;
  /** Parameters in insmod form, e.g. ["whom=world", "count=3"]. */
  params?: string[];
}

/** Options for {@link bootArm64}. */
export interface BootOptions {
  /** Kernel Image to boot; default the Debian arm64 image from `npm run setup`. */
  kernel?: string;
  /** Modules to load, in any order: they are loaded in dependency order (`depends=`). */
  modules?: BootModule[];
  /** Lines that must appear on the console: a string matches as a substring, a RegExp by test(). */
  expect?: (string | RegExp)[];
  /** Extra kernel command line, appended to "console=ttyAMA0 panic=-1 cryptomgr.notests=1". */
  append?: string;
  /** Kill QEMU after this many milliseconds (default 120000). */
  timeoutMs?: number;
  /** Called with console output as it arrives (raw chunks, CR LF line ends). */
  onOutput?: (chunk: string) => void;
  /** Static arm64 busybox for the initramfs; default the one from `npm run setup`. */
  busybox?: string;
  /** Guest memory in MiB (default 512). */
  memoryMiB?: number;
}

/** The result of one boot. */
export interface BootResult {
  /** Everything the serial console printed, with `\n` line ends. */
  console: string;
  /** insmod results in load order: rc 0 or the negative errno finit_module returned (e.g. -19); NaN when none was printed. */
  inits: { module: string; path: string; params: string[]; rc: number }[];
  /** rmmod results (reverse load order; only modules that loaded). */
  rmmods: { module: string; rc: number }[];
  /** Module names lsmod showed while all were loaded. */
  lsmod: string[];
  /**
   * Initcalls reported with `initcall_debug` (and loglevel=8 to show them on the console):
   * "initcall hello_init+0x0/0x28 returned 0 after 3 usecs" (built in) or
   * "initcall kbt_hello_init+0x0/0x1000 [kbt_hello] returned 0 ..." (module: `module` set).
   */
  initcalls: { fn: string; module?: string; rc: number }[];
  /**
   * True only when every insmod returned 0, every rmmod worked, every expected line appeared,
   * the init script finished, and the kernel printed no Oops/BUG/WARNING/"Unable to handle"/
   * "Call trace"/panic.
   */
  ok: boolean;
  /** Why ok is false, one sentence each (empty when ok). */
  problems: string[];
  /** The QEMU argv that ran. */
  command: string[];
  /** Wall time from QEMU start to exit, milliseconds. */
  durationMs: number;
  /** True when QEMU was killed at timeoutMs. */
  timedOut: boolean;
}

/** Kernel messages that mean something went wrong, and how to name them. */
const TROUBLE: [RegExp, string][] = [
  [/Internal error: Oops|\bOops\b/, 'Oops'],
  [/\bBUG: |kernel BUG at/, 'BUG'],
  [/\bWARNING: /, 'WARNING'],
  [/Unable to handle kernel/, 'Unable to handle kernel ...'],
  [/Call trace:/i, 'Call trace'],
  [/Kernel panic - not syncing/, 'Kernel panic'],
];

/**
 * Order modules and read their modinfo, checking that they are for arm64.
 * @returns modules in load order with their modinfo.
 * @throws ModInfoError for a file that is not an arm64 kernel module or a dependency cycle.
 */
export async function planModules(modules: readonly BootModule[]): Promise<{ mod: BootModule; info: ModInfo }[]> {
  const withInfo = await Promise.all(modules.map(async (mod) => {
    const info = await readModinfo(resolve(mod.path));
    if (info.arch !== 'arm64') throw new ModInfoError(`${mod.path} is built for ${info.arch}, not arm64 (build it with ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)`);
    return { mod, info };
  }));
  return orderByDependencies(withInfo);
}

/**
 * Boot the arm64 kernel in QEMU, insmod the modules (dependency order) with their parameters,
 * lsmod, rmmod them in reverse order, power off, and judge the console.
 * Never throws for a failed boot (see {@link BootResult.ok} and problems).
 * @throws SetupMissingError when the default kernel/busybox is needed and setup has not run;
 *   ToolchainError when qemu-system-aarch64 is missing (Debian package qemu-system-arm);
 *   ModInfoError for a module file that is not an arm64 module.
 */
export async function bootArm64(opts: BootOptions): Promise<BootResult> {
  const qemu = which('qemu-system-aarch64');
  if (!qemu) throw new ToolchainError('qemu-system-aarch64 not found on PATH: install the Debian package qemu-system-arm (`npm run setup` does)');
  const needSetup = opts.kernel === undefined || opts.busybox === undefined;
  const arm64 = needSetup ? loadArm64() : loadManifest().arm64;
  const kernel = resolve(opts.kernel ?? arm64!.vmlinuz);
  const busybox = opts.busybox ?? arm64!.busybox;
  const plan = await planModules(opts.modules ?? []);
  const problems: string[] = [];
  for (const m of missingDependencies(plan)) problems.push(`${m.module} depends on ${m.needs}, which was not given (load it too)`);
  if (opts.kernel === undefined && arm64) {
    for (const { info } of plan) {
      const release = info.vermagic.split(' ')[0];
      if (release !== arm64.kernelRelease) problems.push(`${info.path} was built for ${release || 'an unknown kernel'} (vermagic), the kernel is ${arm64.kernelRelease}: rebuild it against the setup KDIR`);
    }
  }
  const initModules: InitModule[] = plan.map(({ mod, info }) => ({ name: info.name, path: resolve(mod.path), params: mod.params ?? [] }));
  const work = mkdtempSync(join(tmpdir(), 'kbuildts-boot-'));
  try {
    const initrd = join(work, 'initramfs.cpio.gz');
    const modload = initModules.length > 0 ? await modloadHelper() : undefined;
    writeFileSync(initrd, buildInitramfs({ busybox, modload, modules: initModules }));
    const append = ['console=ttyAMA0', 'panic=-1', 'cryptomgr.notests=1', opts.append ?? ''].filter(Boolean).join(' ');
    const args = ['-M', 'virt', '-cpu', 'cortex-a57', '-m', String(opts.memoryMiB ?? 512), '-nographic', '-nic', 'none',
      '-kernel', kernel, '-initrd', initrd, '-append', append, '-no-reboot'];
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const started = Date.now();
    const child = execa(qemu, args, { reject: false, all: true, stdin: 'ignore', timeout: timeoutMs, forceKillAfterDelay: 2000 });
    if (opts.onOutput) {
      const cb = opts.onOutput;
      child.all?.on('data', (chunk: Buffer) => cb(chunk.toString('utf8')));
    }
    const r = await child;
    const durationMs = Date.now() - started;
    const consoleText = String(r.all ?? '').replace(/\r\n/g, '\n').replace(/\r/g, '');
    const markers = parseMarkers(consoleText);

    if (r.timedOut) problems.push(`QEMU did not power off within ${timeoutMs} ms (killed)`);
    else if (r.exitCode !== 0) problems.push(`QEMU exited with status ${r.exitCode}${/qemu-system-aarch64: /.test(consoleText) ? `: ${/qemu-system-aarch64: (.*)/.exec(consoleText)![1]}` : ''}`);
    if (!markers.started) problems.push('the initramfs /init never ran (no "KBUILDTS-INIT start" line): does the kernel have BLK_DEV_INITRD, RD_GZIP, BINFMT_SCRIPT, BINFMT_ELF?');
    else if (!markers.done && !r.timedOut) problems.push('the /init script did not finish (no "KBUILDTS-DONE" line)');

    const inits = initModules.map((m) => {
      const found = markers.inits.find((i) => i.module === m.name);
      if (!found && markers.started) problems.push(`no insmod result for ${m.name}`);
      else if (found && found.rc !== 0) problems.push(`insmod ${m.name} failed: rc=${found.rc}`);
      return { module: m.name, path: m.path, params: m.params, rc: found ? found.rc : Number.NaN };
    });
    for (const rm of markers.rmmods) if (rm.rc !== 0) problems.push(`rmmod ${rm.module} failed: rc=${rm.rc}`);
    for (const i of inits) {
      if (i.rc === 0 && markers.done && !markers.rmmods.some((rm) => rm.module === i.module)) problems.push(`no rmmod result for ${i.module}`);
    }
    for (const [re, name] of TROUBLE) {
      const m = re.exec(consoleText);
      if (m) {
        const lineStart = consoleText.lastIndexOf('\n', m.index) + 1;
        const lineEnd = consoleText.indexOf('\n', m.index);
        problems.push(`the kernel reported ${name}: ${consoleText.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).trim()}`);
      }
    }
    for (const e of opts.expect ?? []) {
      const hit = typeof e === 'string' ? consoleText.includes(e) : e.test(consoleText);
      if (!hit) problems.push(`expected console text not found: ${typeof e === 'string' ? JSON.stringify(e) : String(e)}`);
    }
    const initcalls = [...consoleText.matchAll(/initcall (\S+?)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: \[(\S+)\])? returned (-?\d+)/g)].map(
      (m) => (m[2] ? { fn: m[1], module: m[2], rc: Number(m[3]) } : { fn: m[1], rc: Number(m[3]) }),
    );
    return {
      console: consoleText,
      inits,
      rmmods: markers.rmmods,
      lsmod: markers.lsmod,
      initcalls,
      ok: problems.length === 0,
      problems,
      command: [qemu, ...args],
      durationMs,
      timedOut: r.timedOut,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
