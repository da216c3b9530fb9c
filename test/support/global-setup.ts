// vitest global setup: builds the Go helpers under test/ once (cached by
// source hash) before any suite starts. Each builder registers itself here.
export default async function setup(): Promise<void> {
  const { buildGoHelpers } = await import('./go-build.js');
  await buildGoHelpers();
}
