// Bounded concurrency: the one helper every step uses to fan out requests
// (VM reconfigures, node patches, vAPI reads) without opening more than
// `limit` at a time.

/**
 * `fn` over `items` with at most `limit` calls in flight (at least one), the
 * results in the order of `items`. With `signal`, no new call starts once it
 * is aborted; the first rejection rejects the whole map.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (signal?.aborted) throw signal.reason;
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
