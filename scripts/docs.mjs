// `npm run docs`: the command reference in docs/commands/, generated from the
// commands' own help (oclif readme --multi) after a build. With --check (CI)
// it fails naming the pages that differ from the checked-in ones, so the
// reference cannot drift from the commands. The width is fixed (COLUMNS) so
// the pages do not depend on the terminal they were made in.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const index = 'docs/commands.md';
const dir = 'docs/commands';
const pages = () => [index, ...(existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [])];
const snapshot = () => new Map(pages().map((p) => [p, readFileSync(p, 'utf8')]));

const before = snapshot();
execFileSync('npx', ['oclif', 'readme', '--multi', '--output-dir', dir, '--readme-path', index, '--no-source-links'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, COLUMNS: '120', OCLIF_COLUMNS: '120', OCLIF_DISABLE_UPDATE_CHECK: '1' },
});
// oclif links the topic pages relative to the repository; the index lives in docs/.
writeFileSync(index, readFileSync(index, 'utf8').replaceAll(`](${dir}/`, '](commands/'));

if (process.argv.includes('--check')) {
  const after = snapshot();
  const stale = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
  if (stale.length > 0) {
    console.error(`docs: the command reference is out of date (${stale.join(', ')}); run npm run docs and commit it`);
    process.exit(1);
  }
  console.error(`docs: the command reference matches the commands (${after.size} pages)`);
}
