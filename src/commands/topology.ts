import { Flags } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { dryRunFlag, isDryRun, kubeFlags, vsphereFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import type { TopologyReport } from '../lib/topology/topology.js';

const ZONES = 'ZONES';

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

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    create: Flags.boolean({ helpGroup: ZONES, summary: 'Create the categories and tags, and attach them.' }),
    'region-category': Flags.string({
      helpGroup: ZONES,
      default: 'k8s-region',
      summary: 'Tag category of the regions (the CPI --region, a CSI --topology-category).',
    }),
    'zone-category': Flags.string({
      helpGroup: ZONES,
      default: 'k8s-zone',
      summary: 'Tag category of the zones (the CPI --zone, a CSI --topology-category).',
    }),
    'region-tag': Flags.string({
      helpGroup: ZONES,
      multiple: true,
      dependsOn: ['create'],
      summary: 'KIND:NAME=TAG, e.g. datacenter:DC0=eu-west (default: each datacenter, named after it).',
    }),
    'zone-tag': Flags.string({
      helpGroup: ZONES,
      multiple: true,
      dependsOn: ['create'],
      summary:
        'KIND:NAME=TAG, e.g. cluster:DC0_C0=zone-a; KIND is datacenter, cluster or host (default: each cluster).',
    }),
    'dry-run': dryRunFlag({
      helpGroup: ZONES,
      dependsOn: ['create'],
      summary: 'client (or bare --dry-run): show what --create would do; change nothing.',
    }),
  };

  async run(): Promise<void> {
    const steps = await import('../lib/topology/topology.js');
    const regionCategory = this.flags['region-category'];
    const zoneCategory = this.flags['zone-category'];
    const input = {
      regionCategory,
      zoneCategory,
      regionTags: (this.flags['region-tag'] ?? []).map((v) => steps.parseTagAssignment(v, '--region-tag')),
      zoneTags: (this.flags['zone-tag'] ?? []).map((v) => steps.parseTagAssignment(v, '--zone-tag')),
    };
    const [session, kube] = await Promise.all([this.ctx.vsphere(), this.ctx.kube()]);
    const tagging = await session.tagging();
    let state = await steps.readTopologyState(session, kube, tagging);
    const log = this.ctx.log;

    if (this.flags.create) {
      const plan = steps.planTopology(state, input);
      const dry = isDryRun(this.flags['dry-run']);
      if (dry) {
        for (const c of plan.createCategories) log.info(`would create tag category ${c}`);
        for (const t of plan.createTags) log.info(`would create tag ${t.tag} in ${t.category}`);
        for (const a of plan.attach) log.info(`would attach ${a.category} tag ${a.tag} to ${a.kind} ${a.object}`);
        const n = plan.createCategories.length + plan.createTags.length + plan.attach.length;
        log.info(n === 0 ? 'nothing to change' : `dry run: ${n} changes, nothing changed`);
        await this.print(plan.nodes, (nodes): Table => ({
          columns: ['node', regionCategory, zoneCategory],
          rows: nodes.map((p) => [p.node, p.region, p.zone]),
        }));
        return;
      }
      const done = await steps.applyTopology(tagging, state, plan, input, (line) => log.info(line));
      if (done.length === 0) log.info('nothing to change: every node already has its region and zone tag');
      state = await steps.readTopologyState(session, kube, tagging);
    }

    const report = steps.topologyReport(state);
    await this.print(report, (r) => topologyTable(r, [regionCategory, zoneCategory]));
    const complete = (c: string) => report.nodes.every((n) => n.tags[c]?.length === 1);
    if (report.nodes.length > 0 && complete(regionCategory) && complete(zoneCategory)) {
      log.info(`every node has one ${regionCategory} and one ${zoneCategory} tag; to use them:`);
      for (const cmd of steps.nextCommands(regionCategory, zoneCategory)) log.info(`  ${cmd}`);
    } else if (!this.flags.create) {
      log.info(`not every node has one ${regionCategory} and one ${zoneCategory} tag; vk topology --create adds them`);
    }
  }
}

/** Node, VM, host, cluster, datacenter, then a column per category with a tag above some node (and the two named). */
function topologyTable(r: TopologyReport, named: string[]): Table {
  const used = r.categories
    .map((c) => c.name)
    .filter((c) => named.includes(c) || r.nodes.some((n) => (n.tags[c]?.length ?? 0) > 0));
  const ordered = [...named.filter((c) => used.includes(c)), ...used.filter((c) => !named.includes(c))];
  return {
    columns: ['node', 'vm', 'host', 'cluster', 'datacenter', ...ordered],
    rows: r.nodes.map((n) => [
      n.node,
      n.vm,
      n.host,
      n.cluster,
      n.datacenter,
      ...ordered.map((c) => (n.tags[c] ?? []).map((t) => `${t.tag} (${t.on})`).join(', ')),
    ]),
  };
}
