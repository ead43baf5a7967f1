#!/usr/bin/env node
/**
 * `kbuildts build` (the CLI: direct engine, src/runner/direct.ts) against the kernel's Kbuild, same
 * -j, on two trees: samples/ (configured by the kernel's C conf from
 * samples/configs/kbuildts_defconfig: 5 modules, one composite, 2 built-in objects) and a
 * generated tree of 50 modules (every fifth composite of two objects, one exporter used by ten
 * consumers). Kbuild is measured as `kbuildts build --via-make` (generated Kbuild mirror, then
 * `make -C KDIR M=`) on both trees, and as a bare `make -C KDIR ARCH=arm64 CROSS_COMPILE=... M=dir
 * -jN modules` on the generated tree (its Kbuild files need no .config). For each: cold build,
 * no-op rebuild, rebuild after touching one source. Wall-clock seconds of whole processes
 * (node start-up and verification included), and ratios to the direct CLI.
 *
 * Run after `npm run build`:  node bench/direct-vs-make.mjs [--jobs N] [--repeat R] [--modules M]
 * KDIR: $KBUILDTS_KDIR, else the manifest's arm64.kdir (npm run setup).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { loadKFlags } from '../dist/runner/kflags.js';
import { loadManifest } from '../dist/runner/cache.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const JOBS = arg('jobs', availableParallelism());
const REPEAT = arg('repeat', 3);
const NMOD = arg('modules', 50);
const ARCH = 'arm64';
const CROSS = 'aarch64-linux-gnu-';
const KDIR = process.env.KBUILDTS_KDIR ?? loadManifest().arm64?.kdir;
if (!KDIR) throw new Error('no KDIR: set KBUILDTS_KDIR or run npm run setup');
const SAMPLES = resolve(new URL('../samples', import.meta.url).pathname);
const CLI = resolve(new URL('../dist/cli/kbuildts.cjs', import.meta.url).pathname);

/** Write a tree of n modules under dir; returns its units for buildDirect. */
function generateTree(dir, n) {
  const modules = [];
  const subdirs = [];
  for (let i = 0; i < n; i++) {
    const name = `gen${String(i).padStart(2, '0')}`;
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    subdirs.push(`${name}/`);
    const exporter = i === 0;
    const consumer = i > 0 && i <= 10;
    const composite = i % 5 === 4;
    const body = `// SPDX-License-Identifier: GPL-2.0
#include <linux/init.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/platform_device.h>
${consumer ? 'int gen_shared_fn(int);\n' : ''}
static int depth = ${i};
module_param(depth, int, 0444);
MODULE_PARM_DESC(depth, "depth of ${name}");

struct ${name}_item { struct list_head node; int v; };
static LIST_HEAD(${name}_list);

${exporter ? 'int gen_shared_fn(int x) { return x + 1; }\nEXPORT_SYMBOL_GPL(gen_shared_fn);\n' : ''}
${composite ? `int ${name}_helper(int x);` : ''}

static int __init ${name}_init(void)
{
	struct ${name}_item *it = kzalloc(sizeof(*it), GFP_KERNEL);

	if (!it)
		return -ENOMEM;
	it->v = depth${consumer ? ' + gen_shared_fn(depth)' : ''}${composite ? ` + ${name}_helper(depth)` : ''};
	list_add(&it->node, &${name}_list);
	pr_info("${name}: %d\\n", it->v);
	return 0;
}

static void __exit ${name}_exit(void)
{
	struct ${name}_item *it, *tmp;

	list_for_each_entry_safe(it, tmp, &${name}_list, node) {
		list_del(&it->node);
		kfree(it);
	}
}

module_init(${name}_init);
module_exit(${name}_exit);
MODULE_LICENSE("GPL");
`;
    if (composite) {
      writeFileSync(join(d, `${name}_main.c`), body);
      writeFileSync(join(d, `${name}_helper.c`), `// SPDX-License-Identifier: GPL-2.0\n#include <linux/kernel.h>\nint ${name}_helper(int x);\nint ${name}_helper(int x) { return x * 3; }\n`);
      writeFileSync(join(d, 'Kbuild'), `obj-m := ${name}.o\n${name}-y := ${name}_main.o ${name}_helper.o\n`);
      modules.push({ name, dir: name, composite: true, objects: [
        { obj: `${name}_main.o`, src: join(d, `${name}_main.c`) },
        { obj: `${name}_helper.o`, src: join(d, `${name}_helper.c`) },
      ] });
    } else {
      writeFileSync(join(d, `${name}.c`), body);
      writeFileSync(join(d, 'Kbuild'), `obj-m := ${name}.o\n`);
      modules.push({ name, dir: name, objects: [{ obj: `${name}.o`, src: join(d, `${name}.c`) }] });
    }
  }
  writeFileSync(join(dir, 'Kbuild'), `obj-m += ${subdirs.join(' ')}\n`);
  return { modules };
}

const secs = (ms) => (ms / 1000).toFixed(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
function touch(file, step) {
  const t = new Date(Date.now() + step * 2000);
  utimesSync(file, t, t);
}

/**
 * Time each contender on one tree: cold, no-op (median of REPEAT), touch one source (median).
 * @param contenders [label, run(): Promise, touchFile] — the first is the direct CLI.
 */
async function benchTree(label, contenders) {
  const rows = [['cold build'], ['no-op rebuild'], ['touch one source']];
  for (const [, run] of contenders) rows[0].push(await timed(run));
  const noop = contenders.map(() => []);
  const tch = contenders.map(() => []);
  for (let i = 0; i < REPEAT; i++) {
    for (const [j, [, run]] of contenders.entries()) noop[j].push(await timed(run));
  }
  for (let i = 0; i < REPEAT; i++) {
    for (const [j, [, run, file]] of contenders.entries()) {
      touch(file, i + 1);
      tch[j].push(await timed(run));
    }
  }
  rows[1].push(...noop.map(median));
  rows[2].push(...tch.map(median));
  console.log(`\n${label}  (-j${JOBS}; no-op and touch: median of ${REPEAT}; seconds, ratio to kbuildts build)`);
  console.log(`  ${'step'.padEnd(18)}${contenders.map(([l]) => l.padStart(28)).join('')}`);
  for (const [step, ...t] of rows) {
    console.log(`  ${step.padEnd(18)}${t.map((x, i) => `${secs(x)} s${i === 0 ? '' : ` (${(x / t[0]).toFixed(1)}x)`}`.padStart(28)).join('')}`);
  }
}

const cli = (tree, config, out, ...extra) => () =>
  execa('node', [CLI, 'build', '--arch', ARCH, '--config', config, '--out', out, '-j', String(JOBS), ...extra, tree]);

const root = mkdtempSync(join(tmpdir(), 'kbuildts-bench-'));
try {
  const probe = await timed(() => loadKFlags({ kdir: KDIR, arch: ARCH, crossCompile: CROSS, refresh: true }));
  const cached = await timed(() => loadKFlags({ kdir: KDIR, arch: ARCH, crossCompile: CROSS }));
  console.log(`kflags probe (once per KDIR+compiler): ${secs(probe)} s; cached load: ${(cached).toFixed(0)} ms`);

  // samples/: a copy per contender, so that touching one source does not rebuild the other's.
  const conf = loadManifest().linuxSource['6.1'].conf;
  const config = join(root, '.config');
  await execa(conf, [`--defconfig=${join(SAMPLES, 'configs/kbuildts_defconfig')}`, 'Kconfig'], { cwd: root, env: { srctree: SAMPLES } });
  const sd = join(root, 'samples-direct');
  const sm = join(root, 'samples-make');
  cpSync(SAMPLES, sd, { recursive: true });
  cpSync(SAMPLES, sm, { recursive: true });
  const hello = 'drivers/kbts/hello/kbts_hello.c';
  await benchTree('samples/ (5 modules, 1 composite, 2 built-in objects)', [
    ['kbuildts build', cli(sd, config, join(root, 'sd-out')), join(sd, hello)],
    ['kbuildts build --via-make', cli(sm, config, join(root, 'sm-out'), '--via-make'), join(sm, hello)],
  ]);

  const empty = join(root, 'empty.config');
  writeFileSync(empty, '');
  generateTree(join(root, 'gen-direct'), NMOD);
  generateTree(join(root, 'gen-via'), NMOD);
  generateTree(join(root, 'gen-make'), NMOD);
  const make = () => execa('make', ['-C', KDIR, `ARCH=${ARCH}`, `CROSS_COMPILE=${CROSS}`, `M=${join(root, 'gen-make')}`, `-j${JOBS}`, 'modules']);
  await benchTree(`generated tree (${NMOD} modules)`, [
    ['kbuildts build', cli(join(root, 'gen-direct'), empty, join(root, 'gd-out')), join(root, 'gen-direct/gen07/gen07.c')],
    ['kbuildts build --via-make', cli(join(root, 'gen-via'), empty, join(root, 'gv-out'), '--via-make'), join(root, 'gen-via/gen07/gen07.c')],
    ['make -C KDIR M=', make, join(root, 'gen-make/gen07/gen07.c')],
  ]);
} finally {
  rmSync(root, { recursive: true, force: true });
}
