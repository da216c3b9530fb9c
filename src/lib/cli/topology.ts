// The command side of `vk topology`: its flags, the flags as the step's
// input, the table, and what to say about the nodes' tags.

import { Flags } from '@oclif/core';
import type { Context } from '../core/context.js';
import { dryRunFlag } from './flags.js';
import type { Table } from './output.js';
import {
  DEFAULT_REGION_CATEGORY,
  DEFAULT_ZONE_CATEGORY,
  nextCommands,
  parseTagAssignment,
  type TopologyInput,
  type TopologyReport,
} from '../topology/topology.js';

const ZONES = 'ZONES';

export const topologyFlags = {
  create: Flags.boolean({ helpGroup: ZONES, summary: 'Create the categories and tags, and attach them.' }),
  'region-category': Flags.string({
    helpGroup: ZONES,
    default: DEFAULT_REGION_CATEGORY,
    summary: 'Tag category of the regions (the CPI --region, a CSI --topology-category).',
  }),
  'zone-category': Flags.string({
    helpGroup: ZONES,
    default: DEFAULT_ZONE_CATEGORY,
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
    summary: 'KIND:NAME=TAG, e.g. cluster:DC0_C0=zone-a; KIND is datacenter, cluster or host (default: each cluster).',
  }),
  'dry-run': dryRunFlag({
    helpGroup: ZONES,
    dependsOn: ['create'],
    summary: 'client (or bare --dry-run): show what --create would do; change nothing.',
  }),
};

export function topologyInput(f: {
  'region-category': string;
  'zone-category': string;
  'region-tag'?: string[];
  'zone-tag'?: string[];
}): TopologyInput {
  return {
    regionCategory: f['region-category'],
    zoneCategory: f['zone-category'],
    regionTags: (f['region-tag'] ?? []).map((v) => parseTagAssignment(v, '--region-tag')),
    zoneTags: (f['zone-tag'] ?? []).map((v) => parseTagAssignment(v, '--zone-tag')),
  };
}

/** Node, VM, host, cluster, datacenter, then a column per category with a tag above some node (and the two named). */
export function topologyTable(r: TopologyReport, named: string[]): Table {
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

/** Whether every node has one tag of each category, and then how to turn the zones on. */
export function sayTopologyNext(ctx: Context, report: TopologyReport, input: TopologyInput, created: boolean): void {
  const { regionCategory: region, zoneCategory: zone } = input;
  const complete = (c: string) => report.nodes.every((n) => n.tags[c]?.length === 1);
  if (report.nodes.length > 0 && complete(region) && complete(zone)) {
    ctx.log.info(`every node has one ${region} and one ${zone} tag; to use them:`);
    for (const cmd of nextCommands(region, zone)) ctx.log.info(`  ${cmd}`);
  } else if (!created) {
    ctx.log.info(`not every node has one ${region} and one ${zone} tag; vk topology --create adds them`);
  }
}
