// Pure logic of the kube client: error translation, kubeconfig resolution,
// apply's created/configured/unchanged decision, Go-style durations.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorFromNetwork, errorFromResponse, isConflict } from '../src/lib/kube/errors.js';
import { loadKubeconfig } from '../src/lib/kube/kubeconfig.js';
import { applyAction } from '../src/lib/kube/apply.js';
import { formatDuration, parseDuration } from '../src/lib/kube/duration.js';
import { UsageError } from '../src/lib/core/errors.js';

const req = { method: 'PATCH', path: '/api/v1/nodes/w-1', server: 'https://10.0.0.1:6443', context: 'admin@lab' };
const status = (code: number, reason: string, message: string, details?: object) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details });

describe('API errors become one line', () => {
  it('401 names the server and context, and hints at the credentials', () => {
    const e = errorFromResponse(401, status(401, 'Unauthorized', 'Unauthorized'), req);
    expect(e.message).toBe(
      'the server https://10.0.0.1:6443 rejected the credentials of kubeconfig context "admin@lab" (401 Unauthorized)',
    );
    expect(e.hint).toMatch(/token or client certificate/);
  });

  it('403 keeps the server message and names the verb/resource to grant', () => {
    const msg =
      'nodes "w-1" is forbidden: User "system:serviceaccount:default:ci" cannot patch resource "nodes" in API group "" at the cluster scope';
    const e = errorFromResponse(403, status(403, 'Forbidden', msg), req);
    expect(e.message).toBe(msg);
    expect(e.hint).toBe('the kubeconfig user needs RBAC permission to patch nodes');
    const apps = errorFromResponse(
      403,
      status(
        403,
        'Forbidden',
        'daemonsets.apps is forbidden: User "u" cannot list resource "daemonsets" in API group "apps"',
      ),
      req,
    );
    expect(apps.hint).toBe('the kubeconfig user needs RBAC permission to list daemonsets.apps');
  });

  it('404 is the Status message, like kubectl', () => {
    const e = errorFromResponse(404, status(404, 'NotFound', 'nodes "w-3" not found'), req);
    expect(e.message).toBe('nodes "w-3" not found');
    expect(e.status).toBe(404);
  });

  it('409 tells a stale write from an existing object, and apply conflicts hint at --force-conflicts', () => {
    const stale = errorFromResponse(
      409,
      status(
        409,
        'Conflict',
        'Operation cannot be fulfilled on nodes "w-1": the object has been modified; please apply your changes to the latest version and try again',
      ),
      req,
    );
    expect(isConflict(stale)).toBe(true);
    const exists = errorFromResponse(409, status(409, 'AlreadyExists', 'namespaces "x" already exists'), req);
    expect(isConflict(exists)).toBe(false);
    expect(exists.message).toBe('namespaces "x" already exists');
    const apply = errorFromResponse(
      409,
      status(
        409,
        'Conflict',
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
      ),
      req,
    );
    expect(apply.message).not.toContain('\n');
    expect(apply.hint).toMatch(/--force-conflicts/);
  });

  it('422 lists the field causes on one line', () => {
    const e = errorFromResponse(
      422,
      status(422, 'Invalid', 'DaemonSet.apps "ccm" is invalid: [...]', {
        name: 'ccm',
        group: 'apps',
        kind: 'DaemonSet',
        causes: [
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' },
          { reason: 'FieldValueInvalid', message: 'Invalid value: "x y": must be a DNS label', field: 'metadata.name' },
        ],
      }),
      req,
    );
    expect(e.message).toBe(
      'DaemonSet.apps "ccm" is invalid: spec.template.spec.containers[0].image: Required value; metadata.name: Invalid value: "x y": must be a DNS label',
    );
  });

  it('connection refused and TLS failures name the server URL', () => {
    const refused = errorFromNetwork(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), req);
    expect(refused.message).toBe(
      'cannot connect to the Kubernetes API server at https://10.0.0.1:6443: connection refused',
    );
    const tls = errorFromNetwork(
      Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      req,
    );
    expect(tls.message).toContain('TLS error talking to the Kubernetes API server at https://10.0.0.1:6443');
    expect(tls.hint).toMatch(/certificate-authority/);
  });
});

describe('kubeconfig resolution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vk-kc-'));
  const file = (name: string, server: string, ctx: string, current?: string) => {
    const p = join(dir, name);
    writeFileSync(
      p,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: ${ctx}, cluster: {server: "${server}"}}]`,
        `users: [{name: ${ctx}, user: {token: t-${ctx}}}]`,
        `contexts: [{name: ${ctx}, context: {cluster: ${ctx}, user: ${ctx}}}]`,
        current ? `current-context: ${current}` : '',
      ].join('\n'),
    );
    return p;
  };
  const a = file('a', 'https://a.example:6443', 'a', 'a');
  const b = file('b', 'https://b.example:6443', 'b', 'b');

  it('KUBECONFIG merges a list; the first file’s current-context wins', async () => {
    const r = await loadKubeconfig({}, { KUBECONFIG: `${a}:${b}` });
    expect(r.context).toBe('a');
    expect(r.server).toBe('https://a.example:6443');
    const other = await loadKubeconfig({ context: 'b' }, { KUBECONFIG: `${a}:${b}` });
    expect(other.server).toBe('https://b.example:6443');
  });

  it('--kubeconfig beats KUBECONFIG', async () => {
    const r = await loadKubeconfig({ kubeconfig: b }, { KUBECONFIG: a });
    expect(r.context).toBe('b');
  });

  it('an unknown --context is a usage error listing the contexts', async () => {
    const err = await loadKubeconfig({ context: 'prod' }, { KUBECONFIG: `${a}:${b}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`context "prod" not found in kubeconfig ${a}:${b} (contexts: a, b)`);
  });

  it('no kubeconfig anywhere names --kubeconfig and KUBECONFIG', async () => {
    const err = (await loadKubeconfig({}, { HOME: dir }).catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err.message).toMatch(/no kubeconfig/);
    expect(err.hint).toBe('pass --kubeconfig FILE or set KUBECONFIG');
  });
});

describe('apply result', () => {
  const obj = (rv: string, data: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'n', resourceVersion: rv },
    data,
  });
  it('created / configured / unchanged from resourceVersion, content under dry-run', () => {
    expect(applyAction(undefined, obj('2', {}), false)).toBe('created');
    expect(applyAction(obj('2', { a: '1' }), obj('3', { a: '2' }), false)).toBe('configured');
    expect(applyAction(obj('2', { a: '1' }), obj('2', { a: '1' }), false)).toBe('unchanged');
    expect(applyAction(obj('2', { a: '1' }), obj('2', { a: '2' }), true)).toBe('configured');
    // Only field ownership moved (the apiserver bumps the resourceVersion): nothing the user sees changed.
    expect(applyAction(obj('2', { a: '1' }), obj('3', { a: '1' }), false)).toBe('unchanged');
    expect(applyAction(obj('2', { a: '1' }), obj('2', { a: '1' }), true)).toBe('unchanged');
  });
});

describe('durations', () => {
  it('print like Go', () => {
    expect(formatDuration(120_000)).toBe('2m0s');
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(3_605_000)).toBe('1h0m5s');
    expect(formatDuration(250)).toBe('250ms');
  });
  it('parse 90, 90s, 2m, 1h30m, 500ms', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2x')).toBeUndefined();
  });
});
