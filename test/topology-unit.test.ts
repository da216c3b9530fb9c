// vk topology's planning and doctor's zone-tags check on plain data: which
// tags a --create would attach, what it refuses before any change, and what
// the check says about the tags above each node.
import { describe, expect, it } from 'vitest';
import {
  parseTagAssignment,
  planTopology,
  zoneTagsCheck,
  type Ancestor,
  type TopologyInput,
  type TopologyState,
} from '../src/lib/topology/topology.js';
import { UsageError, VkError } from '../src/lib/core/errors.js';

const dc: Ancestor = { ref: { type: 'Datacenter', value: 'datacenter-1' }, name: 'DC0', kind: 'datacenter' };
const root: Ancestor = { ref: { type: 'Folder', value: 'group-d1' }, name: 'Datacenters' };
const hostFolder: Ancestor = { ref: { type: 'Folder', value: 'group-h4' }, name: 'host' };
const cluster = (n: number): Ancestor => ({
  ref: { type: 'ClusterComputeResource', value: `domain-c${n}` },
  name: `DC0_C${n}`,
  kind: 'cluster',
});
const host = (c: number, h: number): Ancestor => ({
  ref: { type: 'HostSystem', value: `host-${c}${h}` },
  name: `DC0_C${c}_H${h}`,
  kind: 'host',
});
const place = (node: string, c: number, h: number) => ({
  node,
  vm: node,
  ancestors: [host(c, h), cluster(c), hostFolder, dc, root],
});

/** Two clusters, one node on each; vCenter has no categories yet. */
const bare = (): TopologyState => ({
  places: [place('node-a', 0, 0), place('node-b', 1, 0)],
  categories: [],
  tags: [],
  attached: new Map(),
});

const input = (over: Partial<TopologyInput> = {}): TopologyInput => ({
  regionCategory: 'k8s-region',
  zoneCategory: 'k8s-zone',
  regionTags: [],
  zoneTags: [],
  ...over,
});

/** The state after creating both categories and tagging DC0 region-1 and each cluster zone-N. */
function tagged(): TopologyState {
  const s = bare();
  s.categories = [
    { id: 'cat-r', name: 'k8s-region', description: '', cardinality: 'SINGLE', associableTypes: [] },
    { id: 'cat-z', name: 'k8s-zone', description: '', cardinality: 'SINGLE', associableTypes: [] },
  ];
  s.tags = [
    { id: 'tag-r1', name: 'region-1', description: '', categoryId: 'cat-r' },
    { id: 'tag-z0', name: 'zone-0', description: '', categoryId: 'cat-z' },
    { id: 'tag-z1', name: 'zone-1', description: '', categoryId: 'cat-z' },
  ];
  s.attached = new Map([
    ['Datacenter:datacenter-1', ['tag-r1']],
    ['ClusterComputeResource:domain-c0', ['tag-z0']],
    ['ClusterComputeResource:domain-c1', ['tag-z1']],
  ]);
  return s;
}

describe('planTopology', () => {
  it('by default: one region per datacenter and one zone per cluster, named after them', () => {
    const plan = planTopology(bare(), input());
    expect(plan.createCategories).toEqual(['k8s-region', 'k8s-zone']);
    expect(plan.createTags).toEqual([
      { category: 'k8s-region', tag: 'DC0' },
      { category: 'k8s-zone', tag: 'DC0_C0' },
      { category: 'k8s-zone', tag: 'DC0_C1' },
    ]);
    expect(plan.attach.map((a) => `${a.category}=${a.tag} on ${a.kind} ${a.object}`)).toEqual([
      'k8s-region=DC0 on datacenter DC0',
      'k8s-zone=DC0_C0 on cluster DC0_C0',
      'k8s-zone=DC0_C1 on cluster DC0_C1',
    ]);
    expect(plan.nodes).toEqual([
      { node: 'node-a', region: 'DC0', zone: 'DC0_C0' },
      { node: 'node-b', region: 'DC0', zone: 'DC0_C1' },
    ]);
  });

  it('is a no-op where the tags are already in place', () => {
    const plan = planTopology(
      tagged(),
      input({
        regionTags: [parseTagAssignment('datacenter:DC0=region-1', '--region-tag')],
        zoneTags: [
          parseTagAssignment('cluster:DC0_C0=zone-0', '--zone-tag'),
          parseTagAssignment('cluster:DC0_C1=zone-1', '--zone-tag'),
        ],
      }),
    );
    expect(plan).toMatchObject({ createCategories: [], createTags: [], attach: [], unchanged: 3 });
  });

  it('by default keeps the tags already in place and fills in only the nodes without one', () => {
    expect(planTopology(tagged(), input())).toMatchObject({
      createCategories: [],
      createTags: [],
      attach: [],
      nodes: [
        { node: 'node-a', region: 'region-1', zone: 'zone-0' },
        { node: 'node-b', region: 'region-1', zone: 'zone-1' },
      ],
    });
    const s = tagged();
    s.attached.delete('ClusterComputeResource:domain-c1');
    const plan = planTopology(s, input());
    expect(plan.createTags).toEqual([{ category: 'k8s-zone', tag: 'DC0_C1' }]);
    expect(plan.attach.map((a) => `${a.tag} on ${a.object}`)).toEqual(['DC0_C1 on DC0_C1']);
  });

  it('reuses an existing tag and creates only the missing one', () => {
    const s = tagged();
    s.attached.delete('ClusterComputeResource:domain-c1');
    const plan = planTopology(
      s,
      input({
        regionTags: [parseTagAssignment('datacenter:DC0=region-1', '--region-tag')],
        zoneTags: [
          parseTagAssignment('cluster:DC0_C0=zone-0', '--zone-tag'),
          parseTagAssignment('cluster:DC0_C1=zone-1', '--zone-tag'),
        ],
      }),
    );
    expect(plan.createTags).toEqual([]);
    expect(plan.attach.map((a) => `${a.tag} on ${a.object}`)).toEqual(['zone-1 on DC0_C1']);
  });

  it('refuses an object no node runs under, with the nearest name', () => {
    const run = () =>
      planTopology(bare(), input({ zoneTags: [parseTagAssignment('cluster:DC0_C9=zone-a', '--zone-tag')] }));
    expect(run).toThrow(UsageError);
    expect(run).toThrow('--zone-tag cluster:DC0_C9=zone-a: no node runs under cluster DC0_C9');
    try {
      run();
    } catch (err) {
      expect((err as VkError).hint).toMatch(/did you mean cluster:DC0_C[01]\?/);
    }
  });

  it('refuses a partial zone set: the node left without a zone is named', () => {
    expect(() =>
      planTopology(bare(), input({ zoneTags: [parseTagAssignment('cluster:DC0_C0=zone-a', '--zone-tag')] })),
    ).toThrow(/node node-b would have no k8s-zone tag \(add --zone-tag cluster:DC0_C1=<tag>\)/);
  });

  it('refuses a second tag of a category on an object, and two zones above one node', () => {
    expect(() =>
      planTopology(tagged(), input({ zoneTags: [parseTagAssignment('cluster:DC0_C0=zone-x', '--zone-tag')] })),
    ).toThrow('cluster DC0_C0 already carries k8s-zone tag zone-0, not zone-x');
    try {
      planTopology(tagged(), input({ zoneTags: [parseTagAssignment('cluster:DC0_C0=zone-x', '--zone-tag')] }));
    } catch (err) {
      expect((err as VkError).hint).toBe(
        'keep it (--zone-tag cluster:DC0_C0=zone-0), or detach it first: govc tags.detach -c k8s-zone zone-0 /DC0/host/DC0_C0',
      );
    }
    expect(() =>
      planTopology(
        tagged(),
        input({
          zoneTags: [
            parseTagAssignment('cluster:DC0_C0=zone-0', '--zone-tag'),
            parseTagAssignment('cluster:DC0_C1=zone-1', '--zone-tag'),
            parseTagAssignment('host:DC0_C0_H0=zone-h', '--zone-tag'),
          ],
        }),
      ),
    ).toThrow(/node node-a would have 2 k8s-zone tags: zone-h on host DC0_C0_H0, zone-0 on cluster DC0_C0/);
  });

  it('refuses one category for both, and a node without a VM', () => {
    expect(() => planTopology(bare(), input({ regionCategory: 'k8s-zone' }))).toThrow(
      'the region and zone categories are both "k8s-zone"',
    );
    const s = bare();
    s.places.push({ node: 'node-c', vm: undefined, ancestors: [] } as never);
    expect(() => planTopology(s, input())).toThrow('no VM found for node node-c');
  });
});

describe('parseTagAssignment', () => {
  it('reads KIND:NAME=TAG and refuses anything else with the expected form', () => {
    expect(parseTagAssignment(' cluster:DC0_C0=zone-a ', '--zone-tag')).toEqual({
      kind: 'cluster',
      object: 'DC0_C0',
      tag: 'zone-a',
    });
    expect(() => parseTagAssignment('rack:R1=zone-a', '--zone-tag')).toThrow('invalid --zone-tag "rack:R1=zone-a"');
    expect(() => parseTagAssignment('DC0_C0=zone-a', '--zone-tag')).toThrow(UsageError);
  });
});

describe('zoneTagsCheck', () => {
  const categories = ['k8s-region', 'k8s-zone'];

  it('passes with one tag of each category above every node, naming the zones', () => {
    expect(zoneTagsCheck(tagged(), categories)).toEqual({
      id: 'zone-tags',
      title: 'Every node has one tag of each topology category',
      status: 'pass',
      detail: '2 nodes in 2 k8s-zone values (zone-0, zone-1)',
    });
  });

  it('fails naming a category vCenter does not have', () => {
    const r = zoneTagsCheck(bare(), categories);
    expect(r).toMatchObject({ status: 'fail', fix: 'vk topology --create' });
    expect(r.detail).toBe(
      'the drivers read zones from tag categories k8s-region, k8s-zone, which vCenter does not have',
    );
  });

  it('fails naming the node without a zone and the node with two', () => {
    const s = tagged();
    s.attached.delete('ClusterComputeResource:domain-c1');
    s.attached.set('HostSystem:host-00', ['tag-z1']);
    const r = zoneTagsCheck(s, categories);
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('node-a: 2 k8s-zone tags (zone-1 on host DC0_C0_H0, zone-0 on cluster DC0_C0)');
    expect(r.detail).toContain('node-b: no k8s-zone tag above host DC0_C1_H0');
  });
});
