#!/usr/bin/env node
// Startup speed: medians of `vk --version` and `vk datastores --help`, each
// divided by the median of `node -e 0` measured in the same run, so the
// figure is about vk and not about the machine. Goal: at most 3x for both.
//
//   node bench/startup.mjs [--runs N]     (build first: npm run build)

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const bin = join(root, 'bin', 'run.js');
if (!existsSync(join(root, 'oclif.manifest.json'))) {
  console.error('bench/startup: oclif.manifest.json is missing; run `npm run build` first');
  process.exit(2);
}

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'vk --version', args: [bin, '--version'] },
  { name: 'vk datastores --help', args: [bin, 'datastores', '--help'] },
];

function once(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Warm the file cache, then interleave the cases so drift hits all alike.
for (const c of cases) once(c.args);
const times = cases.map(() => []);
for (let i = 0; i < runs; i++) cases.forEach((c, j) => times[j].push(once(c.args)));

const base = median(times[0]);
console.log(`runs: ${runs} each, interleaved`);
console.log(`${cases[0].name.padEnd(22)} ${base.toFixed(0).padStart(5)} ms`);
let ok = true;
for (let j = 1; j < cases.length; j++) {
  const m = median(times[j]);
  const ratio = m / base;
  ok &&= ratio <= 3;
  console.log(`${cases[j].name.padEnd(22)} ${m.toFixed(0).padStart(5)} ms   ${ratio.toFixed(2)}x node -e 0`);
}
console.log(ok ? 'goal (<= 3x) met' : 'goal (<= 3x) NOT met');
