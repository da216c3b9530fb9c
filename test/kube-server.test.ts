// The test API server answers like kube-apiserver: CRUD, Status bodies,
// patches, server-side apply, selectors, watch and namespace deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeServer, type KubeServer } from './support/kube-server/index.js';

let server: KubeServer;

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply> {
  const res = await server.fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

beforeAll(async () => {
  server = await startKubeServer({ nodes: 3, nodeOptions: { controlPlane: 1 } });
});
afterAll(() => server.stop());

describe('discovery', () => {
  it('reports the configured version and the served groups and resources', async () => {
    expect((await call('GET', '/version')).body.gitVersion).toBe('v1.31.4');
    const groups = (await call('GET', '/apis')).body;
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining(['apps', 'rbac.authorization.k8s.io', 'storage.k8s.io']),
    );
    const apps = (await call('GET', '/apis/apps/v1')).body;
    const ds = apps.resources.find((r: { name: string }) => r.name === 'daemonsets');
    expect(ds).toMatchObject({ kind: 'DaemonSet', namespaced: true, singularName: 'daemonset', shortNames: ['ds'] });
    expect(ds.verbs).toContain('patch');
    const core = (await call('GET', '/api/v1')).body;
    expect(core.resources.find((r: { name: string }) => r.name === 'nodes')).toMatchObject({ namespaced: false });
    expect(core.resources.map((r: { name: string }) => r.name)).toContain('nodes/status');
  });
});

describe('CRUD and Status bodies', () => {
  it('creates with uid, resourceVersion and creationTimestamp, and generateName', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one', { a: '1' }));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ name: 'one', namespace: 'default' });
    expect(created.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.body.metadata.resourceVersion)).toBeGreaterThan(0);
    const generated = await call('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { generateName: 'gen-' },
    });
    expect(generated.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('answers 404 NotFound with details like the real API', async () => {
    const r = await call('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    expect((await call('GET', '/api/v1/nodes/ghost')).body.message).toBe('nodes "ghost" not found');
  });

  it('answers 409 AlreadyExists, and 409 Conflict on a stale resourceVersion', async () => {
    const dup = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "one" already exists' });
    const current = (await call('GET', '/api/v1/namespaces/default/configmaps/one')).body;
    const ok = await call('PUT', '/api/v1/namespaces/default/configmaps/one', { ...current, data: { a: '2' } });
    expect(ok.status).toBe(200);
    expect(Number(ok.body.metadata.resourceVersion)).toBeGreaterThan(Number(current.metadata.resourceVersion));
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/one', { ...current, data: { a: '3' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "one": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'one', kind: 'configmaps' },
    });
  });

  it('answers 422 Invalid with field causes', async () => {
    const badName = await call('POST', '/api/v1/namespaces', { metadata: { name: 'Bad_Name' } });
    expect(badName.status).toBe(422);
    expect(badName.body.details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'metadata.name' });
    const noName = await call('POST', '/api/v1/namespaces/default/secrets', { metadata: {} });
    expect(noName.body.message).toBe(
      'Secret "" is invalid: metadata.name: Required value: name or generateName is required',
    );
    const pvc = await call('POST', '/api/v1/namespaces/default/persistentvolumeclaims', {
      metadata: { name: 'c' },
      spec: { accessModes: ['ReadWriteOnce'] },
    });
    expect(pvc.status).toBe(422);
    expect(pvc.body.message).toBe('PersistentVolumeClaim "c" is invalid: spec.resources[storage]: Required value');
  });

  it('rejects a bad taint effect and duplicate taints by key and effect', async () => {
    const patch = (taints: unknown) =>
      call('PATCH', '/api/v1/nodes/k8s-node-0002', { spec: { taints } }, 'application/merge-patch+json');
    const effect = await patch([{ key: 'a', effect: 'Sometimes' }]);
    expect(effect.status).toBe(422);
    expect(effect.body.details).toMatchObject({ name: 'k8s-node-0002', kind: 'Node' });
    expect(effect.body.details.causes[0]).toEqual({
      reason: 'FieldValueNotSupported',
      message: 'Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      field: 'spec.taints[0].effect',
    });
    const dup = await patch([
      { key: 'a', value: '1', effect: 'NoSchedule' },
      { key: 'a', value: '2', effect: 'NoSchedule' },
    ]);
    expect(dup.status).toBe(422);
    expect(dup.body.details.causes[0]).toMatchObject({ reason: 'FieldValueDuplicate', field: 'spec.taints[1]' });
    expect(dup.body.message).toContain('taints must be unique by key and effect pair');
    const sameKeyOtherEffect = await patch([
      { key: 'a', effect: 'NoSchedule' },
      { key: 'a', effect: 'NoExecute' },
    ]);
    expect(sameKeyOtherEffect.status).toBe(200);
  });

  it('answers 404 for objects in a namespace that does not exist', async () => {
    const r = await call('POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'));
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('namespaces "nowhere" not found');
  });

  it('deletes, then answers 404', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('gone'));
    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/gone');
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'gone' } });
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/gone')).status).toBe(404);
  });

  it('keeps dry-run writes out of the store', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    expect(r.status).toBe(201);
    expect(r.body.metadata.name).toBe('dry');
    expect(server.store.get('ConfigMap', 'dry', 'default')).toBeUndefined();
  });
});

describe('auth', () => {
  it('answers 401 without the token and 403 with the RBAC message for a forbidden verb', async () => {
    const secured = await startKubeServer({ token: 's3cret', user: 'ci', nodes: 1 });
    try {
      const anon = await secured.fetch('/api/v1/nodes', { headers: { Authorization: 'Bearer wrong' } });
      expect(anon.status).toBe(401);
      expect(await anon.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      secured.forbid.push({ verb: 'patch', resource: 'nodes' });
      const r = await secured.fetch('/api/v1/nodes/k8s-node-0001', {
        method: 'PATCH',
        headers: { Authorization: 'Bearer s3cret', 'Content-Type': 'application/merge-patch+json' },
        body: '{}',
      });
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({
        reason: 'Forbidden',
        message:
          'nodes "k8s-node-0001" is forbidden: User "ci" cannot patch resource "nodes" in API group "" at the cluster scope',
        details: { name: 'k8s-node-0001', kind: 'nodes' },
        code: 403,
      });
    } finally {
      await secured.stop();
    }
  });
});

describe('patches', () => {
  it('applies JSON patch, merge patch and strategic merge patch', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('p', { a: '1', b: '2' }));
    const json = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/p',
      [
        { op: 'replace', path: '/data/a', value: 'x' },
        { op: 'remove', path: '/data/b' },
      ],
      'application/json-patch+json',
    );
    expect(json.body.data).toEqual({ a: 'x' });
    const merge = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/p',
      { data: { a: null, c: '3' } },
      'application/merge-patch+json',
    );
    expect(merge.body.data).toEqual({ c: '3' });
    const bad = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/p',
      [{ op: 'remove', path: '/data/zz' }],
      'application/json-patch+json',
    );
    expect(bad.status).toBe(422);
  });

  it('merges containers by name and replaces tolerations in a strategic merge patch', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'b', image: 'b:1' },
            ],
            tolerations: [{ key: 'x', operator: 'Exists' }],
          },
        },
      },
    };
    server.controllers.workloads.enabled = false;
    const created = await call('POST', '/apis/apps/v1/namespaces/default/daemonsets', ds);
    expect(created.body.metadata.generation).toBe(1);
    const patched = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/daemonsets/agent',
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'b', image: 'b:2' },
                { name: 'a', $patch: 'delete' },
              ],
              tolerations: [{ key: 'y', operator: 'Exists' }],
            },
          },
        },
      },
      'application/strategic-merge-patch+json',
    );
    expect(patched.status).toBe(200);
    expect(patched.body.spec.template.spec.containers).toEqual([{ name: 'b', image: 'b:2' }]);
    expect(patched.body.spec.template.spec.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
    expect(patched.body.metadata.generation).toBe(2);
    server.controllers.workloads.enabled = true;
  });
});

describe('status subresource', () => {
  it('writes only status through /status, and ignores status on the main resource', async () => {
    const path = '/api/v1/nodes/k8s-node-0003';
    const before = (await call('GET', path)).body;
    const viaMain = await call(
      'PATCH',
      path,
      { metadata: { labels: { zone: 'a' } }, status: { phase: 'Ignored' } },
      'application/merge-patch+json',
    );
    expect(viaMain.body.metadata.labels.zone).toBe('a');
    expect(viaMain.body.status).toEqual(before.status);
    const viaStatus = await call(
      'PATCH',
      `${path}/status`,
      { metadata: { labels: { zone: 'b' } }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
      'application/strategic-merge-patch+json',
    );
    expect(viaStatus.status).toBe(200);
    expect(viaStatus.body.metadata.labels.zone).toBe('a');
    const ready = viaStatus.body.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready.status).toBe('False');
    // Conditions merge by type: the others stay.
    expect(viaStatus.body.status.conditions).toHaveLength(before.status.conditions.length);
  });
});

describe('server-side apply', () => {
  const path = '/api/v1/namespaces/default/configmaps/ssa';
  const apply = (body: object, query: string) =>
    call(
      'PATCH',
      `${path}?${query}`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, ...body },
      'application/apply-patch+yaml',
    );

  it('requires a field manager', async () => {
    const r = await apply({ data: { a: '1' } }, '');
    expect(r.status).toBe(422);
    expect(r.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });

  it('creates, records managedFields, conflicts with another manager, and takes over with force', async () => {
    const created = await apply({ data: { a: '1', b: '2' } }, 'fieldManager=vk');
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'vk', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } }),
    ]);
    const same = await apply({ data: { a: '1' } }, 'fieldManager=other');
    expect(same.status).toBe(200);
    const clash = await apply({ data: { a: '9' } }, 'fieldManager=other');
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "vk": .data.a',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "vk"', field: '.data.a' }] },
    });
    const forced = await apply({ data: { a: '9' } }, 'fieldManager=other&force=true');
    expect(forced.status).toBe(200);
    expect(forced.body.data).toEqual({ a: '9', b: '2' });
    // vk no longer owns a; applying without b removes b (vk was its only owner).
    const shrunk = await apply({ data: {} }, 'fieldManager=vk');
    expect(shrunk.body.data).toEqual({ a: '9' });
  });

  it('names an Update manager with its API version in a conflict', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-edit', cm('upd', { k: 'v' }));
    const r = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/upd?fieldManager=vk',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'upd' }, data: { k: 'w' } },
      'application/apply-patch+yaml',
    );
    expect(r.status).toBe(409);
    expect(r.body.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.k');
  });

  it('merges associative lists by key between managers and drops what a manager stops applying', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/ssa-web';
    const deployment = (containers: object[]) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'ssa-web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
      },
    });
    const apply = (manager: string, containers: object[]) =>
      call('PATCH', `${path}?fieldManager=${manager}`, deployment(containers), 'application/apply-patch+yaml');
    expect((await apply('vk', [{ name: 'web', image: 'web:1' }])).status).toBe(201);
    const both = await apply('sidecar-injector', [{ name: 'proxy', image: 'proxy:1' }]);
    expect(both.body.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['web', 'proxy']);
    const fields = both.body.metadata.managedFields.find((m: { manager: string }) => m.manager === 'vk').fieldsV1;
    expect(fields['f:spec']['f:template']['f:spec']['f:containers']).toHaveProperty(['k:{"name":"web"}', 'f:image']);
    const dropped = await apply('sidecar-injector', []);
    expect(dropped.body.spec.template.spec.containers).toEqual([{ name: 'web', image: 'web:1' }]);
    const clash = await apply('other', [{ name: 'web', image: 'web:2' }]);
    expect(clash.status).toBe(409);
    expect(clash.body.message).toBe(
      'Apply failed with 1 conflict: conflict with "vk": .spec.template.spec.containers[name="web"].image',
    );
  });

  it('does not store an apply with dryRun=All', async () => {
    const r = await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/dry-apply?fieldManager=vk&dryRun=All',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry-apply\ndata:\n  x: "1"\n',
      'application/apply-patch+yaml',
    );
    expect(r.status).toBe(201);
    expect(server.store.get('ConfigMap', 'dry-apply', 'default')).toBeUndefined();
  });
});

describe('selectors', () => {
  it('filters lists by label and field selectors', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('l1', {}, { tier: 'web', env: 'prod' }));
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('l2', {}, { tier: 'db' }));
    const names = async (q: string): Promise<string[]> =>
      (await call('GET', `/api/v1/namespaces/default/configmaps?${q}`)).body.items.map(
        (i: { metadata: { name: string } }) => i.metadata.name,
      );
    expect(await names('labelSelector=tier%3Dweb')).toEqual(['l1']);
    expect(await names('labelSelector=tier%3D%3Ddb')).toEqual(['l2']);
    expect(await names(`labelSelector=${encodeURIComponent('tier in (web,db),env!=prod')}`)).toEqual(['l2']);
    expect(await names(`labelSelector=${encodeURIComponent('tier notin (web),tier')}`)).toEqual(['l2']);
    expect(await names(`labelSelector=${encodeURIComponent('!env,tier')}`)).toEqual(['l2']);
    expect(await names('fieldSelector=metadata.name%3Dl1')).toEqual(['l1']);
    const nodes = await call(
      'GET',
      `/api/v1/nodes?labelSelector=${encodeURIComponent('node-role.kubernetes.io/control-plane')}`,
    );
    expect(nodes.body.kind).toBe('NodeList');
    expect(nodes.body.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['k8s-node-0001']);
  });

  it('pages with limit and continue', async () => {
    const first = (await call('GET', '/api/v1/nodes?limit=2')).body;
    expect(first.items).toHaveLength(2);
    const rest = (await call('GET', `/api/v1/nodes?limit=2&continue=${first.metadata.continue}`)).body;
    expect(rest.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['k8s-node-0003']);
  });
});

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED for matching objects from a resourceVersion', async () => {
    const ns = '/api/v1/namespaces/default/configmaps';
    const rv = (await call('GET', ns)).body.metadata.resourceVersion;
    const ac = new AbortController();
    const res = await server.fetch(`${ns}?watch=true&resourceVersion=${rv}&labelSelector=w%3D1`, {
      signal: ac.signal,
    });
    const events: { type: string; object: { metadata: { name: string } } }[] = [];
    const done = (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk);
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
        if (events.length >= 3) break;
      }
    })();
    await call('POST', ns, cm('w', {}, { w: '1' }));
    await call('POST', ns, cm('not-watched'));
    await call('PATCH', `${ns}/w`, { data: { x: 'y' } }, 'application/merge-patch+json');
    await call('DELETE', `${ns}/w`);
    await done;
    ac.abort();
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
  });

  it('sends BOOKMARK events when asked', async () => {
    const res = await server.fetch(
      `/api/v1/namespaces/kube-system/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=${server.store.resourceVersion}`,
    );
    const lines = (await res.text()).trim().split('\n');
    const bookmark = JSON.parse(lines[0]);
    expect(bookmark.type).toBe('BOOKMARK');
    expect(bookmark.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
    expect(Number(bookmark.object.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it('sends ERROR 410 Expired for a resourceVersion older than its history', async () => {
    const busy = await startKubeServer();
    try {
      for (let i = 0; i < 20_010; i++)
        busy.store.put({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `c${i % 5}`, namespace: 'default' },
          data: { i: String(i) },
        });
      const text = await (await busy.fetch(`/api/v1/configmaps?watch=1&resourceVersion=2`)).text();
      const event = JSON.parse(text.trim());
      expect(event.type).toBe('ERROR');
      expect(event.object).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    } finally {
      await busy.stop();
    }
  });
});

describe('namespace deletion', () => {
  it('goes Terminating, refuses new content, then removes the namespace and its objects', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await call('POST', '/api/v1/namespaces/doomed/secrets', { metadata: { name: 's' }, data: {} });
    const del = await call('DELETE', '/api/v1/namespaces/doomed');
    expect(del.status).toBe(200);
    expect(del.body.status.phase).toBe('Terminating');
    const refused = await call('POST', '/api/v1/namespaces/doomed/configmaps', cm('late'));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('because it is being terminated');
    await expect.poll(() => server.store.get('Namespace', 'doomed'), { timeout: 2000 }).toBeUndefined();
    expect(server.store.list('Secret', 'doomed')).toEqual([]);
    expect((await call('GET', '/api/v1/namespaces/doomed')).status).toBe(404);
  });
});
