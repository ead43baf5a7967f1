/**
 * The target kernel's own command lines for out-of-tree objects, read once from KDIR and cached.
 *
 * Kbuild builds out-of-tree modules (Documentation/kbuild/modules.rst) with the flags that
 * scripts/Makefile.lib puts in `c_flags`, links composite modules with `cmd_ld_multi_m`
 * (scripts/Makefile.build), runs scripts/mod/modpost as scripts/Makefile.modpost does, compiles
 * `<mod>.mod.c` and links `<mod>.ko` as scripts/Makefile.modfinal does. Rather than re-derive
 * those from the Makefiles, {@link loadKFlags} runs Kbuild once (`make -C KDIR M=probe V=1`) on a
 * throwaway tree holding a one-file module, a composite module with an exporter, and a built-in
 * object, reads the commands Kbuild recorded in the `.*.cmd` files and the V=1 log, and turns the
 * per-object parts into placeholders.
 *
 * Placeholders (inside tokens): `{out}` output file, `{src}` source file, `{depfile}` gcc -MD
 * dependency file, `{basename}` KBUILD_BASENAME, `{modname}` KBUILD_MODNAME (both already
 * name-fixed: `-` and `,` become `_`), `{modfile}` KBUILD_MODFILE, `{modlist}` a `.mod` object list,
 * `{obj}` / `{modobj}` the module's `.o` and `.mod.o`, `{symvers}` modpost's output.
 * Whole-token list placeholders: `{extra}` (per-object ccflags-y / CFLAGS_x.o), `{kind}` (the
 * module-only or built-in-only flags), `{extra_symbols}` (`-i FILE` pairs, as KBUILD_EXTRA_SYMBOLS).
 *
 * Every command is meant to run with the working directory set to KDIR, as `make -C KDIR` does.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cacheDir } from './cache.js';

/** Bump when the shape of {@link KFlags} changes, so stale cache files are re-probed. */
const KFLAGS_FORMAT = 1;

/** The kernel's command templates for out-of-tree objects (see the module doc for placeholders). */
export interface KFlags {
  format: number;
  /** realpath of KDIR; every template runs with this as its working directory. */
  kdir: string;
  arch: string;
  crossCompile: string;
  /** UTS_RELEASE of the target kernel (include/generated/utsrelease.h), e.g. "6.1.0-56-arm64". */
  kernelRelease: string;
  /** First line of `<crossCompile>gcc --version`, part of the cache key. */
  compilerVersion: string;
  /** First line of `--version` of the compiler the kernel's Makefile actually uses (cc[0]). */
  kernelCompilerVersion: string;
  /** Compile a C file: `$(CC) $(c_flags) -c -o {out} {src}` with `{extra}` and `{kind}` in place. */
  cc: string[];
  /** What `{kind}` expands to for a module object (KBUILD_CFLAGS_MODULE), e.g. ["-DMODULE"]. */
  ccModuleFlags: string[];
  /** What `{kind}` expands to for a built-in object, e.g. ['-DKBUILD_MODFILE="{modfile}"']. */
  ccBuiltinFlags: string[];
  /** Preprocess for genksyms (`$(CPP) -D__GENKSYMS__ $(c_flags) $<`, no dep file), prints to stdout. */
  cppGenksyms: string[];
  /** genksyms: preprocessed source on stdin, `#SYMVER name crc` lines on stdout. */
  genksyms: string[];
  /** scripts/check-local-export {out}; needs the environment in {@link KFlags.env}. */
  checkLocalExport: string[];
  /** Environment Kbuild exports to the helper scripts (NM, AWK). */
  env: Record<string, string>;
  /** Compile `<mod>.mod.c` (scripts/Makefile.modfinal). */
  modC: string[];
  /** Link a composite module: `$(LD) $(ld_flags) -r -o {out} @{modlist}` (cmd_ld_multi_m). */
  ldMulti: string[];
  /** Link `<mod>.ko` with the kernel's module linker script (cmd_ld_ko_o). */
  ldKo: string[];
  /** modpost for external modules; object list on stdin (`-T -`), writes `{symvers}`. */
  modpost: string[];
}

/** Thrown when the probe build fails or its commands are not in the expected shape. */
export class KFlagsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KFlagsError';
  }
}

/**
 * Split a POSIX shell word list (as Kbuild prints commands) into argv: single quotes, double
 * quotes with backslash escapes, bare backslashes. Empty words vanish, as in the shell.
 * @param cmd one simple command (no pipes or `;`: cut those first).
 * @returns the words after quote removal.
 */
export function shellSplit(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === "'") {
      const j = cmd.indexOf("'", i + 1);
      if (j < 0) throw new KFlagsError(`unterminated ' in: ${cmd}`);
      cur += cmd.slice(i + 1, j);
      have = true;
      i = j;
    } else if (c === '"') {
      have = true;
      for (i++; i < cmd.length && cmd[i] !== '"'; i++) {
        if (cmd[i] === '\\' && i + 1 < cmd.length && '"\\$`\n'.includes(cmd[i + 1]!)) i++;
        cur += cmd[i];
      }
      if (i >= cmd.length) throw new KFlagsError(`unterminated " in: ${cmd}`);
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      have = true;
    } else if (/\s/.test(c)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

/**
 * Kbuild's `name-fix-token` (scripts/Makefile.lib): `-` and `,` become `_` in KBUILD_MODNAME and
 * KBUILD_BASENAME.
 */
export function nameFix(name: string): string {
  return name.replace(/[-,]/g, '_');
}

/**
 * Fill a template: substring placeholders from `vars`, whole-token placeholders from `lists`.
 * @param tpl a template from {@link KFlags}.
 * @param vars e.g. {out: "/abs/x.o", src: "/abs/x.c"}.
 * @param lists e.g. {extra: ["-DFOO"], kind: ["-DMODULE"]}; a list's own items are filled from `vars` too.
 * @returns argv ready for execa.
 * @throws KFlagsError when a placeholder is left without a value.
 */
export function expandTemplate(tpl: readonly string[], vars: Record<string, string>, lists: Record<string, readonly string[]> = {}): string[] {
  const fill = (tok: string): string =>
    tok.replace(/\{([a-z_]+)\}/g, (m, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new KFlagsError(`template placeholder ${m} has no value`);
      return v;
    });
  const out: string[] = [];
  for (const tok of tpl) {
    const m = /^\{([a-z_]+)\}$/.exec(tok);
    if (m && m[1]! in lists) out.push(...lists[m[1]!]!.map(fill));
    else out.push(fill(tok));
  }
  return out;
}

/** Read `cmd_<target> := <command>` from a Kbuild .cmd file, with make's `$$` unescaped. */
function readCmd(file: string): string {
  const first = readFileSync(file, 'utf8').split('\n')[0] ?? '';
  const m = /^cmd_\S+ := (.*)$/.exec(first);
  if (!m) throw new KFlagsError(`${file}: no cmd_ line`);
  return m[1]!.replace(/\$\$/g, '$');
}

/** Replace the per-object parts of a compile argv by placeholders. */
function placeholdCompile(argv: string[], out: string, src: string): string[] {
  return argv.map((t) => {
    if (t === out) return '{out}';
    if (t === src) return '{src}';
    if (t.startsWith('-Wp,-MMD,')) return '-Wp,-MMD,{depfile}';
    if (t.startsWith('-DKBUILD_BASENAME=')) return '-DKBUILD_BASENAME="{basename}"';
    if (t.startsWith('-DKBUILD_MODNAME=')) return '-DKBUILD_MODNAME="{modname}"';
    if (t.startsWith('-D__KBUILD_MODNAME=')) return '-D__KBUILD_MODNAME=kmod_{modname}';
    if (t.startsWith('-DKBUILD_MODFILE=')) return '-DKBUILD_MODFILE="{modfile}"';
    return t;
  });
}

/** First line of `<prog> --version`. */
async function versionLine(prog: string): Promise<string> {
  let line = versionLines.get(prog);
  if (line === undefined) {
    line = (async () => {
      const r = await execa(prog, ['--version'], { reject: false });
      if (r.exitCode !== 0) throw new KFlagsError(`${prog} --version failed: ${r.stderr || r.message}`);
      return String(r.stdout).split('\n')[0] ?? '';
    })();
    versionLines.set(prog, line);
    line.catch(() => versionLines.delete(prog)); // a failure is not remembered
  }
  return line;
}
/** `<prog> --version` first lines of this process (a build asks for the same compiler several times). */
const versionLines = new Map<string, Promise<string>>();

/**
 * UTS_RELEASE of the kernel at `kdir` (include/generated/utsrelease.h).
 * @throws KFlagsError when KDIR has no utsrelease.h (not a prepared kernel tree or headers).
 */
function utsRelease(kdir: string): string {
  const f = join(kdir, 'include/generated/utsrelease.h');
  if (!existsSync(f)) throw new KFlagsError(`${kdir} is not a prepared kernel tree: ${f} is missing`);
  const m = /UTS_RELEASE\s+"([^"]*)"/.exec(readFileSync(f, 'utf8'));
  if (!m) throw new KFlagsError(`${f}: no UTS_RELEASE`);
  return m[1]!;
}

const PROBE_C = `#include <linux/module.h>
#include <linux/init.h>
static int n = 1;
module_param(n, int, 0444);
static int __init kf_init(void) { return n - 1; }
static void __exit kf_exit(void) { }
module_init(kf_init);
module_exit(kf_exit);
MODULE_LICENSE("GPL");
`;
const PROBE_A_C = `#include <linux/module.h>
int kfa_fn(void) { return 0; }
EXPORT_SYMBOL_GPL(kfa_fn);
`;
const PROBE_B_C = `#include <linux/module.h>
int kfa_fn(void);
static int __init kfb_init(void) { return kfa_fn(); }
module_init(kfb_init);
MODULE_LICENSE("GPL");
`;

/**
 * Run the probe build in a fresh temporary directory and turn what Kbuild ran into templates.
 * @returns the templates (not yet cached).
 * @throws KFlagsError when make fails or a command is missing from its output.
 */
export async function probeKFlags(kdir: string, arch: string, crossCompile: string): Promise<KFlags> {
  const realKdir = realpathSync(kdir);
  const dir = mkdtempSync(join(tmpdir(), 'kbuildts-kflags-'));
  try {
    writeFileSync(join(dir, 'kfprobe.c'), PROBE_C);
    writeFileSync(join(dir, 'kfbuiltin.c'), PROBE_C);
    writeFileSync(join(dir, 'kfa.c'), PROBE_A_C);
    writeFileSync(join(dir, 'kfb.c'), PROBE_B_C);
    writeFileSync(join(dir, 'Kbuild'), 'obj-m := kfprobe.o kfmulti.o\nkfmulti-y := kfa.o kfb.o\nobj-y := kfbuiltin.o\n');
    const base = ['-C', realKdir, `ARCH=${arch}`, `CROSS_COMPILE=${crossCompile}`, `M=${dir}`, 'V=1'];
    const mods = await execa('make', [...base, 'modules'], { reject: false, all: true });
    if (mods.exitCode !== 0) throw new KFlagsError(`probe build (make ${base.join(' ')} modules) failed:\n${mods.all}`);
    const bi = await execa('make', [...base, 'kfbuiltin.o'], { reject: false, all: true });
    if (bi.exitCode !== 0) throw new KFlagsError(`probe build (make ${base.join(' ')} kfbuiltin.o) failed:\n${bi.all}`);
    const log = String(mods.all);
    const p = (f: string): string => join(dir, f);

    const ccMod = placeholdCompile(shellSplit(readCmd(p('.kfprobe.o.cmd'))), p('kfprobe.o'), p('kfprobe.c'));
    const ccBi = placeholdCompile(shellSplit(readCmd(p('.kfbuiltin.o.cmd'))), p('kfbuiltin.o'), p('kfbuiltin.c'));
    let pre = 0;
    while (pre < ccMod.length && pre < ccBi.length && ccMod[pre] === ccBi[pre]) pre++;
    let suf = 0;
    while (suf < ccMod.length - pre && suf < ccBi.length - pre && ccMod[ccMod.length - 1 - suf] === ccBi[ccBi.length - 1 - suf]) suf++;
    const ccModuleFlags = ccMod.slice(pre, ccMod.length - suf);
    const ccBuiltinFlags = ccBi.slice(pre, ccBi.length - suf);
    const cc = [...ccMod.slice(0, pre), '{extra}', '{kind}', ...ccMod.slice(ccMod.length - suf)];
    for (const need of ['{out}', '{src}', '-Wp,-MMD,{depfile}', '-DKBUILD_BASENAME="{basename}"', '-DKBUILD_MODNAME="{modname}"']) {
      if (!cc.includes(need)) throw new KFlagsError(`module compile command has no ${need}: ${ccMod.join(' ')}`);
    }
    if (!ccModuleFlags.includes('-DMODULE')) throw new KFlagsError(`module-only flags lack -DMODULE: ${ccModuleFlags.join(' ')}`);

    const cppGenksyms = [cc[0]!, '-E', '-D__GENKSYMS__'];
    for (let i = 1; i < cc.length; i++) {
      const t = cc[i]!;
      if (t === '-c' || t === '{src}' || t.startsWith('-Wp,-MMD,')) continue;
      if (t === '-o' && cc[i + 1] === '{out}') { i++; continue; }
      cppGenksyms.push(t);
    }
    cppGenksyms.push('{src}');

    const gm = /\|\s*(\S*scripts\/genksyms\/genksyms\b[^>|]*)>>/.exec(log);
    if (!gm) throw new KFlagsError('probe log has no genksyms command (is CONFIG_MODVERSIONS off?)');
    const genksyms = shellSplit(gm[1]!);
    const cm = /(\S*scripts\/check-local-export) (\S+)/.exec(log);
    const checkLocalExport = cm ? [cm[1]!, '{out}'] : [];
    const nm = /if (\S+) \S+ 2>\/dev\/null \| grep -q __ksymtab/.exec(log);
    const env: Record<string, string> = { NM: nm ? nm[1]! : `${crossCompile}nm`, AWK: 'awk' };

    const modC = placeholdCompile(shellSplit(readCmd(p('.kfprobe.mod.o.cmd'))), p('kfprobe.mod.o'), p('kfprobe.mod.c'));

    const ldMulti = shellSplit(readCmd(p('.kfmulti.o.cmd')).split(';')[0]!).map((t) =>
      t === p('kfmulti.o') ? '{out}' : t === `@${p('kfmulti.mod')}` ? '@{modlist}' : t);
    if (!ldMulti.includes('{out}') || !ldMulti.includes('@{modlist}')) throw new KFlagsError(`unexpected composite link: ${ldMulti.join(' ')}`);

    const ldKo = shellSplit(readCmd(p('.kfprobe.ko.cmd')).split(';')[0]!).map((t) =>
      t === p('kfprobe.ko') ? '{out}' : t === p('kfprobe.o') ? '{obj}' : t === p('kfprobe.mod.o') ? '{modobj}' : t);
    if (!ldKo.includes('{obj}') || !ldKo.includes('{modobj}') || !ldKo.includes('-T')) throw new KFlagsError(`unexpected module link: ${ldKo.join(' ')}`);

    const mpCmd = readCmd(p('.Module.symvers.cmd'));
    const mpPart = mpCmd.slice(mpCmd.lastIndexOf('|') + 1);
    const mpArgv = shellSplit(mpPart);
    const modpost: string[] = [];
    let lastI = -1;
    for (let i = 0; i < mpArgv.length; i++) {
      const t = mpArgv[i]!;
      if (t === '-o') { modpost.push('-o', '{symvers}'); i++; continue; }
      if (t === '-i') { modpost.push('-i', mpArgv[++i]!); lastI = modpost.length; continue; }
      modpost.push(t);
    }
    if (lastI < 0) throw new KFlagsError(`modpost command has no -i: ${mpPart}`);
    modpost.splice(lastI, 0, '{extra_symbols}');
    const tI = modpost.indexOf('-T');
    if (tI < 0 || modpost[tI + 1] !== '-') throw new KFlagsError(`modpost does not read its object list from stdin (-T -): ${mpPart}`);

    return {
      format: KFLAGS_FORMAT,
      kdir: realKdir,
      arch,
      crossCompile,
      kernelRelease: utsRelease(realKdir),
      compilerVersion: await versionLine(`${crossCompile}gcc`),
      kernelCompilerVersion: await versionLine(cc[0]!),
      cc,
      ccModuleFlags,
      ccBuiltinFlags,
      cppGenksyms,
      genksyms,
      checkLocalExport,
      env,
      modC,
      ldMulti,
      ldKo,
      modpost,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The cache file for one (KDIR, kernel release, compiler) triple:
 * `cacheDir()/kflags/<sha256(realpath KDIR, UTS_RELEASE, gcc --version, arch, CROSS_COMPILE)[:16]>.json`.
 * @returns the absolute path (the file may not exist).
 */
export async function kflagsCacheFile(kdir: string, arch: string, crossCompile: string): Promise<string> {
  const real = realpathSync(kdir);
  const key = [real, utsRelease(real), await versionLine(`${crossCompile}gcc`), arch, crossCompile].join('\0');
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return join(cacheDir(), 'kflags', `${hash}.json`);
}

/**
 * The kernel's command templates for out-of-tree objects, from the cache or by running the probe
 * build once (about 2 s) and caching the result (written atomically).
 * @param opts.kdir kernel build tree (headers) as for `make -C KDIR`.
 * @param opts.arch ARCH, e.g. "arm64".
 * @param opts.crossCompile CROSS_COMPILE prefix, e.g. "aarch64-linux-gnu-".
 * @param opts.refresh ignore the cache and probe again.
 * @throws KFlagsError when KDIR is not a prepared tree or the probe build fails.
 */
export async function loadKFlags(opts: { kdir: string; arch: string; crossCompile: string; refresh?: boolean }): Promise<KFlags> {
  const file = await kflagsCacheFile(opts.kdir, opts.arch, opts.crossCompile);
  if (!opts.refresh && existsSync(file)) {
    const k = JSON.parse(readFileSync(file, 'utf8')) as KFlags;
    if (k.format === KFLAGS_FORMAT) return k;
  }
  const k = await probeKFlags(opts.kdir, opts.arch, opts.crossCompile);
  mkdirSync(join(cacheDir(), 'kflags'), { recursive: true });
  const tmp = `${file}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(k, null, 1)}\n`);
  renameSync(tmp, file);
  return k;
}

/** The per-object values of one compile (see {@link compileArgv}). */
export interface CompileVars {
  /** module: part of a `.ko` (-DMODULE); builtin: obj-y, for vmlinux (-DKBUILD_MODFILE). */
  kind: 'module' | 'builtin';
  /** Output object, absolute. */
  out: string;
  /** C source, absolute. */
  src: string;
  /** gcc -MD dependency file, absolute; Kbuild's name is `<dir>/.<obj>.d`. */
  depfile: string;
  /** KBUILD_MODNAME before name-fixing (the module the object belongs to). */
  modname: string;
  /** KBUILD_MODFILE (built-in only), e.g. "drivers/foo/bar". */
  modfile?: string;
  /** Per-object flags (ccflags-y, CFLAGS_<obj>.o). */
  extra?: readonly string[];
}

/**
 * The full compiler argv Kbuild would run for one object (`cmd_cc_o_c` of scripts/Makefile.build
 * with `c_flags` of scripts/Makefile.lib), to run with the working directory at {@link KFlags.kdir}.
 * KBUILD_BASENAME is the object's base name; KBUILD_MODNAME and it are name-fixed.
 * @throws KFlagsError when a built-in compile has no modfile.
 */
export function compileArgv(kf: KFlags, v: CompileVars): string[] {
  const base = v.out.slice(v.out.lastIndexOf('/') + 1).replace(/\.o$/, '');
  if (v.kind === 'builtin' && v.modfile === undefined) throw new KFlagsError(`${v.out}: a built-in object needs KBUILD_MODFILE`);
  const vars: Record<string, string> = { out: v.out, src: v.src, depfile: v.depfile, basename: nameFix(base), modname: nameFix(v.modname) };
  if (v.modfile !== undefined) vars.modfile = v.modfile;
  return expandTemplate(kf.cc, vars, { extra: v.extra ?? [], kind: v.kind === 'module' ? kf.ccModuleFlags : kf.ccBuiltinFlags });
}
