import { Args } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { vsphereFlags } from '../lib/cli/flags.js';
import { humanBytes, type Table } from '../lib/cli/output.js';
import type { DatastoreReport } from '../lib/vsphere/datastores.js';

export default class Datastores extends VkCommand<typeof Datastores> {
  static override summary =
    'List datastores: type, capacity, free space, and whether all hosts of the cluster mount them.';
  static override description =
    'Everything `govc datastore.info` shows (name, inventory path, type, URL, capacity, free space, NFS remote) ' +
    'plus the hosts that mount each datastore and whether every host of its cluster does: a datastore for ' +
    'the CSI driver must be shared by all hosts of the cluster. Sizes are human-readable in the table and ' +
    'bytes in JSON/YAML. All datastores are read in one PropertyCollector call.';
  static override examples = [
    '<%= config.bin %> datastores',
    "<%= config.bin %> datastores 'nfs-*' --datacenter DC0",
    '<%= config.bin %> datastores -o json',
  ];
  static override strict = false;
  static override args = {
    glob: Args.string({ description: 'Datastore name globs (e.g. "nfs-*"); all datastores when omitted.' }),
  };
  static override flags = { ...vsphereFlags };

  public async run(): Promise<void> {
    const session = await this.ctx.vsphere();
    const { listDatastores } = await import('../lib/vsphere/datastores.js');
    const datastores = await listDatastores(session.client, {
      globs: this.positionals,
      datacenter: session.options.datacenter,
    });
    await this.print(
      datastores.map(({ ref: _ref, ...d }) => d),
      datastoreTable,
    );
  }
}

function datastoreTable(list: Array<Omit<DatastoreReport, 'ref'>>): Table {
  const nfs = list.some((d) => d.remote);
  const columns = ['name', 'path', 'type', 'capacity', 'free', 'hosts', 'shared', 'url', ...(nfs ? ['remote'] : [])];
  return {
    columns,
    rows: list.map((d) => [
      d.name,
      d.path,
      d.type,
      humanBytes(d.capacity),
      humanBytes(d.free),
      d.hosts.filter((h) => h.mounted && h.accessible).length,
      sharedText(d),
      d.url,
      ...(nfs ? [d.remote] : []),
    ]),
  };
}

function sharedText(d: Omit<DatastoreReport, 'ref'>): string {
  if (d.clusters.length === 0) return 'no cluster';
  if (d.sharedAcrossCluster) return 'yes';
  return (
    'no (' +
    d.clusters
      .filter((c) => !c.shared)
      .map((c) => `${c.name}: ${c.mounted}/${c.hosts} hosts`)
      .join(', ') +
    ')'
  );
}
