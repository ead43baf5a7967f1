/**
 * Reading kernel objects (`.o`, `.ko`: ELF relocatable files) through the `elfinfo` package
 * (npm elfinfo@0.4.0-beta, MIT, pure JavaScript): it parses the section headers, the symbol table
 * and REL/RELA relocation sections of ELF32/ELF64 files of either byte order. This file only adapts
 * its result to the few shapes kbuildts needs (section bytes, symbols with their section names,
 * relocations per target section) and checks that the file is a relocatable object.
 */
import { readFile } from 'node:fs/promises';
import { open, type ELFRelocationSection, type ELFSection as RawSection, type ELFSymbolSection } from 'elfinfo';

/** One section header (ELF `Elf64_Shdr`), with its bytes. */
export interface ElfSection {
  index: number;
  name: string;
  /** sh_type: 1 PROGBITS, 2 SYMTAB, 4 RELA, 8 NOBITS, 9 REL, ... */
  type: number;
  /** sh_flags (SHF_ALLOC = 2, SHF_EXECINSTR = 4, ...). */
  flags: number;
  /** Size in bytes. */
  size: number;
  /** sh_info: for a relocation section, the index of the section it applies to. */
  info: number;
  /** The section's contents (empty for NOBITS). */
  data: Buffer;
}

/** One symbol table entry. */
export interface ElfSymbol {
  index: number;
  name: string;
  /** st_value: in a relocatable file, the offset inside its section. */
  value: bigint;
  size: number;
  /** STT_*: 0 NOTYPE, 1 OBJECT, 2 FUNC, 3 SECTION, 4 FILE. */
  type: number;
  /** STB_*: 0 LOCAL, 1 GLOBAL, 2 WEAK. */
  binding: number;
  /** st_shndx: 0 = undefined (SHN_UNDEF), 0xfff1 = SHN_ABS, 0xfff2 = SHN_COMMON. */
  shndx: number;
  /** Name of the defining section, "" when undefined or special. */
  section: string;
}

/** One relocation entry. */
export interface ElfRelocation {
  /** r_offset: byte offset inside the target section. */
  offset: bigint;
  /** ELF64_R_TYPE, e.g. 261 = R_AARCH64_PREL32, 257 = R_AARCH64_ABS64. */
  type: number;
  /** The symbol it refers to. */
  symbol: ElfSymbol | undefined;
  addend: bigint;
}

/** A parsed relocatable object. */
export interface ElfObject {
  path: string;
  /** e_machine: 183 = AArch64, 62 = x86-64. */
  machine: number;
  /** 64 or 32. */
  bits: number;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocations that apply to the named section (from `.rela<name>` / `.rel<name>`). */
  relocationsFor(section: string): ElfRelocation[];
  /** The section called `name`, if any. */
  section(name: string): ElfSection | undefined;
}

/** Thrown when a file is missing or not an ELF relocatable object (bad input: `userError`). */
export class ElfError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

/** Relocation section types SHT_RELA = 4 and SHT_REL = 9. */
const SHT_RELA = 4;
const SHT_REL = 9;

/**
 * Read and parse an ELF relocatable object (`.o` or `.ko`).
 * @param path the file.
 * @returns sections (with bytes), symbols and relocations.
 * @throws ElfError when the file cannot be read, is not ELF, or is not relocatable (e_type ET_REL = 1).
 */
export async function readElf(path: string): Promise<ElfObject> {
  const buf = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw new ElfError(`${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  const res = await open(buf);
  const elf = res.elf;
  if (!res.success || !elf) throw new ElfError(`${path}: not an ELF file (${res.errors.join('; ')})`);
  if (Number(elf.type) !== 1) throw new ElfError(`${path}: not a relocatable object (ELF type ${elf.typeDescription})`);
  const raw = elf.sections;
  const sections: ElfSection[] = raw.map((s) => ({
    index: s.index,
    name: s.index === 0 ? '' : s.name ?? '',
    type: Number(s.type),
    flags: Number(s.flags),
    size: Number(s.size),
    info: s.info,
    data: Number(s.type) === 8 ? Buffer.alloc(0) : buf.subarray(Number(s.offset), Number(s.offset) + Number(s.size)),
  }));
  const symtab = raw.find((s): s is ELFSymbolSection => Number(s.type) === 2 && (s as Partial<ELFSymbolSection>).symbols !== undefined);
  const symbols: ElfSymbol[] = (symtab?.symbols ?? []).map((y, index) => ({
    index,
    name: y.name ?? '',
    value: BigInt(y.value),
    size: Number(y.size),
    type: Number(y.type),
    binding: Number(y.binding),
    shndx: y.shndx,
    section: y.shndx > 0 && y.shndx < sections.length ? sections[y.shndx]!.name : '',
  }));
  const relocs = new Map<string, ElfRelocation[]>();
  for (const s of raw) {
    const t = Number(s.type);
    const rel = (s as RawSection & Partial<ELFRelocationSection>).relocations;
    if ((t !== SHT_RELA && t !== SHT_REL) || !rel) continue;
    const target = sections[s.info]?.name;
    if (target === undefined) continue;
    relocs.set(
      target,
      rel.map((r) => ({
        offset: BigInt(r.addr),
        type: Number(r.type),
        symbol: symbols[r.symbolIndex],
        addend: BigInt(r.addend ?? 0),
      })),
    );
  }
  return {
    path,
    machine: Number(elf.isa),
    bits: elf.bits,
    sections,
    symbols,
    relocationsFor: (name) => relocs.get(name) ?? [],
    section: (name) => sections.find((s) => s.name === name),
  };
}

/**
 * Split a `.modinfo` section (NUL-separated `key=value` strings, as MODULE_INFO emits them) into
 * pairs, in file order. Keys may repeat (`parm`, `alias`, `depends`...).
 */
export function splitModinfo(data: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const s of data.toString('utf8').split('\0')) {
    if (!s) continue;
    const i = s.indexOf('=');
    out.push(i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)]);
  }
  return out;
}
