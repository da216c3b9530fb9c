// `?watch=true`: newline-delimited WatchEvents over a chunked response, from
// the current state (no resourceVersion) or from the store's event history
// (410 Expired when it is too old), filtered like a LIST.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceType } from './registry.js';
import type { ObjectStore, StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

export function serveWatch(
  store: ObjectStore,
  r: ResourceType,
  keep: (o: KubeObject) => boolean,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  open: Set<ServerResponse>,
): void {
  const bookmarks = params.get('allowWatchBookmarks') === 'true';
  const rvParam = params.get('resourceVersion');
  const timeout = Number(params.get('timeoutSeconds') ?? 1800);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  const write = (type: string, object: unknown): void => {
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const onEvent = (e: StoreEvent): void => {
    if (e.resource !== r) return;
    const now = keep(e.object);
    const before = e.old ? keep(e.old) : false;
    if (e.type === 'MODIFIED' && now !== before) write(now ? 'ADDED' : 'DELETED', e.object);
    else if (now) write(e.type, e.object);
  };
  let backlog: StoreEvent[] = [];
  if (!rvParam || rvParam === '0') {
    for (const o of store.list(r).filter(keep)) write('ADDED', o);
  } else {
    const since = store.since(Number(rvParam));
    if (!since) {
      write('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${rvParam} (${store.oldestWatchable})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }
    backlog = since;
  }
  for (const e of backlog) onEvent(e);
  const unsubscribe = store.subscribe(onEvent);
  const bookmark = bookmarks
    ? setInterval(
        () =>
          write('BOOKMARK', {
            kind: r.kind,
            apiVersion: apiVersionOf(r),
            metadata: { resourceVersion: String(store.resourceVersion) },
          }),
        1000,
      )
    : undefined;
  const end = setTimeout(() => res.end(), timeout * 1000);
  open.add(res);
  const cleanup = (): void => {
    unsubscribe();
    clearInterval(bookmark);
    clearTimeout(end);
    open.delete(res);
  };
  res.on('close', cleanup);
  req.on('close', cleanup);
}
