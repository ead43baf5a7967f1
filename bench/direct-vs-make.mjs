#!/usr/bin/env node
/**
 * buildDirect (src/runner/direct.ts) against `make -C KDIR ARCH=arm64 CROSS_COMPILE=... M=dir -jN
 * modules`, same -j, on two trees: the test fixture tree (test/fixtures/direct, 4 modules, one
 * composite) and a generated tree of 50 modules (every fifth composite of two objects, one
 * exporter used by ten consumers). For each: cold build, no-op rebuild, rebuild after touching
 * one source. Prints wall-clock seconds and make/direct ratios.
 *
 * Run after `npx tsc -p .`:  node bench/direct-vs-make.mjs [--jobs N] [--repeat R] [--modules M]
 * KDIR: $KBUILDTS_KDIR, else the manifest's arm64.kdir (npm run setup).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { buildDirect } from '../dist/runner/direct.js';
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
const FIXTURE = resolve(new URL('../test/fixtures/direct', import.meta.url).pathname);

/** A tree: its Kbuild-described modules as buildDirect units, built from `src`. */
function fixtureUnits(src) {
  return {
    modules: [
      { name: 'kbt_param', dir: 'param', objects: [{ obj: 'kbt_param.o', src: `${src}/param/kbt_param.c` }] },
      { name: 'kbt_exporter', dir: 'exporter', objects: [{ obj: 'kbt_exporter.o', src: `${src}/exporter/kbt_exporter.c` }] },
      { name: 'kbt_consumer', dir: 'consumer', objects: [{ obj: 'kbt_consumer.o', src: `${src}/consumer/kbt_consumer.c` }] },
      { name: 'kbt_composite', dir: 'composite', composite: true, objects: [
        { obj: 'comp_main.o', src: `${src}/composite/comp_main.c` },
        { obj: 'comp_util.o', src: `${src}/composite/comp_util.c` },
      ] },
    ],
  };
}

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

async function benchTree(label, makeDir, outDir, units, touchRel) {
  const make = () => execa('make', ['-C', KDIR, `ARCH=${ARCH}`, `CROSS_COMPILE=${CROSS}`, `M=${makeDir}`, `-j${JOBS}`, 'modules']);
  const direct = async () => {
    const r = await buildDirect({ kdir: KDIR, arch: ARCH, crossCompile: CROSS, outDir, units, jobs: JOBS });
    return r;
  };
  const rows = [];
  const cold = [await timed(make), await timed(direct)];
  rows.push(['cold build', ...cold]);
  const noop = [[], []];
  for (let i = 0; i < REPEAT; i++) {
    noop[0].push(await timed(make));
    let work = 0;
    noop[1].push(await timed(async () => { work = (await direct()).actions.length; }));
    if (work !== 0) throw new Error(`direct no-op rebuild ran ${work} steps`);
  }
  rows.push(['no-op rebuild', median(noop[0]), median(noop[1])]);
  const tch = [[], []];
  const srcFile = units.modules.flatMap((m) => m.objects).find((o) => o.src.endsWith(touchRel)).src;
  const makeFile = join(makeDir, touchRel);
  for (let i = 0; i < REPEAT; i++) {
    touch(makeFile, i + 1);
    tch[0].push(await timed(make));
    touch(srcFile, i + 1);
    tch[1].push(await timed(direct));
  }
  rows.push([`touch ${touchRel}`, median(tch[0]), median(tch[1])]);
  console.log(`\n${label}  (-j${JOBS}; no-op and touch: median of ${REPEAT})`);
  console.log(`  ${'step'.padEnd(34)} ${'make s'.padStart(8)} ${'direct s'.padStart(9)} ${'make/direct'.padStart(12)}`);
  for (const [step, m, d] of rows) console.log(`  ${step.padEnd(34)} ${secs(m).padStart(8)} ${secs(d).padStart(9)} ${(m / d).toFixed(1).padStart(11)}x`);
}

const root = mkdtempSync(join(tmpdir(), 'kbuildts-bench-'));
try {
  const probe = await timed(() => loadKFlags({ kdir: KDIR, arch: ARCH, crossCompile: CROSS, refresh: true }));
  const cached = await timed(() => loadKFlags({ kdir: KDIR, arch: ARCH, crossCompile: CROSS }));
  console.log(`kflags probe (once per KDIR+compiler): ${secs(probe)} s; cached load: ${(cached).toFixed(0)} ms`);

  cpSync(FIXTURE, join(root, 'fx-make'), { recursive: true });
  cpSync(FIXTURE, join(root, 'fx-src'), { recursive: true });
  rmSync(join(root, 'fx-make/builtin'), { recursive: true });
  await benchTree('fixture tree (4 modules, 5 objects)', join(root, 'fx-make'), join(root, 'fx-out'), fixtureUnits(join(root, 'fx-src')), 'param/kbt_param.c');

  generateTree(join(root, 'gen-make'), NMOD);
  const units = generateTree(join(root, 'gen-src'), NMOD);
  await benchTree(`generated tree (${NMOD} modules)`, join(root, 'gen-make'), join(root, 'gen-out'), units, 'gen07/gen07.c');
} finally {
  rmSync(root, { recursive: true, force: true });
}
