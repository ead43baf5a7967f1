/**
 * `kbuildts build --cc-wrapper distcc` and `CC="distcc <compiler>"` (as `make CC=...`): samples/
 * is built for arm64 through a real distccd from Debian, listening on loopback only, with
 * DISTCC_FALLBACK=0 so that distcc cannot silently compile locally. distccd's log must show the
 * compile jobs, and the modules must match a build without distcc (section names, .modinfo,
 * __versions, .text bytes).
 *
 * distcc is installed with apt-get only when missing (scripts/setup.sh lists it); distccd is
 * started here with a pid file on a free port and stopped in afterAll.
 * Needs the set-up manifest (arm64 KDIR, the 6.1 conf oracle), the cross compiler and dist/.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { readElf, splitModinfo } from '../src/runner/elf.js';
import { parseVersions } from '../src/runner/inspect.js';
import { loadManifest } from '../src/runner/cache.js';

const CLI = join(process.cwd(), 'dist/cli/kbuildts.cjs');
const SAMPLES = join(process.cwd(), 'samples');
const MODULES = ['export/kbts_consumer', 'export/kbts_exporter', 'flags/kbts_flags', 'hello/kbts_hello', 'multi/kbts_multi'];
const work = mkdtempSync(join(tmpdir(), 'kbt-distcc-'));
const pidFile = join(work, 'distccd.pid');
const logFile = join(work, 'distccd.log');
let env: Record<string, string>;

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const which = async (p: string): Promise<boolean> => (await execa('sh', ['-c', `command -v ${p}`], { reject: false })).exitCode === 0;
const compileJobs = (): number => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter((l) => /COMPILE_OK/.test(l)).length : 0);

beforeAll(async () => {
  if (!(await which('distcc')) || !(await which('distccd'))) {
    await execa('apt-get', ['install', '-y', '-q', 'distcc'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  }
  // distccd drops root privileges: its log directory must be writable by its own user.
  chmodSync(work, 0o777);
  const port = await freePort();
  await execa('distccd', ['--daemon', '--listen', '127.0.0.1', '--allow', '127.0.0.1', '--port', String(port), '--jobs', '2',
    '--pid-file', pidFile, '--log-file', logFile, '--log-level', 'info']);
  while (!existsSync(pidFile) || !readFileSync(logFile, 'utf8').includes('listening on')) await new Promise((r) => setTimeout(r, 20));
  mkdirSync(join(work, 'client'));
  env = { DISTCC_HOSTS: `127.0.0.1:${port}`, DISTCC_FALLBACK: '0', DISTCC_DIR: join(work, 'client') };
  const conf = loadManifest().linuxSource['6.1']!.conf;
  await execa(conf, [`--defconfig=${join(SAMPLES, 'configs/kbuildts_defconfig')}`, 'Kconfig'], { cwd: work, env: { srctree: SAMPLES } });
  await execa('node', [CLI, 'build', '--arch', 'arm64', '--config', join(work, '.config'), '--out', join(work, 'local'), SAMPLES]);
});

afterAll(() => {
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

async function sameModules(dir: string): Promise<void> {
  for (const m of MODULES) {
    const [mine, ref] = await Promise.all([readElf(join(dir, `drivers/kbts/${m}.ko`)), readElf(join(work, 'local', `drivers/kbts/${m}.ko`))]);
    expect(mine.sections.map((s) => s.name)).toEqual(ref.sections.map((s) => s.name));
    expect(splitModinfo(mine.section('.modinfo')!.data)).toEqual(splitModinfo(ref.section('.modinfo')!.data));
    expect(parseVersions(mine.section('__versions')!.data)).toEqual(parseVersions(ref.section('__versions')!.data));
    expect(mine.section('.text')!.data.equals(ref.section('.text')!.data)).toBe(true);
  }
}

test('--cc-wrapper distcc: every compile runs on distccd, the modules match a local build', async () => {
  const before = compileJobs();
  const out = join(work, 'wrapped');
  const r = await execa('node', [CLI, 'build', '--arch', 'arm64', '--config', join(work, '.config'), '--out', out, '--cc-wrapper', 'distcc', '-j', '2', SAMPLES], { env });
  expect(r.stdout).toContain('5 module(s), 2 built-in object(s)');
  // 9 objects (7 module parts, 2 built-in) and 5 <mod>.mod.c.
  expect(compileJobs() - before).toBe(14);
  expect(readFileSync(logFile, 'utf8')).toMatch(/COMPILE_OK exit:0 .*aarch64-linux-gnu-gcc-12 \S*kbts_hello\.c/);
  await sameModules(out);
});

test('CC="distcc aarch64-linux-gnu-gcc-12" in the environment replaces the compiler as make CC= does', async () => {
  const before = compileJobs();
  const out = join(work, 'cc-env');
  await execa('node', [CLI, 'build', '--arch', 'arm64', '--config', join(work, '.config'), '--out', out, '-j', '2', SAMPLES], {
    env: { ...env, CC: 'distcc aarch64-linux-gnu-gcc-12' },
  });
  expect(compileJobs() - before).toBe(14);
  await sameModules(out);
});
