// vitest global setup: builds the Go helpers under test/go/ once (cached by
// source hash) before any suite starts.
import { buildGoHelpers } from './go-build.js';

export default async function setup(): Promise<void> {
  await buildGoHelpers();
}
