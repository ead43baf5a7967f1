/**
 * conf_write() leaves a .config whose bytes would not change alone (no rename, no .config.old,
 * "No change to .config"), also when it holds bytes >= 0x80 (latin1 string
 * values): checked against the C conf of both series, running the same mode twice in a row.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfig } from '../src/kconfig/config.js';
import { oracleTree } from '../src/conformance/oracle.js';

let root: string;
let tree: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kbuildts-unchanged-'));
  tree = join(root, 'tree');
  mkdirSync(tree);
  writeFileSync(join(tree, 'Kconfig'), Buffer.from('config S\n\tstring "S"\n\tdefault "caf\xe9 \xff"\nconfig B\n\tbool "B"\n\tdefault y\n', 'latin1'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const KERNEL_VERSION = { '6.1': '6.1.0', '6.12': '6.12.0' } as const;

for (const series of ['6.1', '6.12'] as const) {
  test(`${series}: olddefconfig twice on a .config with latin1 bytes: the second run changes nothing, as conf`, () => {
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', srctree: tree, LC_ALL: 'C' };
    const c = join(root, `c-${series}`);
    const k = join(root, `k-${series}`);
    mkdirSync(c);
    mkdirSync(k);
    const conf = oracleTree(series).conf;
    const cOut: string[] = [];
    const kOut: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(conf, ['--olddefconfig', 'Kconfig'], { cwd: c, env, encoding: 'latin1' });
      expect(r.status).toBe(0);
      cOut.push(r.stdout);
      kOut.push(runConfig({ mode: 'olddefconfig', srctree: tree, objtree: k, arch: 'arm64', kernelVersion: KERNEL_VERSION[series], exactEnv: env }).stdout);
    }
    expect(readFileSync(join(k, '.config'), 'latin1')).toBe(readFileSync(join(c, '.config'), 'latin1'));
    expect(readFileSync(join(c, '.config'), 'latin1')).toContain('CONFIG_S="caf\xe9 \xff"');
    expect(kOut).toEqual(cOut);
    expect(cOut[1]).toMatch(/No change to \.config/);
    expect(existsSync(join(k, '.config.old'))).toBe(existsSync(join(c, '.config.old')));
    expect(existsSync(join(c, '.config.old'))).toBe(false);
  });
}
