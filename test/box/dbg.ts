import { startBox } from './cluster.js';
import { startManifestServer } from '../fixtures/manifests/server.js';
import { runVk } from '../support/run-vk.js';
const box = await startBox({ drivers: true });
const manifests = await startManifestServer({ aliases: { 'v1.36.0': 'v1.32.0', 'v3.8.0': 'v3.7.0' } });
const env = { ...box.env, VK_MANIFEST_BASE_URL: manifests.baseUrl, NO_COLOR: '1' };
const vk = async (a: string[]) => { const r = await runVk([...a, '--insecure', '--datacenter', 'DC0'], env, { timeoutMs: 300_000 }); console.log('$ vk', a.join(' '), r.code, r.stdout.slice(-600), r.stderr.slice(-1500)); };
try {
  await vk(['install', 'cpi', '--timeout', '240s']);
  await vk(['install', 'csi', '--cluster-id', 'box', '--timeout', '240s']);
  await vk(['storageclass', 'create', 'box-sc', '--datastore', 'LocalDS_0']);
  await box.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'box-sc', resources: { requests: { storage: '1Gi' } } } }) });
  await new Promise((r) => setTimeout(r, 20000));
  console.log(await box.kubectl(['get', 'pvc,events', '-A']));
  console.log(await box.kubectl(['get', 'pods', '-A', '-o', 'wide']));
  const pods = JSON.parse(await box.kubectl(['get', 'pods', '-n', 'vmware-system-csi', '-o', 'json'])).items;
  for (const p of pods) for (const c of p.spec.containers) {
    const l = box.runtime!.logOf('vmware-system-csi', p.metadata.name, c.name);
    if (l) console.log(`--- ${p.metadata.name}/${c.name}\n${l.split('\n').slice(-25).join('\n')}`);
  }
} finally { await manifests.close(); await box.stop(); }
