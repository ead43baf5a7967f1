/**
 * `kbuildts new driver`: the scaffolded driver is wired so that the kernel's own conf sees its
 * symbol through the parent's `source` line, and re-running refuses to clobber it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newDriver } from '../src/scaffold/new-driver.js';
import { loadManifest } from '../src/runner/cache.js';

function makeTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'kbuildts-scaffold-'));
  writeFileSync(join(root, 'Kconfig'), 'mainmenu "Scaffold test"\n\nconfig MODULES\n\tbool\n\tdefault y\n\tmodules\n\nsource "drivers/Kconfig"\n');
  mkdirSync(join(root, 'drivers'));
  writeFileSync(join(root, 'drivers/Kconfig'), 'menu "Drivers"\n\nconfig EXISTING\n\ttristate "Existing driver"\n\nendmenu\n');
  writeFileSync(join(root, 'drivers/Makefile'), 'obj-$(CONFIG_EXISTING) += existing.o\n');
  return root;
}

test('scaffolds a driver that the kernel conf sees through the parent Kconfig', () => {
  const root = makeTree();
  const r = newDriver({ name: 'blinky', parent: join(root, 'drivers'), description: 'Blinky LED demo driver' });
  expect(r.symbol).toBe('BLINKY');
  const parentK = readFileSync(join(root, 'drivers/Kconfig'), 'utf8');
  // wired before endmenu, with a srctree-relative path
  expect(parentK).toMatch(/source "drivers\/blinky\/Kconfig"\n\nendmenu|source "drivers\/blinky\/Kconfig"\nendmenu/);
  expect(readFileSync(join(root, 'drivers/Makefile'), 'utf8')).toContain('obj-$(CONFIG_BLINKY)\t+= blinky/');
  expect(readFileSync(join(root, 'drivers/blinky/blinky.c'), 'utf8')).toContain('module_init(blinky_init);');

  const { linuxSource } = loadManifest();
  const conf = linuxSource['6.1'].conf;
  const obj = mkdtempSync(join(tmpdir(), 'kbuildts-scaffold-obj-'));
  writeFileSync(join(obj, 'all.config'), 'CONFIG_BLINKY=m\n');
  execFileSync(conf, ['-s', '--allnoconfig', 'Kconfig'], {
    cwd: obj,
    env: { ...process.env, srctree: root, KCONFIG_ALLCONFIG: join(obj, 'all.config') },
  });
  const dotconfig = readFileSync(join(obj, '.config'), 'utf8');
  expect(dotconfig).toContain('CONFIG_BLINKY=m');
  expect(dotconfig).toContain('# CONFIG_EXISTING is not set');
});

test('refuses to overwrite an existing driver or redefine a symbol', () => {
  const root = makeTree();
  newDriver({ name: 'blinky', parent: join(root, 'drivers') });
  expect(() => newDriver({ name: 'blinky', parent: join(root, 'drivers') })).toThrow(/already exists/);
  expect(() => newDriver({ name: 'existing', parent: join(root, 'drivers') })).toThrow(/EXISTING is already defined/);
  expect(() => newDriver({ name: 'Bad Name', parent: join(root, 'drivers') })).toThrow(/invalid driver name/);
});
