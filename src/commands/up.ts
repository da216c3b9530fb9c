import { Flags } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { dryRunFlag, dryRunOf, isDryRun, kubeFlags, vsphereFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import { ExitCode, InterruptedError, VkError } from '../lib/core/errors.js';
import {
  cpiConfigFlags,
  cpiConfigOptions,
  driverCredentialFlags,
  driverCredentials,
  generateFlags,
} from '../lib/cli/generate.js';
import type { TaskOutcome } from '../lib/cli/progress.js';
import { UP_STEPS, type UpStep } from '../lib/up/up.js';

const STEPS = 'STEPS';
const INSTALL = 'INSTALL';
const STORAGE = 'STORAGE';

export default class Up extends VkCommand<typeof Up> {
  static override summary =
    'The whole journey: prepare the VMs, taint, install the CPI and the CSI driver, a StorageClass, a smoke test.';

  static override description = `Runs, in one process with one vCenter session and one Kubernetes client:

  prepare-vms   disk.enableUUID=TRUE on every VM under --folder          (vk prepare-vms)
  taint-nodes   the uninitialized taint on nodes without a providerID    (vk taint-nodes)
  install-cpi   the vSphere CPI; waits until it has initialized every node (vk install cpi)
  install-csi   the vSphere CSI driver; waits until every node has it    (vk install csi)
  storageclass  a default StorageClass on --datastore or --policy         (vk storageclass create)
  smoke-test    a PVC written by one pod and read back by another         (vk smoke-test)

then runs the checks of 'vk doctor' and prints their summary. --dry-run shows what each step would change (the API server validates the objects, as kubectl apply --dry-run=server) and changes nothing; the smoke test does not run. Every step is idempotent: a re-run resumes where a failed run stopped, and on a finished cluster changes nothing (the smoke test runs again in a namespace of its own, and cleans up). --from starts at a step, --skip leaves steps out. Every input is checked before the first request.

Exit codes: 0 every step done and no check fails, 1 a step failed (the later steps do not run) or a check fails, 2 usage error, 130 interrupted.`;

  static override examples = [
    {
      description: 'From bare to persistent volumes',
      command: '<%= config.bin %> <%= command.id %> --folder k8s --datastore vsanDatastore',
    },
    {
      description: 'Resume at the CSI driver with a pinned version, without the smoke test',
      command:
        '<%= config.bin %> <%= command.id %> --from install-csi --csi-version v3.7.0 --datastore vsanDatastore --skip smoke-test',
    },
    {
      description: 'In CI: plain progress lines, a JSON result',
      command: '<%= config.bin %> <%= command.id %> --folder /DC1/vm/k8s --policy gold -o json',
    },
  ];

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    skip: Flags.string({
      helpGroup: STEPS,
      multiple: true,
      options: [...UP_STEPS],
      summary: 'Leave this step out (repeatable).',
    }),
    from: Flags.string({ helpGroup: STEPS, options: [...UP_STEPS], summary: 'Start at this step.' }),
    folder: Flags.string({
      helpGroup: STEPS,
      summary: "The node VMs' folder, for prepare-vms (as in vk prepare-vms).",
    }),
    concurrency: Flags.integer({
      helpGroup: STEPS,
      min: 1,
      max: 64,
      default: 8,
      summary: 'VM reconfigure tasks started in parallel.',
    }),
    datacenter: generateFlags.datacenter,
    ...driverCredentialFlags('cpi'),
    ...driverCredentialFlags('csi'),
    ...cpiConfigFlags,
    'cluster-id': Flags.string({
      helpGroup: INSTALL,
      summary: 'Cluster ID in CNS, at most 64 bytes (default: from the kube-system UID).',
    }),
    'cpi-version': Flags.string({
      helpGroup: INSTALL,
      summary: 'CPI release (default: the one paired with the cluster).',
    }),
    'csi-version': Flags.string({
      helpGroup: INSTALL,
      summary: 'CSI release (default: the one paired with the cluster).',
    }),
    'cpi-manifest': Flags.string({ helpGroup: INSTALL, summary: 'Apply this CPI manifest FILE or URL instead.' }),
    'csi-manifest': Flags.string({ helpGroup: INSTALL, summary: 'Apply this CSI manifest FILE or URL instead.' }),
    'image-registry': Flags.string({
      helpGroup: INSTALL,
      summary: 'Pull every image from this registry HOST[/PATH] instead (a private mirror).',
    }),
    'force-conflicts': Flags.boolean({
      helpGroup: INSTALL,
      summary: 'Take over fields another field manager owns (server-side apply --force-conflicts).',
    }),
    timeout: Flags.string({
      helpGroup: INSTALL,
      default: '5m',
      summary: "Time allowed for each step's waits (vCenter tasks, rollouts, PVC bound, pods), e.g. 90s, 10m.",
    }),
    'storage-class': Flags.string({
      helpGroup: STORAGE,
      default: 'vsphere-csi',
      summary: 'Name of the StorageClass to write and test.',
    }),
    datastore: Flags.string({
      helpGroup: STORAGE,
      summary: 'Datastore name, path or ds:/// URL for the StorageClass.',
    }),
    policy: Flags.string({ helpGroup: STORAGE, summary: 'Storage policy name for the StorageClass.' }),
    default: Flags.boolean({
      helpGroup: STORAGE,
      allowNo: true,
      default: true,
      summary: "Make the StorageClass the cluster's default (--no-default leaves the default alone).",
    }),
    'dry-run': dryRunFlag({
      helpGroup: STEPS,
      server: true,
      summary:
        "Show what each step would change; change nothing (no smoke test). client (or bare --dry-run): plan only; server: the API server also validates the drivers' objects.",
    }),
    'smoke-image': Flags.string({
      helpGroup: STORAGE,
      default: 'busybox:1.36',
      summary: "Image with a POSIX sh for the smoke test's pods.",
    }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const [up, { installOptions, csiInstallConfig }, { resolveVsphereSettings }, { createProgress }] =
      await Promise.all([
        import('../lib/up/up.js'),
        import('../lib/cli/install.js'),
        import('../lib/settings/vsphere.js'),
        import('../lib/cli/progress.js'),
      ]);
    const skip = (f.skip ?? []) as UpStep[];
    const install = (version?: string, manifest?: string) =>
      installOptions({
        version,
        manifest,
        'image-registry': f['image-registry'],
        timeout: f.timeout,
        'dry-run': 'none',
        'force-conflicts': f['force-conflicts'],
      });
    const settings = resolveVsphereSettings(f, this.ctx.env);
    const datacenters = f.datacenter ?? [];
    const cpiInstall = install(f['cpi-version'], f['cpi-manifest']);
    const input = {
      skip,
      from: f.from as UpStep | undefined,
      folder: f.folder,
      prepareConcurrency: f.concurrency,
      prepareTimeoutMs: cpiInstall.timeoutMs,
      url: f.url,
      dryRun: isDryRun(f['dry-run']),
      dryRunMode: dryRunOf(f['dry-run']),
      cpi: {
        ...cpiInstall,
        noTaint: skip.includes('taint-nodes'),
        generate: {
          settings,
          datacenters,
          credentials: driverCredentials(f, 'cpi'),
          verify: false,
          checkDatacenters: true,
          ...cpiConfigOptions(f),
        },
      },
      csi: {
        ...install(f['csi-version'], f['csi-manifest']),
        skipPreflight: false,
        preflightHint: 'let vk up run the install-cpi step first (--from install-cpi)',
        generate: csiInstallConfig({
          settings,
          datacenters,
          credentials: driverCredentials(f, 'csi'),
          clusterId: f['cluster-id'],
        }),
      },
      storageClass: {
        name: f['storage-class'],
        datastore: f.datastore,
        policy: f.policy,
        isDefault: f.default,
      },
      smoke: { storageClass: f['storage-class'], image: f['smoke-image'], timeoutMs: cpiInstall.timeoutMs },
    };
    await up.validateUpInput(input);
    const checked = await up.preflightUp(this.ctx, input);

    const interactive = this.ctx.interactive && this.ctx.output === 'table';
    const messages = { info: [] as string[], warnings: [] as string[] };
    const progress = createProgress({ interactive, log: this.ctx.log, signal: this.ctx.signal });
    const result = await progress.list(up.upTasks(this.ctx, checked, interactive ? messages : undefined));
    for (const m of messages.info) this.ctx.log.info(m);
    for (const w of messages.warnings) this.ctx.log.warn(w);
    const steps = (r: { steps: TaskOutcome[] }): Table => ({
      columns: ['step', 'result', 'detail', 'time'],
      rows: r.steps.map((t) => [t.id, t.status, t.detail, t.status === 'done' ? `${t.seconds}s` : '']),
    });
    // Interrupted: how far the run got, and no doctor (Ctrl-C means stop now).
    if (this.ctx.signal.aborted) {
      await this.print({ steps: result.tasks }, steps);
      throw new InterruptedError(
        `interrupted during ${result.tasks.find((t) => t.status === 'failed')?.id ?? 'vk up'}`,
      );
    }

    // The doctor's verdict, also after a failed step: it says what is still wrong.
    const { runDoctor, summaryLine } = await import('../lib/doctor/doctor.js');
    const doctor = await runDoctor(this.ctx, { folder: f.folder });

    await this.print({ steps: result.tasks, doctor }, steps);
    for (const c of doctor.checks.filter((c) => c.status === 'fail' || c.status === 'warn')) {
      this.ctx.log.info(`doctor: ${c.status} ${c.id}: ${c.detail}${c.fix ? `; ${c.fix}` : ''}`);
    }
    this.ctx.log.info(`doctor: ${summaryLine(doctor)}`);

    if (result.error !== undefined) throw result.error;
    // A dry run changed nothing: the doctor's failures are what the run would fix.
    if (doctor.summary.fail > 0 && !isDryRun(f['dry-run'])) {
      throw new VkError(`every step is done but ${doctor.summary.fail} doctor check(s) fail`, {
        hint: "see the fixes above, or run 'vk doctor'",
        exitCode: ExitCode.failure,
      });
    }
  }
}
