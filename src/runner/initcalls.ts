/**
 * Proving at boot that a built-in driver's init ran at its initcall level.
 *
 * Two sources, matched against each other:
 *  - The kernel's System.map (`nm -n vmlinux`, filtered: scripts/mksysmap). Every initcall is a
 *    symbol `__initcall__kmod_<modname>__<counter>_<line>_<fn><id>` in the section `.initcall<id>.init`
 *    (include/linux/init.h: __initcall_id, __initcall_name, __define_initcall; id is `early`,
 *    0..7, `rootfs`, or a level followed by `s` for the *_sync variants). The sections are laid
 *    out in level order between the linker-script symbols `__initcall_start`, `__initcall0_start`
 *    ... `__initcall7_start`, `__initcall_end` (include/asm-generic/vmlinux.lds.h INIT_CALLS), so
 *    an initcall's level is read from where its address falls, and the name only tells a level
 *    from its `s` (sync) variant.
 *  - The console of a boot with `initcall_debug` (Documentation/admin-guide/kernel-parameters.txt)
 *    and loglevel=8 (the messages are KERN_DEBUG): init/main.c prints
 *    `calling  <fn>+0x0/0x.. @ <pid>` before and `initcall <fn>+0x0/0x.. returned <rc> after <n> usecs`
 *    after each call (function names need CONFIG_KALLSYMS; without it they are addresses).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readElf } from './elf.js';

/** What OUT/kbuildts-kernel.json records, for `kbuildts boot` (see src/runner/initcalls.ts). */
export interface KernelBuildRecord {
  /** The driver directory given (absolute). */
  driver: string;
  /** Its place in the kernel tree, e.g. `drivers/early`. */
  relDir: string;
  /** The wiring symbol, e.g. KBTS_EARLY. */
  symbol: string;
  /** Symbols set =y for it. */
  enabled: string[];
  /** Its objects' KBUILD_MODNAMEs, e.g. ["kbts_early"]. */
  objects: string[];
  /** The private tree and the source it came from. */
  srcDir: string;
  source: string;
  kernelVersion: string;
}

/** The name of the build record in OUT. */
export const KERNEL_RECORD = 'kbuildts-kernel.json';

/** The initcall levels in order, with the macro that selects each (include/linux/init.h). */
export const INITCALL_LEVELS: { id: string; name: string }[] = [
  { id: 'early', name: 'early_initcall' },
  { id: '0', name: 'pure_initcall' },
  { id: '1', name: 'core_initcall' },
  { id: '2', name: 'postcore_initcall' },
  { id: '3', name: 'arch_initcall' },
  { id: '4', name: 'subsys_initcall' },
  { id: '5', name: 'fs_initcall' },
  { id: 'rootfs', name: 'rootfs_initcall' },
  { id: '6', name: 'device_initcall (module_init)' },
  { id: '7', name: 'late_initcall' },
];

/** One initcall found in System.map. */
export interface InitcallSymbol {
  /** The symbol, e.g. `__initcall__kmod_kbts_early__232_25_kbts_early_init4`. */
  symbol: string;
  /** Its address. */
  address: bigint;
  /** The KBUILD_MODNAME of the object that defines it, e.g. `kbts_early`. */
  modname: string;
  /** The function, e.g. `kbts_early_init`. */
  fn: string;
  /** The source line of the *_initcall() macro. */
  line: number;
  /** The level from the address: `early`, `0`..`7`, `rootfs` (null when outside every level). */
  level: string | null;
  /** The section id: the level, with `s` for the sync variant (`4s`), e.g. `.initcall4.init` has id `4`. */
  id: string | null;
  /** The section it lives in, e.g. `.initcall4.init`. */
  section: string | null;
}

/**
 * Read the initcalls from a System.map text (`<hex address> <type> <name>` lines).
 * @returns every `__initcall__kmod_...` symbol with its level, in address (call) order.
 */
export function readInitcalls(systemMap: string): InitcallSymbol[] {
  const bounds: { id: string; address: bigint }[] = [];
  let end: bigint | null = null;
  const raw: { symbol: string; address: bigint }[] = [];
  for (const line of systemMap.split('\n')) {
    const m = /^([0-9a-fA-F]+) \S (\S+)$/.exec(line);
    if (!m) continue;
    const address = BigInt(`0x${m[1]}`);
    const name = m[2];
    if (name === '__initcall_start') bounds.push({ id: 'early', address });
    else if (name === '__initcall_end') end = address;
    else {
      const b = /^__initcall(\d|rootfs)_start$/.exec(name);
      if (b) bounds.push({ id: b[1], address });
      else if (name.startsWith('__initcall__kmod_')) raw.push({ symbol: name, address });
    }
  }
  bounds.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : INITCALL_LEVELS.findIndex((l) => l.id === a.id) - INITCALL_LEVELS.findIndex((l) => l.id === b.id)));
  const levelAt = (address: bigint): string | null => {
    if (end !== null && address >= end) return null;
    let level: string | null = null;
    for (const b of bounds) if (address >= b.address) level = b.id;
    return level;
  };
  const out: InitcallSymbol[] = [];
  for (const r of raw.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))) {
    const m = /^__initcall__kmod_(.+?)__(\d+)_(\d+)_(.+)$/.exec(r.symbol);
    if (!m) continue;
    const level = levelAt(r.address);
    let fn = m[4];
    let id: string | null = null;
    if (level !== null) {
      if (fn.endsWith(`${level}s`)) id = `${level}s`;
      else if (fn.endsWith(level)) id = level;
      if (id) fn = fn.slice(0, -id.length);
    }
    out.push({
      symbol: r.symbol, address: r.address, modname: m[1], fn, line: Number(m[3]), level, id,
      section: id === null ? null : `.initcall${id}.init`,
    });
  }
  return out;
}

/** One initcall as the console showed it. */
export interface ConsoleInitcall {
  /** The function name as printed (`kbts_early_init`), or the address without KALLSYMS. */
  fn: string;
  /** The return value, or null when the `initcall ... returned` line is missing (hung or crashed). */
  rc: number | null;
  /** The duration printed, microseconds, or null. */
  usecs: number | null;
  /** Lines the kernel printed between `calling` and `initcall ... returned`: the init's own output. */
  output: string[];
  /** Index of this call among all `calling` lines (0-based): the order they ran in. */
  order: number;
}

const PREFIX = String.raw`^(?:<\d+>)?(?:\[\s*\d+\.\d+\]\s*)?`;

/**
 * Parse the `calling` / `initcall ... returned` lines of an initcall_debug console.
 * @returns the built-in initcalls in the order they were called (module inits, with a
 *   `[module]` tag, are skipped).
 */
export function parseConsoleInitcalls(consoleText: string): ConsoleInitcall[] {
  const lines = consoleText.replace(/\r/g, '').split('\n');
  const calls: ConsoleInitcall[] = [];
  const open = new Map<string, ConsoleInitcall>();
  let current: ConsoleInitcall | null = null;
  const calling = new RegExp(`${PREFIX}calling\\s+(\\S+?)(?:\\+0x[0-9a-f]+/0x[0-9a-f]+)?( \\[\\S+\\])? @ \\d+\\s*$`);
  const returned = new RegExp(`${PREFIX}initcall (\\S+?)(?:\\+0x[0-9a-f]+/0x[0-9a-f]+)?( \\[\\S+\\])? returned (-?\\d+)(?: after (\\d+) usecs)?`);
  for (const line of lines) {
    const c = calling.exec(line);
    if (c) {
      if (c[2]) continue;
      current = { fn: c[1], rc: null, usecs: null, output: [], order: calls.length };
      calls.push(current);
      open.set(c[1], current);
      continue;
    }
    const r = returned.exec(line);
    if (r) {
      if (r[2]) continue;
      const call = open.get(r[1]);
      if (call) {
        call.rc = Number(r[3]);
        call.usecs = r[4] === undefined ? null : Number(r[4]);
        open.delete(r[1]);
      }
      current = null;
      continue;
    }
    if (current && line.trim() !== '') current.output.push(line.replace(new RegExp(PREFIX), ''));
  }
  return calls;
}

/** The verdict on one built-in initcall of a driver. */
export interface InitcallVerdict {
  /** The driver object's KBUILD_MODNAME, e.g. `kbts_early`. */
  modname: string;
  fn: string;
  /** Level and section from System.map, e.g. `4` / `.initcall4.init`. */
  level: string | null;
  section: string | null;
  /** The macro name for the level, e.g. `subsys_initcall`. */
  levelName: string | null;
  /** True when the console shows the call. */
  called: boolean;
  rc: number | null;
  usecs: number | null;
  /** The init's own console lines. */
  output: string[];
  /**
   * True when the calls just before and after it on the console are at levels not after and not
   * before its own (the call happened inside its level's run of do_initcalls()); null when no
   * neighbour could be placed.
   */
  inLevelOrder: boolean | null;
  /** The neighbours checked: `fn (level)` of the previous and next initcall on the console. */
  neighbours: { before?: string; after?: string };
  /** called, rc 0, and not out of level order. */
  ok: boolean;
}

const levelIndex = (id: string | null): number => INITCALL_LEVELS.findIndex((l) => l.id === id);

/**
 * Judge the initcalls of the given objects: find them in System.map, find their calls on the
 * console, and check return code and level order.
 * @param opts.systemMap System.map text; opts.console the boot console; opts.modnames the
 *   driver's KBUILD_MODNAMEs (e.g. ["kbts_early"]).
 * @returns one verdict per initcall the objects define (empty when System.map has none: the
 *   driver is not built in).
 */
export function judgeInitcalls(opts: { systemMap: string; console: string; modnames: readonly string[] }): InitcallVerdict[] {
  const symbols = readInitcalls(opts.systemMap);
  const byFn = new Map<string, InitcallSymbol>();
  for (const s of symbols) if (!byFn.has(s.fn)) byFn.set(s.fn, s);
  const calls = parseConsoleInitcalls(opts.console);
  const verdicts: InitcallVerdict[] = [];
  for (const s of symbols.filter((x) => opts.modnames.includes(x.modname))) {
    const call = calls.find((c) => c.fn === s.fn);
    const place = (c: ConsoleInitcall | undefined): { text?: string; idx: number | null } => {
      if (!c) return { idx: null };
      const sym = byFn.get(c.fn);
      return sym ? { text: `${c.fn} (${sym.level})`, idx: levelIndex(sym.level) } : { text: `${c.fn} (?)`, idx: null };
    };
    let inLevelOrder: boolean | null = null;
    const neighbours: { before?: string; after?: string } = {};
    if (call) {
      const own = levelIndex(s.level);
      const before = place(calls[call.order - 1]);
      const after = place(calls[call.order + 1]);
      neighbours.before = before.text;
      neighbours.after = after.text;
      if (before.idx !== null || after.idx !== null) {
        inLevelOrder = (before.idx === null || before.idx <= own) && (after.idx === null || after.idx >= own);
      }
    }
    const level = INITCALL_LEVELS.find((l) => l.id === s.level);
    verdicts.push({
      modname: s.modname, fn: s.fn, level: s.level, section: s.section, levelName: level ? level.name : null,
      called: call !== undefined, rc: call?.rc ?? null, usecs: call?.usecs ?? null, output: call?.output ?? [],
      inLevelOrder, neighbours,
      ok: call !== undefined && call.rc === 0 && inLevelOrder !== false,
    });
  }
  return verdicts;
}

/**
 * For `kbuildts boot --kernel OUT/arch/arm64/boot/Image`: when the Image comes from
 * `kbuildts build --kernel` (OUT/kbuildts-kernel.json and OUT/System.map exist three levels up),
 * judge the recorded driver's initcalls on the boot console.
 * @returns the record and verdicts, or null for an Image that kbuildts did not build.
 */
export function builtinVerdictsForImage(image: string, consoleText: string): { record: KernelBuildRecord; verdicts: InitcallVerdict[]; systemMap: string } | null {
  const outDir = resolve(dirname(image), '../../..');
  const recordFile = join(outDir, KERNEL_RECORD);
  const systemMap = join(outDir, 'System.map');
  if (!existsSync(recordFile) || !existsSync(systemMap)) return null;
  const record = JSON.parse(readFileSync(recordFile, 'utf8')) as KernelBuildRecord;
  const verdicts = judgeInitcalls({ systemMap: readFileSync(systemMap, 'utf8'), console: consoleText, modnames: record.objects });
  return { record, verdicts, systemMap };
}

/** The short verdict text: one line per initcall, e.g. `kbts_early: kbts_early_init at level 4 (subsys_initcall, .initcall4.init), rc=0 OK`. */
export function formatVerdicts(record: KernelBuildRecord, verdicts: readonly InitcallVerdict[]): string {
  if (verdicts.length === 0) return `built-in driver ${record.relDir}: no initcall of ${record.objects.join(', ')} in System.map (not built in?)\n`;
  const out: string[] = [];
  for (const v of verdicts) {
    const where = v.level === null ? 'outside the initcall levels' : `at level ${v.level} (${v.levelName}, ${v.section})`;
    const ran = v.called ? `rc=${v.rc ?? 'none (never returned)'}${v.usecs !== null ? `, ${v.usecs} us` : ''}` : 'not called on the console (initcall_debug loglevel=8 on the command line?)';
    const order = v.inLevelOrder === false ? `, OUT OF LEVEL ORDER (before: ${v.neighbours.before ?? '-'}, after: ${v.neighbours.after ?? '-'})` : '';
    out.push(`built-in driver ${record.relDir} (${v.modname}): ${v.fn} ${where}, ${ran}${order} ${v.ok ? 'OK' : 'FAILED'}`);
    for (const l of v.output) out.push(`    ${l}`);
  }
  return `${out.join('\n')}\n`;
}

/** An initcall entry found in a compiled built-in object. */
export interface ObjectInitcall {
  /** The object file (absolute). */
  object: string;
  /** The initcall symbol, e.g. `__initcall__kmod_kbts_early__232_25_kbts_early_init4`. */
  symbol: string;
  /** Its section, e.g. `.initcall4.init`. */
  section: string;
  /** The section's id: `early`, `0`..`7`, `rootfs`, or with `s` for *_sync (`4s`). */
  id: string;
}

/**
 * The initcall entries of a compiled object: symbols `__initcall__kmod_...` defined in a
 * `.initcall<id>.init` section (what ____define_initcall emits when built in; a module has none).
 * @throws ElfError when the file is missing or not a relocatable ELF object.
 */
export async function objectInitcalls(object: string): Promise<ObjectInitcall[]> {
  const elf = await readElf(object);
  const out: ObjectInitcall[] = [];
  for (const s of elf.symbols) {
    const m = /^\.initcall(early|rootfs|\d)(s?)\.init$/.exec(s.section);
    if (m && s.name.startsWith('__initcall__kmod_')) out.push({ object, symbol: s.name, section: s.section, id: `${m[1]}${m[2]}` });
  }
  return out;
}
