// vitest global setup: builds the Go helpers under test/go/ (cached by source
// hash) and the box's components under test/box/ (cached by version) once,
// before any suite starts.
import { ensureBoxBuilt } from '../box/build.js';
import { buildGoHelpers } from './go-build.js';

export default async function setup(): Promise<void> {
  await buildGoHelpers();
  await ensureBoxBuilt();
}
