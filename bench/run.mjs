#!/usr/bin/env node
/** Runs every benchmark in bench/ one after another (`npm run bench`). Not a test: it prints figures. */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const f of readdirSync(here).filter((n) => n.endsWith('.mjs') && n !== 'run.mjs').sort()) {
  console.log(`\n== bench/${f}`);
  execFileSync(process.execPath, [join(here, f)], { stdio: 'inherit' });
}
