/**
 * Reading a kernel module's `.modinfo` section and ordering modules by their dependencies.
 *
 * `.modinfo` is a sequence of NUL-terminated `key=value` strings: MODULE_LICENSE, MODULE_PARM_DESC
 * (`parm=`), module_param (`parmtype=`), and the fields modpost adds through the generated
 * `<mod>.mod.c` (`depends=`, `name=`, `vermagic=`, `retpoline=`, ...); see include/linux/module.h,
 * include/linux/moduleparam.h and scripts/mod/modpost.c. The ELF file is read with elf.ts (the
 * elfinfo library), so no objcopy or modinfo binary is needed.
 */
import { basename } from 'node:path';
import { ElfError, readElf, splitModinfo, type ElfObject } from './elf.js';

/** ELF e_machine values of the architectures kbuildts knows, mapped to the kernel's ARCH names. */
const MACHINES: Record<number, string> = {
  3: 'x86', 8: 'mips', 20: 'powerpc', 21: 'powerpc', 22: 's390', 40: 'arm', 62: 'x86_64', 183: 'arm64', 243: 'riscv', 258: 'loongarch',
};

/** What a module's `.modinfo` says. */
export interface ModInfo {
  /** The .ko file (as given). */
  path: string;
  /** The module name: `name=` from .modinfo, else the file name without `.ko` with `-` as `_`. */
  name: string;
  /** Names of the modules it needs loaded first (`depends=`, comma-separated in the file). */
  depends: string[];
  /** `vermagic=`, e.g. "6.1.0-56-arm64 SMP mod_unload modversions aarch64"; "" when absent. */
  vermagic: string;
  /** `license=`; "" when absent. */
  license: string;
  /** Declared parameters: name, type (`parmtype=`, e.g. "charp", "int") and description (`parm=`). */
  params: { name: string; type: string; description: string }[];
  /** Every field, in file order; a key may repeat (alias=, parm=, ...). */
  fields: [string, string][];
  /** The kernel ARCH the ELF was built for (from e_machine; e.g. "arm64"), or `machine:<n>`. */
  arch: string;
}

/** Thrown when a file is not an ELF kernel module. `userError` marks it as bad input for the CLI. */
export class ModInfoError extends Error {
  readonly userError = true;
  constructor(message: string) {
    super(message);
    this.name = 'ModInfoError';
  }
}

/** A module name as the kernel compares them: `-` and `_` are the same (kernel/module/main.c). */
export function normalizeModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

/**
 * Read a .ko file's `.modinfo` (through the ELF reader of elf.ts).
 * @param path the module file; also {@link ModInfo.path}.
 * @throws ModInfoError when the file is missing, not ELF, or has no `.modinfo` section.
 */
export async function readModinfo(path: string): Promise<ModInfo> {
  let elf: ElfObject;
  try {
    elf = await readElf(path);
  } catch (e) {
    throw new ModInfoError(e instanceof ElfError ? `${e.message} (expected a kernel module .ko)` : `${path}: cannot read module (${String(e)})`);
  }
  const section = elf.section('.modinfo');
  if (!section) throw new ModInfoError(`${path}: no .modinfo section (not a kernel module built by kbuild's modpost?)`);
  const fields = splitModinfo(section.data);
  const first = (k: string): string => fields.find(([key]) => key === k)?.[1] ?? '';
  const params = new Map<string, { name: string; type: string; description: string }>();
  for (const [k, v] of fields) {
    if (k !== 'parm' && k !== 'parmtype') continue;
    const colon = v.indexOf(':');
    const pname = colon < 0 ? v : v.slice(0, colon);
    const rest = colon < 0 ? '' : v.slice(colon + 1);
    const p = params.get(pname) ?? { name: pname, type: '', description: '' };
    if (k === 'parm') p.description = rest;
    else p.type = rest;
    params.set(pname, p);
  }
  const fileName = normalizeModuleName(basename(path).replace(/\.ko(\.(xz|gz|zst))?$/, ''));
  return {
    path,
    name: normalizeModuleName(first('name') || fileName),
    depends: first('depends').split(',').map((d) => normalizeModuleName(d.trim())).filter((d) => d.length > 0),
    vermagic: first('vermagic'),
    license: first('license'),
    params: [...params.values()],
    fields,
    arch: MACHINES[elf.machine] ?? `machine:${elf.machine}`,
  };
}

/**
 * Order modules so that each comes after the modules it `depends=` on (exporters before
 * consumers, as modprobe would load them). Among modules that are ready at the same time the
 * caller's order is kept. Dependencies on modules not in the list are ignored here (they must
 * already be loaded or built in); see {@link missingDependencies}.
 * @returns a new array with the same elements.
 * @throws ModInfoError on a dependency cycle, or when two modules have the same name.
 */
export function orderByDependencies<T extends { info: ModInfo }>(mods: readonly T[]): T[] {
  const byName = new Map<string, T>();
  for (const m of mods) {
    const other = byName.get(m.info.name);
    if (other) throw new ModInfoError(`two modules are named ${m.info.name}: ${other.info.path} and ${m.info.path}`);
    byName.set(m.info.name, m);
  }
  const done = new Set<string>();
  const out: T[] = [];
  while (out.length < mods.length) {
    const next = mods.find((m) => !done.has(m.info.name) && m.info.depends.every((d) => done.has(d) || !byName.has(d)));
    if (!next) {
      const left = mods.filter((m) => !done.has(m.info.name)).map((m) => `${m.info.name} (depends=${m.info.depends.join(',')})`);
      throw new ModInfoError(`module dependency cycle among: ${left.join('; ')}`);
    }
    done.add(next.info.name);
    out.push(next);
  }
  return out;
}

/** Dependencies named by `depends=` that none of `mods` provides, as "consumer needs dep" pairs. */
export function missingDependencies(mods: readonly { info: ModInfo }[]): { module: string; needs: string }[] {
  const names = new Set(mods.map((m) => m.info.name));
  return mods.flatMap((m) => m.info.depends.filter((d) => !names.has(d)).map((d) => ({ module: m.info.name, needs: d })));
}
