// Reads CNS volumes straight from vcsim's CNS endpoint (/vsanHealth) with
// raw SOAP, so tests check what the CSI side created without going through
// vk's vSphere client or the stand-in under test.
import { Agent, request } from 'undici';

export interface CnsVolume {
  id: string;
  name: string;
  /** ds:/// URL of the datastore holding it */
  datastoreUrl: string;
}

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

const envelope = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Every CNS volume vcsim holds. `sdkUrl` is https://host:port/sdk. */
export async function cnsVolumes(sdkUrl: string, username: string, password: string): Promise<CnsVolume[]> {
  const url = new URL(sdkUrl);
  const post = async (path: string, action: string, body: string, cookie?: string) => {
    const res = await request(`${url.origin}${path}`, {
      method: 'POST',
      dispatcher: insecure,
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: action,
        ...(cookie ? { cookie } : {}),
      },
      body: envelope(body),
    });
    return { text: await res.body.text(), cookie: res.headers['set-cookie'] };
  };
  const login = await post(
    '/sdk',
    'urn:vim25/8.0.3.0',
    `<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><userName>${esc(username)}</userName><password>${esc(password)}</password></Login>`,
  );
  const setCookie = Array.isArray(login.cookie) ? login.cookie[0] : login.cookie;
  if (!setCookie) throw new Error(`CNS query: login failed: ${login.text.slice(0, 300)}`);
  const cookie = setCookie.split(';')[0]!;
  const q = await post(
    '/vsanHealth',
    'urn:vsan/vsan',
    '<CnsQueryVolume xmlns="urn:vsan"><_this type="CnsVolumeManager">cns-volume-manager</_this><filter></filter></CnsQueryVolume>',
    cookie,
  );
  const out: CnsVolume[] = [];
  for (const m of q.text.matchAll(/<volumes>([\s\S]*?)<\/volumes>/g)) {
    const id = /<volumeId><id>([^<]+)<\/id><\/volumeId>/.exec(m[1]!)?.[1];
    const name = /<name>([^<]*)<\/name>/.exec(m[1]!)?.[1];
    const datastoreUrl = /<datastoreUrl>([^<]*)<\/datastoreUrl>/.exec(m[1]!)?.[1] ?? '';
    if (id) out.push({ id, name: name ?? '', datastoreUrl });
  }
  return out;
}
