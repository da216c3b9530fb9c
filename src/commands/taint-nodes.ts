import { Args, Flags } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { dryRunFlag, dryRunOf, kubeFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import { TAINT_CONCURRENCY } from '../lib/nodes/taint-nodes.js';

export default class TaintNodes extends VkCommand<typeof TaintNodes> {
  static override summary =
    'Taint nodes as uninitialized until the vSphere CPI initializes them (or remove/list the taint).';

  static override description = `Adds node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule to every node, to the nodes named as arguments, or to the nodes matching --selector. With an external cloud provider, the kubelet sets this taint at registration and the cloud controller manager removes it once it has initialized the node (set spec.providerID); tainting existing nodes makes the CPI initialize them too.

Idempotent: nodes that already have the taint (or, with --remove, do not have it) are skipped and reported; every other taint is kept. Each node is written with a conditional patch and re-read and retried if it changed meanwhile. Unknown node names are an error before anything changes.

--list shows each node's providerID and taints instead.`;

  static override examples = [
    { description: 'Taint every node', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Taint two nodes', command: '<%= config.bin %> <%= command.id %> worker-1 worker-2' },
    {
      description: 'Show what would change on the workers, change nothing',
      command: "<%= config.bin %> <%= command.id %> -l '!node-role.kubernetes.io/control-plane' --dry-run",
    },
    { description: 'Remove the taint from every node', command: '<%= config.bin %> <%= command.id %> --remove' },
    {
      description: 'List nodes with their providerID and taints',
      command: '<%= config.bin %> <%= command.id %> --list',
    },
  ];

  static override strict = false;

  static override args = {
    node: Args.string({ description: 'Node names (default: all nodes, or those matching --selector).' }),
  };

  static override flags = {
    ...kubeFlags,
    selector: Flags.string({
      char: 'l',
      summary: 'Label selector choosing the nodes (e.g. node-role.kubernetes.io/worker).',
    }),
    remove: Flags.boolean({ summary: 'Remove the taint instead of adding it.', exclusive: ['list'] }),
    list: Flags.boolean({ summary: 'List the nodes with their providerID and taints; change nothing.' }),
    'dry-run': dryRunFlag({ summary: 'client (or bare --dry-run): show what would change; change nothing.' }),
    concurrency: Flags.integer({ min: 1, max: 256, default: TAINT_CONCURRENCY, summary: 'Nodes written in parallel.' }),
  };

  async run(): Promise<void> {
    const [nodes, { runCommandStep }] = await Promise.all([
      import('../lib/nodes/taint-nodes.js'),
      import('../lib/cli/step-run.js'),
    ]);
    const f = this.flags;
    const input = { names: this.positionals, selector: f.selector, concurrency: f.concurrency };
    if (f.list) {
      nodes.validateTaintInput({ ...input, operation: 'add' });
      const rows = await nodes.listNodeTaints(await this.ctx.kube(), input.names, input.selector);
      await this.print(rows, (r): Table => ({
        columns: ['name', 'provider-id', 'taints'],
        rows: r.map((n) => [n.name, n.providerID, n.taints.map(nodes.formatTaint).join(',')]),
      }));
      return;
    }
    const step = nodes.taintNodesStep;
    const operation = f.remove ? ('remove' as const) : ('add' as const);
    const { result } = await runCommandStep(
      this.ctx,
      step,
      { ...input, operation },
      { dryRun: dryRunOf(f['dry-run']) },
    );
    const dry = result.dryRun ? ' (dry run)' : '';
    await this.print(result, (r): Table => ({
      columns: ['node', 'action', 'taints'],
      rows: r.nodes.map((n) => [
        n.name,
        n.action + (n.action === 'tainted' || n.action === 'untainted' ? dry : ''),
        n.error ?? n.taints.join(','),
      ]),
    }));
    this.ctx.log.info(step.summary(result));
    const err = step.failure(result);
    if (err) throw err;
  }
}
