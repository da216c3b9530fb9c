// Topology on the transformed manifest objects: with topology categories the
// csi-provisioner gets exactly the Topology gate and --strict-topology the
// release's topology guide asks for; without, the gate is off (explicitly
// false for a v5+ provisioner, whose default is on).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../src/lib/drivers/manifests/load.js';
import { containersOf, podSpecOf, type KubeObject } from '../src/lib/drivers/manifests/objects.js';
import { describeTopology, setCsiTopology } from '../src/lib/drivers/manifests/topology.js';
import { FIXTURE_DIR } from './fixtures/manifests/server.js';

const fixture = async (tag: string) =>
  parseManifest(await readFile(join(FIXTURE_DIR, `csi-${tag}`, 'vsphere-csi-driver.yaml'), 'utf8'), tag);

const provisioner = (objects: KubeObject[]) => {
  const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'vsphere-csi-controller')!;
  return containersOf(podSpecOf(d)!).find((c) => c.name === 'csi-provisioner')!;
};
const argsOf = (objects: KubeObject[]) => provisioner(objects).args as string[];

/** The manifest as upstream ships it: the topology args commented out, so absent. */
async function upstreamShaped(tag: string, image?: string): Promise<KubeObject[]> {
  const objects = await fixture(tag);
  const c = provisioner(objects);
  c.args = (c.args as string[]).filter((a) => !/Topology|strict-topology/.test(a));
  if (image) c.image = image;
  return objects;
}

const gates = (args: string[]) => args.filter((a) => a.startsWith('--feature-gates='));

describe('setCsiTopology', () => {
  for (const tag of ['v3.3.1', 'v3.7.0']) {
    it(`${tag}: with categories turns on the Topology gate and --strict-topology, and says so`, async () => {
      const { objects, topology } = setCsiTopology(await upstreamShaped(tag), ['k8s-region', 'k8s-zone']);
      const args = argsOf(objects);
      expect(gates(args)).toEqual(['--feature-gates=Topology=true']);
      expect(args.filter((a) => a === '--strict-topology')).toHaveLength(1);
      expect(topology).toMatchObject({ enabled: true, categories: ['k8s-region', 'k8s-zone'] });
      expect(describeTopology(topology)).toBe(
        'topology on (categories k8s-region, k8s-zone): csi-provisioner --feature-gates=Topology=true, --strict-topology',
      );
    });

    it(`${tag}: without categories leaves the upstream manifest's provisioner (v4) as it is`, async () => {
      const input = await upstreamShaped(tag);
      const { objects, topology } = setCsiTopology(input, []);
      expect(argsOf(objects)).toEqual(argsOf(input));
      expect(topology).toMatchObject({ enabled: false, changes: [] });
    });

    it(`${tag}: without categories turns off a Topology gate a copy of the manifest left on`, async () => {
      const input = await fixture(tag); // the fixture has --feature-gates=Topology=true uncommented
      expect(gates(argsOf(input))).toEqual(['--feature-gates=Topology=true']);
      const { objects, topology } = setCsiTopology(input, []);
      expect(gates(argsOf(objects))).toEqual([]);
      expect(argsOf(objects)).not.toContain('--strict-topology');
      expect(topology.changes).toEqual(['without --feature-gates=Topology=true']);
    });
  }

  it('without categories sets Topology=false for a v5+ provisioner, which defaults it on', async () => {
    const input = await upstreamShaped('v3.7.0', 'registry.k8s.io/sig-storage/csi-provisioner:v5.2.0');
    const { objects, topology } = setCsiTopology(input, []);
    expect(gates(argsOf(objects))).toEqual(['--feature-gates=Topology=false']);
    expect(describeTopology(topology)).toBe(
      'topology off (no topology categories): csi-provisioner --feature-gates=Topology=false',
    );
  });

  it('keeps other feature gates in the same flag', async () => {
    const input = await upstreamShaped('v3.7.0');
    provisioner(input).args = [...argsOf(input), '--feature-gates=HonorPVReclaimPolicy=true,Topology=false'];
    const { objects } = setCsiTopology(input, ['k8s-zone']);
    expect(gates(argsOf(objects))).toEqual(['--feature-gates=HonorPVReclaimPolicy=true,Topology=true']);
  });

  it('is idempotent: applying it to its own output changes nothing', async () => {
    const once = setCsiTopology(await upstreamShaped('v3.7.0'), ['k8s-zone']).objects;
    const twice = setCsiTopology(once, ['k8s-zone']);
    expect(twice.objects).toEqual(once);
    expect(twice.topology.changes).toEqual([]);
  });

  it('does not modify its input', async () => {
    const input = await upstreamShaped('v3.7.0');
    const before = structuredClone(input);
    setCsiTopology(input, ['k8s-zone']);
    expect(input).toEqual(before);
  });

  it('refuses topology for a manifest without a csi-provisioner in the controller', async () => {
    const input = (await fixture('v3.7.0')).filter((o) => o.kind !== 'Deployment');
    expect(() => setCsiTopology(input, ['k8s-zone'])).toThrow(/no csi-provisioner container/);
    expect(() => setCsiTopology(input, [])).not.toThrow();
  });
});
