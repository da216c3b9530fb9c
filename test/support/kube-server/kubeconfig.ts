// Writes a kubeconfig that points at the test server, as a user would have one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';

/** `caPem` for an https server; without it (plain http) TLS verification is off, as client-node requires. */
export function writeKubeconfig(
  server: string,
  token: string | undefined,
  caPem: string | undefined,
  dir?: string,
): string {
  const target = dir ?? mkdtempSync(join(tmpdir(), 'vk-kube-'));
  const path = join(target, 'kubeconfig');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kube-test',
        cluster: caPem
          ? { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') }
          : { server, 'insecure-skip-tls-verify': true },
      },
    ],
    users: [{ name: 'kube-test-admin', user: token ? { token } : {} }],
    contexts: [{ name: 'kube-test', context: { cluster: 'kube-test', user: 'kube-test-admin' } }],
    'current-context': 'kube-test',
    preferences: {},
  };
  writeFileSync(path, yaml.dump(config), { mode: 0o600 });
  return path;
}
