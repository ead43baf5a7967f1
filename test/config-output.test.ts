/**
 * runConfig's output (src/kconfig/config.ts): conf's text goes to onStdout/onStderr as it is
 * produced and, unless collectOutput is false (as the CLI runs it), into the result as well.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfig } from '../src/kconfig/config.js';

test('collectOutput: false streams the same text and keeps none of it', () => {
  const root = mkdtempSync(join(tmpdir(), 'kbuildts-output-'));
  writeFileSync(join(root, 'Kconfig'), 'mainmenu "t"\n\nconfig A\n\tbool "a"\n\tdefault y\nconfig N\n\tint "n"\n\trange 1 5\n');
  const run = (collectOutput: boolean | undefined, obj: string) => {
    mkdirSync(join(root, obj));
    // a value of the wrong type: conf warns on stderr; listnewconfig prints on stdout
    writeFileSync(join(root, obj, '.config'), 'CONFIG_A=maybe\n');
    let out = '';
    let err = '';
    const r = runConfig({ mode: 'listnewconfig', srctree: root, objtree: join(root, obj), arch: 'arm64', crossCompile: 'aarch64-linux-gnu-', collectOutput,
      onStdout: (t) => { out += t; }, onStderr: (t) => { err += t; } });
    return { r, out, err };
  };
  const kept = run(undefined, 'o1');
  const streamed = run(false, 'o2');
  expect(kept.out).toMatch(/^CONFIG_A=y$/m);
  expect(kept.err).toMatch(/invalid for A/);
  expect(kept.r.stdout).toBe(kept.out);
  expect(kept.r.stderr).toBe(kept.err);
  expect(kept.r.warnings.length).toBeGreaterThan(0);
  expect(streamed.out).toBe(kept.out);
  expect(streamed.err).toBe(kept.err);
  expect([streamed.r.stdout, streamed.r.stderr, streamed.r.warnings]).toEqual(['', '', []]);
});
