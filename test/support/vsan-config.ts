// Turns vSAN File Services on or off for a vcsim cluster and reads the state
// back, with raw SOAP on the simulator's vSAN endpoint (/vsanHealth,
// VsanVcClusterConfigSystem), so tests set and check it without vk.
import { Agent, request } from 'undici';

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const CONFIG_SYSTEM = '<_this type="VsanVcClusterConfigSystem">vsan-cluster-config-system</_this>';

export interface VsanAccount {
  /** https://host:port/sdk */
  url: string;
  username: string;
  password: string;
}

async function session(account: VsanAccount) {
  const url = new URL(account.url);
  let cookie: string | undefined;
  const post = async (path: string, action: string, body: string): Promise<string> => {
    const res = await request(`${url.origin}${path}`, {
      method: 'POST',
      dispatcher: url.protocol === 'https:' ? insecure : undefined,
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: action, ...(cookie ? { cookie } : {}) },
      body: envelope(body),
    });
    const text = await res.body.text();
    const set = res.headers['set-cookie'];
    if (!cookie && set) cookie = (Array.isArray(set) ? set[0]! : set).split(';')[0]!;
    if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    return text;
  };
  await post(
    '/sdk',
    'urn:vim25/8.0.3.0',
    `<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>${esc(account.username)}</userName><password>${esc(account.password)}</password></Login>`,
  );
  return { post };
}

async function clusterRef(post: (p: string, a: string, b: string) => Promise<string>, path: string): Promise<string> {
  const text = await post(
    '/sdk',
    'urn:vim25/8.0.3.0',
    `<FindByInventoryPath xmlns="urn:vim25"><_this type="SearchIndex">SearchIndex</_this><inventoryPath>${esc(path)}</inventoryPath></FindByInventoryPath>`,
  );
  const ref = /<returnval type="ClusterComputeResource">([^<]+)<\/returnval>/.exec(text)?.[1];
  if (!ref) throw new Error(`no cluster at ${path}: ${text.slice(0, 300)}`);
  return ref;
}

const getConfig = async (post: (p: string, a: string, b: string) => Promise<string>, ref: string) =>
  post(
    '/vsanHealth',
    'urn:vsan/8.0.3.0',
    `<VsanClusterGetConfig xmlns="urn:vsan">${CONFIG_SYSTEM}<cluster type="ClusterComputeResource">${ref}</cluster></VsanClusterGetConfig>`,
  );

const fileServicesOn = (config: string) =>
  /<fileServiceConfig>(?:(?!<\/fileServiceConfig>)[\s\S])*<enabled>true<\/enabled>/.test(config);

/** Whether vcsim reports vSAN File Services enabled on the cluster at `clusterPath` (e.g. /DC0/host/DC0_C0). */
export async function fileServicesEnabled(account: VsanAccount, clusterPath: string): Promise<boolean> {
  const { post } = await session(account);
  return fileServicesOn(await getConfig(post, await clusterRef(post, clusterPath)));
}

/** VsanClusterReconfig with a FileServiceConfig; resolves once VsanClusterGetConfig reports the new state. */
export async function setFileServices(account: VsanAccount, clusterPath: string, enabled: boolean): Promise<void> {
  const { post } = await session(account);
  const ref = await clusterRef(post, clusterPath);
  await post(
    '/vsanHealth',
    'urn:vsan/8.0.3.0',
    `<VsanClusterReconfig xmlns="urn:vsan">${CONFIG_SYSTEM}<cluster type="ClusterComputeResource">${ref}</cluster><vsanReconfigSpec><modify>true</modify><fileServiceConfig><enabled>${enabled}</enabled></fileServiceConfig></vsanReconfigSpec></VsanClusterReconfig>`,
  );
  for (let i = 0; i < 100; i++) {
    if (fileServicesOn(await getConfig(post, ref)) === enabled) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`vSAN File Services on ${clusterPath} did not become ${enabled ? 'enabled' : 'disabled'}`);
}
