/**
 * What a kernel object is and what it carries: `kbuildts inspect FILE.o|FILE.ko`.
 *
 * Reads the sections the kernel's own macros emit (include/linux/init.h, module.h, moduleparam.h,
 * export.h of the 6.1 series):
 *  - built-in objects put a pointer to their init function in `.initcall<level>.init`
 *    (`__initcall__kmod_<modname>__<id>_<line>_<fn><level>`), and their MODULE_INFO strings in
 *    `.modinfo` prefixed by `<modname>.` (they end up in modules.builtin.modinfo);
 *  - module objects define `init_module` / `cleanup_module` (aliases of the module_init/module_exit
 *    functions); a linked `.ko` has `.gnu.linkonce.this_module` (struct module, whose init/exit
 *    fields are relocated against those symbols) and `__versions` (CONFIG_MODVERSIONS:
 *    struct modversion_info {unsigned long crc; char name[64 - sizeof(long)]}) written by modpost;
 *  - `parm=name:description` / `parmtype=name:type` in `.modinfo`, and struct kernel_param entries
 *    in `__param` (perm is the u16 at offset 24 on 64-bit);
 *  - exported symbols as `__ksymtab_<sym>` in `___ksymtab[_gpl]+<sym>` (objects) or
 *    `__ksymtab[_gpl]` (linked modules), their namespace string at `__kstrtabns_<sym>`.
 */
import { basename } from 'node:path';
import { readElf, splitModinfo, type ElfObject, type ElfSymbol } from './elf.js';

/** A module parameter. */
export interface InspectParam {
  name: string;
  /** From `parmtype=`: int, charp, bool, uint, ... ("" when absent). */
  type: string;
  /** From `parm=` (MODULE_PARM_DESC), "" when absent. */
  description: string;
  /** sysfs permissions from __param, octal string like "0444", "" when unknown. */
  perm: string;
}

/** An exported symbol. */
export interface InspectExport {
  name: string;
  /** EXPORT_SYMBOL_GPL. */
  gpl: boolean;
  /** EXPORT_SYMBOL_NS namespace, "" for none. */
  namespace: string;
}

/** How the object's code is entered. */
export interface InspectEntry {
  /**
   * For built-in objects the initcall level name: early, pure, core, postcore, arch, subsys, fs,
   * rootfs, device, late (with a `_sync` suffix for the `s` variants), or console; for modules
   * "module_init" (run at load time; it would be `device` if built in).
   */
  level: string;
  /** The initcall section, e.g. ".initcall6.init" ("" for modules). */
  section: string;
  /** The init function, e.g. "hello_init". */
  entry: string;
  /** The symbol that points at it: `__initcall__kmod_*` (built-in) or `init_module` (module). */
  via: string;
}

/** Everything `kbuildts inspect` reports. */
export interface InspectResult {
  file: string;
  /**
   * module: a linked `.ko`; module-object: an object compiled with -DMODULE, not yet linked;
   * builtin: an object compiled for vmlinux (obj-y); object: neither can be told (e.g. a helper
   * object of a composite module).
   */
  kind: 'module' | 'module-object' | 'builtin' | 'object';
  /** ELF machine name, e.g. "aarch64". */
  machine: string;
  /** Module name: modinfo `name=` (.ko), the modinfo prefix (built-in), or the file's base name. */
  name: string;
  /** Initcalls (built-in; several are possible) or module_init. */
  initcalls: InspectEntry[];
  /** The module_exit function, "" when none. */
  exit: string;
  /** `.modinfo` fields in file order, prefixes of built-in objects removed. */
  modinfo: Array<{ key: string; value: string }>;
  params: InspectParam[];
  exports: InspectExport[];
  /** Undefined symbols the object needs, sorted. */
  undefined: string[];
  /** `__versions` entries (a `.ko` built with CONFIG_MODVERSIONS); CRC as "0x%08x". */
  versions: Array<{ name: string; crc: string }>;
}

const MACHINES: Record<number, string> = { 183: 'aarch64', 62: 'x86_64', 40: 'arm', 243: 'riscv', 3: 'i386' };
const LEVELS: Record<string, string> = { '0': 'pure', '1': 'core', '2': 'postcore', '3': 'arch', '4': 'subsys', '5': 'fs', '6': 'device', '7': 'late', early: 'early', rootfs: 'rootfs' };
const STT_SECTION = 3;
const STT_FUNC = 2;

/** NUL-terminated string at `off` in `data`. */
function cstr(data: Buffer, off: number): string {
  if (off < 0 || off >= data.length) return '';
  const end = data.indexOf(0, off);
  return data.toString('utf8', off, end < 0 ? data.length : end);
}

/** The function a relocation against `sym` + `addend` points at, by its most specific name. */
function functionAt(elf: ElfObject, sym: ElfSymbol | undefined, addend: bigint): string {
  if (!sym) return '';
  const section = sym.section;
  const value = sym.type === STT_SECTION ? addend : sym.value + addend;
  const at = elf.symbols.filter((s) => s.section === section && s.value === value && s.type === STT_FUNC);
  const named = at.find((s) => s.name !== 'init_module' && s.name !== 'cleanup_module');
  return named?.name ?? at[0]?.name ?? (sym.type === STT_SECTION ? `${section}+0x${addend.toString(16)}` : sym.name);
}

/** Decode `__versions` (struct modversion_info[], 64 bytes each on 64-bit targets). */
export function parseVersions(data: Buffer, bits = 64): Array<{ name: string; crc: string }> {
  const crcSize = bits / 8;
  const out: Array<{ name: string; crc: string }> = [];
  for (let off = 0; off + 64 <= data.length; off += 64) {
    const crc = crcSize === 8 ? Number(data.readBigUInt64LE(off) & 0xffffffffn) : data.readUInt32LE(off);
    out.push({ name: cstr(data, off + crcSize), crc: `0x${crc.toString(16).padStart(8, '0')}` });
  }
  return out;
}

/**
 * Inspect a kernel object file.
 * @param file path of a `.o` or `.ko` (ELF relocatable, any architecture; __param perms and
 *   __versions are decoded for 64-bit little-endian targets).
 * @returns the report; see {@link InspectResult}.
 * @throws ElfError when the file is not an ELF relocatable object.
 */
export async function inspectObject(file: string): Promise<InspectResult> {
  const elf = await readElf(file);
  const names = elf.sections.map((s) => s.name);
  const sym = (n: string): ElfSymbol | undefined => elf.symbols.find((s) => s.name === n && s.shndx !== 0);

  // .modinfo; built-in objects prefix each key with "<modname>."
  const rawInfo = splitModinfo(elf.section('.modinfo')?.data ?? Buffer.alloc(0));
  const prefixes = new Set(rawInfo.map(([k]) => (k.includes('.') ? k.slice(0, k.indexOf('.')) : '')));
  const builtinPrefix = rawInfo.length > 0 && prefixes.size === 1 && !prefixes.has('') ? [...prefixes][0]! : '';
  const modinfo = rawInfo.map(([k, v]) => ({ key: builtinPrefix ? k.slice(builtinPrefix.length + 1) : k, value: v }));

  const initcallSections = names.filter((n) => /^\.initcall\w+\.init$/.test(n) || n === '.con_initcall.init');
  let kind: InspectResult['kind'];
  if (names.includes('.gnu.linkonce.this_module')) kind = 'module';
  else if (initcallSections.length > 0 || builtinPrefix) kind = 'builtin';
  else if (sym('init_module') || sym('cleanup_module') || elf.symbols.some((s) => s.name === '__this_module')) kind = 'module-object';
  else kind = 'object';

  const initcalls: InspectEntry[] = [];
  let exit = '';
  if (kind === 'builtin') {
    for (const sec of initcallSections) {
      const m = /^\.initcall(\w+?)(s?)\.init$/.exec(sec);
      const level = m ? `${LEVELS[m[1]!] ?? m[1]}${m[2] ? '_sync' : ''}` : 'console';
      for (const r of elf.relocationsFor(sec)) {
        const via = elf.symbols.find((s) => s.section === sec && s.value === r.offset && s.type !== STT_SECTION)?.name ?? '';
        initcalls.push({ level, section: sec, entry: functionAt(elf, r.symbol, r.addend), via });
      }
    }
    const exitRel = elf.relocationsFor('.exitcall.exit')[0];
    if (exitRel) exit = functionAt(elf, exitRel.symbol, exitRel.addend);
  } else {
    const init = sym('init_module');
    if (init) initcalls.push({ level: 'module_init', section: '', entry: functionAt(elf, init, 0n), via: 'init_module' });
    const cleanup = sym('cleanup_module');
    if (cleanup) exit = functionAt(elf, cleanup, 0n);
  }

  // Parameters: names and types from .modinfo, permissions from __param.
  const params = new Map<string, InspectParam>();
  const param = (n: string): InspectParam => {
    let p = params.get(n);
    if (!p) params.set(n, (p = { name: n, type: '', description: '', perm: '' }));
    return p;
  };
  for (const { key, value } of modinfo) {
    const i = value.indexOf(':');
    if (i < 0) continue;
    if (key === 'parmtype') param(value.slice(0, i)).type = value.slice(i + 1);
    else if (key === 'parm') param(value.slice(0, i)).description = value.slice(i + 1);
  }
  const pSec = elf.section('__param');
  if (pSec && elf.bits === 64) {
    for (const r of elf.relocationsFor('__param')) {
      if (r.offset % 40n !== 0n || !r.symbol) continue; // the name pointer of a struct kernel_param
      const strSec = elf.section(r.symbol.section);
      if (!strSec) continue;
      const nameOff = Number((r.symbol.type === STT_SECTION ? 0n : r.symbol.value) + r.addend);
      const full = cstr(strSec.data, nameOff);
      const n = builtinPrefix && full.startsWith(`${builtinPrefix}.`) ? full.slice(builtinPrefix.length + 1) : full;
      const off = Number(r.offset);
      if (off + 26 <= pSec.data.length) param(n).perm = `0${pSec.data.readUInt16LE(off + 24).toString(8).padStart(3, '0')}`;
    }
  }

  // Exports.
  const strings = elf.section('__ksymtab_strings')?.data;
  const exports: InspectExport[] = [];
  for (const s of elf.symbols) {
    if (!s.name.startsWith('__ksymtab_') || s.shndx === 0 || s.name.startsWith('__ksymtab_strings')) continue;
    const name = s.name.slice('__ksymtab_'.length);
    const ns = elf.symbols.find((t) => t.name === `__kstrtabns_${name}`);
    exports.push({
      name,
      gpl: /_gpl/.test(s.section),
      namespace: ns && strings && ns.section === '__ksymtab_strings' ? cstr(strings, Number(ns.value)) : '',
    });
  }

  const undefinedSyms = [...new Set(elf.symbols.filter((s) => s.shndx === 0 && s.name && s.type !== STT_SECTION).map((s) => s.name))].sort();
  const versions = elf.section('__versions') ? parseVersions(elf.section('__versions')!.data, elf.bits) : [];
  const name = modinfo.find((m) => m.key === 'name')?.value || builtinPrefix || basename(file).replace(/\.k?o$/, '');

  return {
    file,
    kind,
    machine: MACHINES[elf.machine] ?? `machine ${elf.machine}`,
    name,
    initcalls,
    exit,
    modinfo,
    params: [...params.values()],
    exports,
    undefined: undefinedSyms,
    versions,
  };
}

/** The report as text for a person (what `kbuildts inspect` prints without --json). */
export function formatInspect(r: InspectResult): string {
  const kinds = { module: 'loadable module', 'module-object': 'module object (not linked)', builtin: 'built-in object', object: 'object' };
  const out: string[] = [`${r.file}: ${kinds[r.kind]} "${r.name}" (${r.machine})`];
  for (const i of r.initcalls) {
    out.push(i.section ? `  initcall: ${i.level} (${i.section}) -> ${i.entry}  [${i.via}]` : `  init: ${i.entry} (${i.level}, via ${i.via})`);
  }
  if (r.exit) out.push(`  exit: ${r.exit}`);
  if (r.modinfo.length) {
    out.push('modinfo:');
    for (const m of r.modinfo) if (m.key !== 'parm' && m.key !== 'parmtype') out.push(`  ${m.key}=${m.value}`);
  }
  if (r.params.length) {
    out.push('parameters:');
    for (const p of r.params) out.push(`  ${p.name}: ${p.type || '?'}${p.perm ? ` ${p.perm}` : ''}${p.description ? `  ${p.description}` : ''}`);
  }
  if (r.exports.length) {
    out.push('exports:');
    for (const e of r.exports) out.push(`  ${e.name}${e.gpl ? ' (GPL)' : ''}${e.namespace ? ` [ns ${e.namespace}]` : ''}`);
  }
  if (r.undefined.length) out.push(`needs (${r.undefined.length} undefined):`, `  ${r.undefined.join(' ')}`);
  if (r.versions.length) {
    out.push('versions:');
    for (const v of r.versions) out.push(`  ${v.crc} ${v.name}`);
  }
  return `${out.join('\n')}\n`;
}
