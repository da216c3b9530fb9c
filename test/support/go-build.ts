// CONTRACT STUB (filled in by the foundation work): builds the Go helpers.
export async function buildGoHelpers(): Promise<void> {}
