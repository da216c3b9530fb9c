import { Flags } from '@oclif/core';
import { isDryRun } from '../../lib/cli/flags.js';
import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import { cpiSecretDefaults } from '../../lib/drivers/cpi/config.js';
import { generateDeps, planCpi } from '../../lib/drivers/generate.js';
import {
  cpiConfigFlags,
  cpiConfigOptions,
  driverCredentialFlags,
  driverCredentials,
  emitGenerated,
  generateFlags,
} from '../../lib/cli/generate.js';
import { resolveVsphereSettings } from '../../lib/settings/vsphere.js';

export default class GenerateCpi extends VkCommand<typeof GenerateCpi> {
  static override summary = "Generate the vSphere CPI's credentials Secret and vsphere.conf ConfigMap.";

  static override description = `Prints a YAML stream (or, with -o json, a List) of two objects:
the Secret ${cpiSecretDefaults.name} in ${cpiSecretDefaults.namespace} holding <server>.username and
<server>.password, and the ConfigMap vsphere-cloud-config whose vsphere.conf is the CPI's YAML config.
Server, port and TLS settings come from the vSphere flags (--url, --insecure, --ca-file, --thumbprint); a
--ca-file bundle is stored in the ConfigMap as vcenter-ca.pem and caFile names it where the CPI mounts it
(/etc/cloud/vcenter-ca.pem).
Passwords print as <redacted> unless --show-secrets; --file writes the real values to a 0600 file and
--apply writes them into the cluster with server-side apply.`;

  static override examples = [
    '<%= config.bin %> generate cpi --url vc.example.com --username admin@vsphere.local --datacenter DC1',
    '<%= config.bin %> generate cpi --datacenter DC1 --region k8s-region --zone k8s-zone --file cpi.yaml',
    'VK_CPI_USERNAME=cpi@vsphere.local VK_CPI_PASSWORD=... <%= config.bin %> generate cpi --datacenter DC1 --apply',
  ];

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    ...generateFlags,
    ...driverCredentialFlags('cpi'),
    'secret-name': Flags.string({ summary: `Name of the credentials Secret (default ${cpiSecretDefaults.name}).` }),
    'secret-namespace': Flags.string({
      summary: `Namespace of the credentials Secret (default ${cpiSecretDefaults.namespace}).`,
    }),
    'server-name': Flags.string({ summary: 'Key of the vcenter entry in vsphere.conf (default: the server).' }),
    ...cpiConfigFlags,
  };

  async run(): Promise<void> {
    const f = this.flags;
    const deps = generateDeps(this.ctx);
    const plan = await planCpi(
      {
        settings: resolveVsphereSettings(f, this.ctx.env),
        datacenters: f.datacenter ?? [],
        credentials: driverCredentials(f, 'cpi'),
        verify: f.verify,
        log: this.ctx.log,
        secretName: f['secret-name'],
        secretNamespace: f['secret-namespace'],
        serverName: f['server-name'],
        ...cpiConfigOptions(f),
      },
      deps,
    );
    const opts = { showSecrets: f['show-secrets'], file: f.file, apply: f.apply, dryRun: isDryRun(f['dry-run']) };
    await emitGenerated(this.ctx, plan, deps, opts, (v, t) => this.print(v, t));
  }
}
