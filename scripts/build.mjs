// Build: compile TypeScript to dist/ and write oclif.manifest.json so that
// `vk --help` and `vk --version` never load command code.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });
rmSync('oclif.manifest.json', { force: true });
run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
run(process.execPath, ['node_modules/oclif/bin/run.js', 'manifest']);
