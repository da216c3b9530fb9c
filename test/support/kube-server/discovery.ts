// Discovery documents: /version, /api, /apis, APIResourceList, and the
// OpenAPI v3 index kubectl probes before applying.
import { apiGroups, RESOURCES, verbsOf } from './registry.js';

export function versionInfo(gitVersion: string): Record<string, string> {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '31',
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-10T11:36:38Z',
    goVersion: 'go1.22.9',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export const coreVersions = (address: string): object => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
});

export function groupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroups().map(({ group, versions }) => ({
      name: group,
      versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
    })),
  };
}

export function group(name: string): object | undefined {
  const g = apiGroups().find((x) => x.group === name);
  if (!g) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name,
    versions: g.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${g.versions[0]}`, version: g.versions[0] },
  };
}

export function resourceList(groupName: string, version: string): object | undefined {
  const rs = RESOURCES.filter((r) => r.group === groupName && r.version === version);
  if (!rs.length) return undefined;
  const resources: object[] = [];
  for (const r of rs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    });
    for (const sub of r.subresources ?? []) {
      resources.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: sub === 'log' ? 'Pod' : r.kind,
        verbs: sub === 'log' ? ['get'] : ['get', 'patch', 'update'],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupName ? `${groupName}/${version}` : version,
    resources,
  };
}

// ---- OpenAPI v3 ----
// Only what clients probe: kubectl looks for the `fieldValidation` query
// parameter on each kind's PATCH operation to decide that the server validates
// fields itself (then it needs no schemas). Schemas are not served.

const gvPath = (group: string, version: string): string => (group ? `apis/${group}/${version}` : `api/${version}`);

export function openApiV3Root(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const seen = new Set<string>();
  for (const r of RESOURCES) {
    const p = gvPath(r.group, r.version);
    if (seen.has(p)) continue;
    seen.add(p);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${r.group || 'core'}${r.version}` };
  }
  return { paths };
}

export function openApiV3GroupVersion(path: string): object | undefined {
  const rs = RESOURCES.filter((r) => gvPath(r.group, r.version) === path);
  if (!rs.length) return undefined;
  const query = (name: string): object => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
  const paths: Record<string, object> = {};
  for (const r of rs) {
    const base = `/${path}/${r.namespaced ? 'namespaces/{namespace}/' : ''}${r.plural}/{name}`;
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    paths[base] = {
      patch: {
        operationId: `patch${r.kind}`,
        parameters: [query('dryRun'), query('fieldManager'), query('fieldValidation'), query('force')],
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'unversioned' }, paths, components: {} };
}
