import { Flags } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import type { InitResult } from '../lib/init/types.js';

export default class Init extends VkCommand<typeof Init> {
  static override summary = 'Write the config file every vk command reads for its defaults.';

  static override description = `Tests the connection to vCenter, checks the datacenter, VM folder and datastore, and writes ~/.config/vk/config.yaml (or --config, or VK_CONFIG): flat YAML whose keys are flag names. Every command reads it; flags and environment variables (VK_*, GOVC_*, KUBECONFIG) override it.

On a terminal, asks for what the flags and environment leave open: the URL, the user, the password (masked), then offers the datacenters, VM folders and datastores it finds. Without a terminal it never asks: missing connection flags are an error.

The password is written only with --save-password; the file is always mode 0600. Exit codes: 0 written, 1 connection or vCenter error, 2 usage error (missing flags, a name vCenter does not have, an existing file without --force).`;

  static override examples = [
    { description: 'Answer the questions on a terminal', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Without questions (CI), keeping the password out of the file',
      command:
        '<%= config.bin %> <%= command.id %> --url vc.example.com --username administrator@vsphere.local --password "$VK_PASSWORD" --datacenter DC0 --folder k8s --datastore vsanDatastore',
    },
    {
      description: 'Overwrite an existing file and store the password',
      command: '<%= config.bin %> <%= command.id %> --force --save-password',
    },
  ];

  static override readsUserConfig = false;

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    folder: Flags.string({
      summary: 'VM folder of the Kubernetes nodes: inventory path or relative to the VM folder.',
    }),
    datastore: Flags.string({ summary: 'Datastore for volumes (the default for commands that take --datastore).' }),
    'save-password': Flags.boolean({
      allowNo: true,
      summary: 'Store the password in the config file (default: ask on a terminal, else no).',
    }),
    force: Flags.boolean({ char: 'f', summary: 'Overwrite an existing config file without asking.' }),
  };

  async run(): Promise<void> {
    const { userConfigLocation } = await import('../lib/settings/user-config.js');
    const { runInit } = await import('../lib/init/init.js');
    const file = userConfigLocation(this.flags.config, this.ctx.env).path;
    const result = await runInit(this.ctx, { flags: this.flags, file, force: this.flags.force });
    await this.print(result, initTable);
    this.ctx.log.info(`wrote ${result.file}`);
    if (!result.passwordSaved) {
      this.ctx.log.info(
        'the password is not in the file: set VK_PASSWORD, pass --password, or re-run vk init --save-password',
      );
    }
  }
}

function initTable(r: InitResult): Table {
  return {
    columns: ['field', 'value'],
    rows: [
      ['Config file', r.file],
      ['URL', r.url],
      ['Product', r.product],
      ['Version', r.version],
      ['User', r.user],
      ['Datacenter', r.datacenter ?? '(not set)'],
      ['VM folder', r.folder ?? '(not set)'],
      ['Datastore', r.datastore ?? '(not set)'],
      ['Password saved', r.passwordSaved ? 'yes' : 'no'],
    ],
  };
}
