// Where the connection comes from, resolved like kubectl: --kubeconfig, else
// KUBECONFIG (a list of files merged, first definition wins), else
// ~/.kube/config, else the pod's service account when running in a cluster.
// --context picks a context; an unknown one is a usage error listing them.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError, VkError } from '../core/errors.js';

export interface KubeconfigFlags {
  kubeconfig?: string;
  context?: string;
}

export interface ResolvedKubeconfig {
  kc: KubeConfig;
  /** Where it came from, for messages: a file list or "in-cluster service account". */
  source: string;
  context: string;
  server: string;
  user?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Files to read, in precedence order; empty means "no kubeconfig anywhere". */
export function kubeconfigFiles(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): string[] {
  if (flags.kubeconfig) return [flags.kubeconfig];
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((f) => f !== '');
  const home = env.HOME ?? homedir();
  const def = join(home, '.kube', 'config');
  return existsSync(def) ? [def] : [];
}

export function inCluster(env: NodeJS.ProcessEnv, saDir = SA_DIR): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(saDir, 'token')));
}

export async function loadKubeconfig(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): Promise<ResolvedKubeconfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const files = kubeconfigFiles(flags, env);
  let source: string;
  if (files.length > 0) {
    const existing = files.filter((f) => existsSync(f));
    // kubectl: an explicit --kubeconfig must exist; missing KUBECONFIG entries are skipped.
    if (flags.kubeconfig && existing.length === 0) {
      throw new UsageError(`kubeconfig file ${flags.kubeconfig} does not exist`, { hint: 'check --kubeconfig' });
    }
    if (existing.length === 0) {
      throw new VkError(`none of the kubeconfig files in KUBECONFIG exist (${files.join(delimiter)})`, {
        hint: 'set KUBECONFIG or pass --kubeconfig',
      });
    }
    mergeFiles(kc, existing, KubeConfig);
    source = existing.join(delimiter);
  } else if (!flags.context && inCluster(env)) {
    kc.loadFromCluster();
    source = 'in-cluster service account';
  } else {
    throw new VkError('no kubeconfig: --kubeconfig is not set, KUBECONFIG is empty and ~/.kube/config does not exist', {
      hint: 'pass --kubeconfig FILE or set KUBECONFIG',
    });
  }

  const names = kc.getContexts().map((c) => c.name);
  if (flags.context) {
    if (!names.includes(flags.context)) {
      throw new UsageError(
        `context "${flags.context}" not found in kubeconfig ${source}` +
          (names.length ? ` (contexts: ${names.join(', ')})` : ' (it has no contexts)'),
        { hint: 'pick one with --context' },
      );
    }
    kc.setCurrentContext(flags.context);
  } else if (!kc.getCurrentContext() || !names.includes(kc.getCurrentContext())) {
    if (names.length === 1) kc.setCurrentContext(names[0]!);
    else
      throw new UsageError(
        `kubeconfig ${source} has no current context` + (names.length ? ` (contexts: ${names.join(', ')})` : ''),
        { hint: 'pick one with --context' },
      );
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new VkError(`kubeconfig context "${context}" names no cluster with a server address (${source})`, {
      hint: 'fix the kubeconfig or pick another --context',
    });
  }
  return { kc, source, context, server: cluster.server.replace(/\/+$/, ''), user: kc.getCurrentUser()?.name };
}

/** Merges files like kubectl: the first file to define a name (or current-context) wins. */
function mergeFiles(kc: KubeConfig, files: string[], Ctor: typeof KubeConfig): void {
  const clusters: KubeConfig['clusters'] = [];
  const users: KubeConfig['users'] = [];
  const contexts: KubeConfig['contexts'] = [];
  let current: string | undefined;
  for (const file of files) {
    const one = new Ctor();
    try {
      one.loadFromFile(file);
    } catch (err) {
      throw new VkError(`cannot read kubeconfig ${file}: ${(err as Error).message.split('\n')[0]}`, {
        hint: 'check the file or pass another --kubeconfig',
        cause: err,
      });
    }
    for (const c of one.clusters ?? []) if (!clusters.some((x) => x.name === c.name)) clusters.push(c);
    for (const u of one.users ?? []) if (!users.some((x) => x.name === u.name)) users.push(u);
    for (const c of one.contexts ?? []) if (!contexts.some((x) => x.name === c.name)) contexts.push(c);
    current ||= one.currentContext || undefined;
  }
  kc.loadFromOptions({ clusters, users, contexts, currentContext: current ?? '' });
}
