import { VkCommand } from '../lib/cli/base-command.js';
import { dryRunOf, kubeFlags, vsphereFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import { topologyFlags } from '../lib/cli/topology.js';

export default class Topology extends VkCommand<typeof Topology> {
  static override summary = 'List the zone and region tags above every node VM, or create them (--create).';

  static override description = `The vSphere CPI labels each node with topology.kubernetes.io/region and /zone, and the CSI driver places volumes by zone, from vSphere tags: a tag of the region category and one of the zone category on the node VM's ESXi host, its cluster or its datacenter (the nearest one wins). This lists, for every node, its VM, host, cluster and datacenter and the tags of each category found above it.

With --create, vk creates the region and zone categories (single cardinality) and tags when they are missing and attaches them: by default one region per datacenter and one zone per cluster (or standalone host), each tag named after the object, for the nodes that have no such tag above them yet (tags already in place are kept); --region-tag and --zone-tag choose instead. Before changing anything it checks that every node ends up with exactly one region and one zone tag and that no object already carries another tag of the category. Re-running changes nothing.

Then turn the zones on with vk install cpi --region CATEGORY --zone CATEGORY and vk install csi --topology-category REGION,ZONE; vk doctor's zone-tags check keeps it right.`;

  static override examples = [
    { description: 'What zones would the drivers see?', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'One zone per cluster, one region per datacenter',
      command: '<%= config.bin %> <%= command.id %> --create',
    },
    {
      description: 'Name them, and look first',
      command:
        '<%= config.bin %> <%= command.id %> --create --region-tag datacenter:DC0=eu-west --zone-tag cluster:DC0_C0=zone-a --zone-tag cluster:DC0_C1=zone-b --dry-run',
    },
  ];

  static override flags = { ...vsphereFlags, ...kubeFlags, ...topologyFlags };

  async run(): Promise<void> {
    const [{ topologyStep: step, topologyReport, readTopology }, cli] = await Promise.all([
      import('../lib/topology/topology.js'),
      import('../lib/cli/topology.js'),
    ]);
    const input = cli.topologyInput(this.flags);
    const named = [input.regionCategory, input.zoneCategory];
    const { runCommandStep } = await import('../lib/cli/step-run.js');
    if (!this.flags.create) {
      const report = topologyReport(await readTopology(this.ctx));
      await this.print(report, (r) => cli.topologyTable(r, named));
      return cli.sayTopologyNext(this.ctx, report, input, false);
    }
    const { result } = await runCommandStep(this.ctx, step, input, { dryRun: dryRunOf(this.flags['dry-run']) });
    this.ctx.log.info(step.summary(result));
    if (result.dryRun) {
      return this.print(result.plan.nodes, (nodes): Table => ({
        columns: ['node', ...named],
        rows: nodes.map((p) => [p.node, p.region, p.zone]),
      }));
    }
    await this.print(result.report, (r) => cli.topologyTable(r, named));
    cli.sayTopologyNext(this.ctx, result.report, input, true);
  }
}
