import { Args, Flags } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { dryRunFlag, isDryRun, kubeFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import { VkError } from '../lib/core/errors.js';

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
    concurrency: Flags.integer({ min: 1, max: 256, default: 16, summary: 'Nodes written in parallel.' }),
  };

  async run(): Promise<void> {
    const steps = await import('../lib/nodes/taint-nodes.js');
    const names = this.positionals;
    const selector = this.flags.selector;
    if (this.flags.list) {
      steps.validateTaintInput({ names, selector, operation: 'add' });
      const rows = await steps.listNodeTaints(await this.ctx.kube(), names, selector);
      await this.print(rows, (r): Table => ({
        columns: ['name', 'provider-id', 'taints'],
        rows: r.map((n) => [n.name, n.providerID, n.taints.map(steps.formatTaint).join(',')]),
      }));
      return;
    }

    const input = { names, selector, operation: this.flags.remove ? ('remove' as const) : ('add' as const) };
    steps.validateTaintInput(input);
    const kube = await this.ctx.kube();
    const plan = await steps.planTaintNodes(kube, input);
    const result = await steps.applyTaintNodes(kube, plan, {
      concurrency: this.flags.concurrency,
      dryRun: isDryRun(this.flags['dry-run']),
    });
    const dry = result.dryRun ? ' (dry run)' : '';
    await this.print(result, (r): Table => ({
      columns: ['node', 'action', 'taints'],
      rows: r.nodes.map((n) => [
        n.name,
        n.action + (n.action === 'tainted' || n.action === 'untainted' ? dry : ''),
        n.error ?? n.taints.join(','),
      ]),
    }));
    this.ctx.log.info(steps.summarizeTaintResult(result));
    const failed = result.nodes.filter((n) => n.action === 'failed');
    if (failed.length) {
      throw new VkError(
        `${failed.length} of ${result.nodes.length} nodes failed: node ${failed[0]!.name}: ${failed[0]!.error}`,
      );
    }
  }
}
