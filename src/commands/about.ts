import { VkCommand } from '../lib/cli/base-command.js';
import { vsphereFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';

export interface AboutResult {
  url: string;
  product: string;
  version: string;
  build: string;
  apiType: string;
  apiVersion: string;
  instanceUuid?: string;
  user: string;
}

export default class About extends VkCommand<typeof About> {
  static override summary = 'Show what vCenter vk is connected to, and as whom.';
  static override description =
    'Logs in (or reuses the saved session) and prints the product, version, build, API version and the ' +
    'logged-in user: a quick "connected successfully" check for the vSphere flags and environment.';
  static override examples = [
    'GOVC_URL=vc.example.com GOVC_USERNAME=administrator@vsphere.local GOVC_PASSWORD=… <%= config.bin %> about',
    '<%= config.bin %> about --url https://vc.example.com --thumbprint AA:BB:… -o json',
  ];
  static override flags = { ...vsphereFlags };

  public async run(): Promise<void> {
    const session = await this.ctx.vsphere();
    const a = session.about;
    const result: AboutResult = {
      url: session.options.url.href,
      product: a.fullName,
      version: a.version,
      build: a.build,
      apiType: a.apiType,
      apiVersion: a.apiVersion,
      instanceUuid: a.instanceUuid,
      user: session.userName,
    };
    await this.print(result, aboutTable);
  }
}

function aboutTable(r: AboutResult): Table {
  return {
    columns: ['field', 'value'],
    rows: [
      ['URL', r.url],
      ['Product', r.product],
      ['Version', r.version],
      ['Build', r.build],
      ['API type', r.apiType],
      ['API version', r.apiVersion],
      ['Instance UUID', r.instanceUuid],
      ['User', r.user],
    ],
  };
}
