/**
 * buildDirect against Kbuild itself: the fixture tree test/fixtures/direct is built both by
 * `make -C KDIR ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- M=<copy> modules` and by buildDirect
 * (the real cross compiler, the real KDIR, KDIR's own modpost), and the resulting .ko files must
 * agree on section names, .modinfo and __versions. Then `kbuildts inspect` is run on what they built.
 *
 * KDIR: $KBUILDTS_KDIR when set, else the arm64 headers `npm run setup` records in the manifest.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Command } from 'commander';
import { buildDirect, DirectBuildError, type BuildDirectResult, type DirectUnits } from '../src/runner/direct.js';
import { readElf, splitModinfo } from '../src/runner/elf.js';
import { inspectObject, parseVersions } from '../src/runner/inspect.js';
import { registerInspect } from '../src/cli/commands/inspect.js';
import { loadManifest, SetupMissingError } from '../src/runner/cache.js';

const FIXTURE = join(process.cwd(), 'test/fixtures/direct');
const ARCH = 'arm64';
const CROSS = 'aarch64-linux-gnu-';
const MODULES = ['param/kbt_param', 'exporter/kbt_exporter', 'consumer/kbt_consumer', 'composite/kbt_composite'];

function kdirOf(): string {
  if (process.env.KBUILDTS_KDIR) return process.env.KBUILDTS_KDIR;
  const kdir = loadManifest().arm64?.kdir;
  if (!kdir) throw new SetupMissingError('the arm64 kernel headers (manifest arm64.kdir)');
  return kdir;
}

function unitsFor(src: string): DirectUnits {
  return {
    modules: [
      { name: 'kbt_param', dir: 'param', objects: [{ obj: 'kbt_param.o', src: `${src}/param/kbt_param.c` }] },
      { name: 'kbt_exporter', dir: 'exporter', objects: [{ obj: 'kbt_exporter.o', src: `${src}/exporter/kbt_exporter.c` }] },
      { name: 'kbt_consumer', dir: 'consumer', objects: [{ obj: 'kbt_consumer.o', src: `${src}/consumer/kbt_consumer.c` }] },
      {
        name: 'kbt_composite',
        dir: 'composite',
        composite: true,
        objects: [
          { obj: 'comp_main.o', src: `${src}/composite/comp_main.c` },
          { obj: 'comp_util.o', src: `${src}/composite/comp_util.c` },
        ],
      },
    ],
  };
}

async function sectionNames(file: string): Promise<string[]> {
  return (await readElf(file)).sections.map((s) => s.name);
}
async function modinfoOf(file: string): Promise<Array<[string, string]>> {
  return splitModinfo((await readElf(file)).section('.modinfo')!.data);
}
async function versionsOf(file: string): Promise<Array<{ name: string; crc: string }>> {
  const elf = await readElf(file);
  return parseVersions(elf.section('__versions')!.data, elf.bits);
}
/** Module.symvers lines without the module path column (the trees differ). */
function symversEntries(file: string): string[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => {
    const [crc, sym, , kind, ns] = l.split('\t');
    return [crc, sym, kind, ns ?? ''].join(' ');
  }).sort();
}

let kdir: string;
let root: string;
let makeDir: string;
let srcDir: string;
let outDir: string;
let first: BuildDirectResult;

beforeAll(async () => {
  kdir = kdirOf();
  root = mkdtempSync(join(tmpdir(), 'kbuildts-direct-test-'));
  makeDir = join(root, 'make');
  srcDir = join(root, 'src');
  outDir = join(root, 'out');
  cpSync(FIXTURE, makeDir, { recursive: true });
  cpSync(FIXTURE, srcDir, { recursive: true });
  const base = ['-C', kdir, `ARCH=${ARCH}`, `CROSS_COMPILE=${CROSS}`];
  await execa('make', [...base, `M=${makeDir}`, '-j2', 'modules']);
  await execa('make', [...base, `M=${makeDir}/builtin`, 'kbt_builtin.o']);
  first = await buildDirect({
    kdir, arch: ARCH, crossCompile: CROSS, outDir, jobs: 2,
    units: {
      ...unitsFor(srcDir),
      // KBUILD_MODFILE as make M= sets it (the absolute path), so the two .modinfo agree.
      builtins: [{ obj: 'builtin/kbt_builtin.o', src: `${srcDir}/builtin/kbt_builtin.c`, modname: 'kbt_builtin', modfile: `${makeDir}/builtin/kbt_builtin` }],
    },
  });
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('buildDirect matches make -C KDIR M=', () => {
  test('it builds every module and reports each step it ran', () => {
    expect(first.modules.map((m) => m.ko)).toEqual(MODULES.map((m) => join(outDir, `${m}.ko`)));
    const kinds = first.actions.map((a) => a.kind);
    expect(kinds.filter((k) => k === 'cc')).toHaveLength(6); // 5 module objects + 1 built-in
    expect(kinds.filter((k) => k === 'genksyms')).toHaveLength(1); // only kbt_exporter exports
    expect(kinds.filter((k) => k === 'ld-multi')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'modpost')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'ld-ko')).toHaveLength(4);
    expect(first.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test.each(MODULES)('%s.ko has the same section names as make\'s', async (m) => {
    const mine = await sectionNames(join(outDir, `${m}.ko`));
    expect(mine).toEqual(await sectionNames(join(makeDir, `${m}.ko`)));
    expect(mine).toEqual(expect.arrayContaining(['.gnu.linkonce.this_module', '.modinfo', '__versions', '.init.text']));
  });

  test.each(MODULES)('%s.ko has the same .modinfo as make\'s', async (m) => {
    const mine = await modinfoOf(join(outDir, `${m}.ko`));
    expect(mine).toEqual(await modinfoOf(join(makeDir, `${m}.ko`)));
    const keys = mine.map(([k]) => k);
    expect(keys).toEqual(expect.arrayContaining(['vermagic', 'license', 'depends', 'name']));
  });

  test('parameters and dependencies are recorded as make records them', async () => {
    const param = await modinfoOf(join(outDir, 'param/kbt_param.ko'));
    expect(param).toEqual(expect.arrayContaining([['parm', 'count:How many greetings to print'], ['parmtype', 'count:int'], ['parmtype', 'who:charp']]));
    expect(await modinfoOf(join(outDir, 'consumer/kbt_consumer.ko'))).toContainEqual(['depends', 'kbt_exporter']);
  });

  test.each(MODULES)('%s.ko has the same __versions entries as make\'s', async (m) => {
    const mine = await versionsOf(join(outDir, `${m}.ko`));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine).toEqual(await versionsOf(join(makeDir, `${m}.ko`)));
  });

  test('the consumer is versioned against the exporter\'s CRCs, and Module.symvers agrees with make\'s', async () => {
    const symvers = symversEntries(join(outDir, 'Module.symvers'));
    expect(symvers).toEqual(symversEntries(join(makeDir, 'Module.symvers')));
    const crcOf = (sym: string): string => symvers.find((l) => l.split(' ')[1] === sym)!.split(' ')[0]!;
    const v = await versionsOf(join(outDir, 'consumer/kbt_consumer.ko'));
    expect(v).toContainEqual({ name: 'kbt_export_add', crc: crcOf('kbt_export_add') });
    expect(v).toContainEqual({ name: 'kbt_export_counter', crc: crcOf('kbt_export_counter') });
  });

  test('the built-in object matches make M=dir kbt_builtin.o', async () => {
    const mine = join(outDir, 'builtin/kbt_builtin.o');
    const theirs = join(makeDir, 'builtin/kbt_builtin.o');
    expect(await sectionNames(mine)).toEqual(await sectionNames(theirs));
    expect(await modinfoOf(mine)).toEqual(await modinfoOf(theirs));
    expect(await sectionNames(mine)).toContain('.initcall6.init');
  });

  test('a second run with nothing changed does no work', async () => {
    const again = await buildDirect({ kdir, arch: ARCH, crossCompile: CROSS, outDir, jobs: 2, units: { ...unitsFor(srcDir), builtins: [{ obj: 'builtin/kbt_builtin.o', src: `${srcDir}/builtin/kbt_builtin.c`, modname: 'kbt_builtin', modfile: `${makeDir}/builtin/kbt_builtin` }] } });
    expect(again.actions).toEqual([]);
  });

  test('touching a header rebuilds only the objects that include it, then relinks', async () => {
    const later = new Date(Date.now() + 5000);
    utimesSync(join(srcDir, 'composite/comp.h'), later, later);
    const r = await buildDirect({ kdir, arch: ARCH, crossCompile: CROSS, outDir, jobs: 2, units: unitsFor(srcDir) });
    const cc = r.actions.filter((a) => a.kind === 'cc').map((a) => a.target).sort();
    expect(cc).toEqual([join(outDir, 'composite/comp_main.o'), join(outDir, 'composite/comp_util.o')]);
    expect(r.actions.filter((a) => a.kind === 'ld-ko').map((a) => a.target)).toEqual([join(outDir, 'composite/kbt_composite.ko')]);
    expect((await buildDirect({ kdir, arch: ARCH, crossCompile: CROSS, outDir, jobs: 2, units: unitsFor(srcDir) })).actions).toEqual([]);
  });

  test('a compile error is reported at file:line:col', async () => {
    const bad = join(root, 'bad.c');
    writeFileSync(bad, '#include <linux/module.h>\nstatic int f(void)\n{\n\treturn undeclared_thing;\n}\nMODULE_LICENSE("GPL");\n');
    const err = await buildDirect({
      kdir, arch: ARCH, crossCompile: CROSS, outDir: join(root, 'out-bad'), jobs: 2,
      units: { modules: [{ name: 'bad', dir: '.', objects: [{ obj: 'bad.o', src: bad }] }] },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectBuildError);
    const d = (err as DirectBuildError).diagnostics.find((x) => x.severity === 'error');
    expect(d).toMatchObject({ file: bad, line: 4, col: 16 });
    expect(d!.message).toMatch(/undeclared_thing/);
  });
});

describe('inspect', () => {
  test('a loadable module: init/exit, modinfo, typed parameters, needed symbols, versions', async () => {
    const r = await inspectObject(join(outDir, 'param/kbt_param.ko'));
    expect(r.kind).toBe('module');
    expect(r.machine).toBe('aarch64');
    expect(r.name).toBe('kbt_param');
    expect(r.initcalls).toEqual([{ level: 'module_init', section: '', entry: 'kbt_param_init', via: 'init_module' }]);
    expect(r.exit).toBe('kbt_param_exit');
    expect(r.modinfo).toContainEqual({ key: 'vermagic', value: expect.stringMatching(/^6\.\S+ SMP .*aarch64$/) });
    expect(r.params).toEqual(expect.arrayContaining([
      { name: 'count', type: 'int', description: 'How many greetings to print', perm: '0444' },
      { name: 'who', type: 'charp', description: 'Whom to greet', perm: '0644' },
      { name: 'loud', type: 'bool', description: '', perm: '0000' },
    ]));
    expect(r.params).toHaveLength(3);
    expect(r.undefined).toEqual(['_printk', 'param_ops_bool', 'param_ops_charp', 'param_ops_int']);
    expect(r.versions.map((v) => v.name)).toEqual(expect.arrayContaining(['module_layout', '_printk']));
  });

  test('an exporting module and make\'s own .ko give the same report', async () => {
    const r = await inspectObject(join(outDir, 'exporter/kbt_exporter.ko'));
    expect(r.exports).toEqual([
      { name: 'kbt_export_add', gpl: true, namespace: '' },
      { name: 'kbt_export_counter', gpl: false, namespace: '' },
    ]);
    const fromMake = await inspectObject(join(makeDir, 'exporter/kbt_exporter.ko'));
    expect({ ...fromMake, file: '' }).toEqual({ ...r, file: '' });
  });

  test('a built-in object (make M=dir x.o): initcall level and entry, prefixed modinfo, export', async () => {
    const r = await inspectObject(join(makeDir, 'builtin/kbt_builtin.o'));
    expect(r.kind).toBe('builtin');
    expect(r.name).toBe('kbt_builtin');
    expect(r.initcalls).toHaveLength(1);
    expect(r.initcalls[0]).toMatchObject({ level: 'device', section: '.initcall6.init', entry: 'kbt_builtin_init' });
    expect(r.initcalls[0]!.via).toMatch(/^__initcall__kmod_kbt_builtin__\d+_\d+_kbt_builtin_init6$/);
    expect(r.modinfo).toContainEqual({ key: 'license', value: 'GPL' });
    expect(r.params).toEqual([{ name: 'level', type: 'int', description: 'Verbosity', perm: '0444' }]);
    expect(r.exports).toEqual([{ name: 'kbt_builtin_query', gpl: false, namespace: '' }]);
    expect(r.undefined).toEqual(['_printk', 'param_ops_int']);
    expect(r.versions).toEqual([]);
  });

  test('the CLI command prints the same report as JSON', async () => {
    const program = new Command();
    program.exitOverride();
    registerInspect(program);
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((c: string | Uint8Array) => { chunks.push(String(c)); return true; }) as typeof process.stdout.write;
    const ko = join(outDir, 'consumer/kbt_consumer.ko');
    try {
      await program.parseAsync(['node', 'kbuildts', 'inspect', ko, '--json']);
    } finally {
      process.stdout.write = write;
    }
    const printed = JSON.parse(chunks.join('')) as unknown;
    expect(printed).toEqual(await inspectObject(ko));
    expect((printed as { undefined: string[] }).undefined).toEqual(expect.arrayContaining(['kbt_export_add', 'kbt_export_counter']));
  });
});
