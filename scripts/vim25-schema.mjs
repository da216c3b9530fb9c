// `npm run schema`: regenerates src/lib/vsphere/soap/schema.generated.ts from
// govmomi's types (the Go program in scripts/vim25-schema, pinned to the
// box's govmomi) and formats it with the project's prettier settings. With
// --check (CI) it writes nothing and fails when the checked-in file differs.
// Without Go, --check skips with a message (vk itself never needs Go).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';

const root = join(import.meta.dirname, '..');
const out = join(root, 'src/lib/vsphere/soap/schema.generated.ts');
const check = process.argv.includes('--check');

if (spawnSync('go', ['version'], { stdio: 'ignore' }).error) {
  const message = 'vim25-schema: Go is not installed, so the generated schema cannot be';
  if (check) {
    console.error(`${message} checked; skipped`);
    process.exit(0);
  }
  console.error(`${message} regenerated`);
  process.exit(1);
}

const generated = execFileSync('go', ['run', '.'], {
  cwd: join(root, 'scripts/vim25-schema'),
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 16 << 20,
});
const options = (await prettier.resolveConfig(out)) ?? {};
const text = await prettier.format(generated, { ...options, filepath: out });
const types = (text.match(/^ {2}\w+: \{/gm) ?? []).length;

if (check) {
  if (readFileSync(out, 'utf8') !== text) {
    console.error(
      'vim25-schema: src/lib/vsphere/soap/schema.generated.ts is out of date; run npm run schema and commit it',
    );
    process.exit(1);
  }
  console.error(`vim25-schema: the generated schema matches govmomi's types (${types} types)`);
} else {
  writeFileSync(out, text);
  console.error(`vim25-schema: wrote ${out} (${types} types)`);
}
