// vSphere tags read and changed straight on vcsim's vAPI REST endpoints
// (/rest/com/vmware/cis/tagging), so tests check what `vk topology` did
// without going through vk's own tagging client.
import { Agent, request } from 'undici';
import type { Vcsim } from './vcsim.js';

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

export interface TagsOnObject {
  /** "ClusterComputeResource:domain-c7" */
  object: string;
  /** "category/tag" names */
  tags: string[];
}

export class VcsimTags {
  private constructor(
    private readonly origin: string,
    private readonly session: string,
  ) {}

  static async login(sim: Vcsim): Promise<VcsimTags> {
    const origin = new URL(sim.url).origin;
    const res = await request(`${origin}/rest/com/vmware/cis/session`, {
      method: 'POST',
      dispatcher: insecure,
      headers: { authorization: `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString('base64')}` },
    });
    const body = (await res.body.json()) as { value: string };
    if (res.statusCode !== 200) throw new Error(`vAPI login: HTTP ${res.statusCode}`);
    return new VcsimTags(origin, body.value);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- vAPI bodies are read as served
  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
    const res = await request(`${this.origin}/rest/com/vmware/cis/tagging${path}`, {
      method,
      dispatcher: insecure,
      headers: { 'vmware-api-session-id': this.session, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`vAPI ${method} ${path}: HTTP ${res.statusCode} ${text}`);
    return text ? (JSON.parse(text) as { value?: unknown }).value : undefined;
  }

  /** category name → its tag names, sorted. */
  async categories(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    const names = new Map<string, string>();
    for (const id of (await this.call('GET', '/category')) ?? []) {
      const c = await this.call('GET', `/category/id:${id}`);
      names.set(id, c.name);
      out[c.name] = [];
    }
    for (const id of (await this.call('GET', '/tag')) ?? []) {
      const t = await this.call('GET', `/tag/id:${id}`);
      out[names.get(t.category_id)!]!.push(t.name);
    }
    for (const k of Object.keys(out)) out[k]!.sort();
    return out;
  }

  /** Every tagged object with its "category/tag" names. */
  async attached(): Promise<TagsOnObject[]> {
    const cats = new Map<string, string>();
    for (const id of (await this.call('GET', '/category')) ?? [])
      cats.set(id, (await this.call('GET', `/category/id:${id}`)).name);
    const byObject = new Map<string, string[]>();
    for (const id of (await this.call('GET', '/tag')) ?? []) {
      const t = await this.call('GET', `/tag/id:${id}`);
      const objs = (await this.call('POST', `/tag-association/id:${id}?~action=list-attached-objects`, {})) ?? [];
      for (const o of objs as Array<{ type: string; id: string }>) {
        const key = `${o.type}:${o.id}`;
        byObject.set(key, [...(byObject.get(key) ?? []), `${cats.get(t.category_id)}/${t.name}`].sort());
      }
    }
    return [...byObject].map(([object, tags]) => ({ object, tags })).sort((a, b) => a.object.localeCompare(b.object));
  }

  /** Detaches a tag (by category and name) from every object; answers those objects. */
  async detachEverywhere(category: string, tag: string): Promise<Array<{ type: string; id: string }>> {
    const id = await this.tagId(category, tag);
    const objs = ((await this.call('POST', `/tag-association/id:${id}?~action=list-attached-objects`, {})) ??
      []) as Array<{ type: string; id: string }>;
    for (const o of objs) await this.call('POST', `/tag-association/id:${id}?~action=detach`, { object_id: o });
    return objs;
  }

  async attach(category: string, tag: string, objects: Array<{ type: string; id: string }>): Promise<void> {
    const id = await this.tagId(category, tag);
    for (const o of objects) await this.call('POST', `/tag-association/id:${id}?~action=attach`, { object_id: o });
  }

  private async tagId(category: string, tag: string): Promise<string> {
    for (const cid of (await this.call('GET', '/category')) ?? []) {
      if ((await this.call('GET', `/category/id:${cid}`)).name !== category) continue;
      for (const tid of (await this.call('POST', `/tag/id:${cid}?~action=list-tags-for-category`)) ?? []) {
        if ((await this.call('GET', `/tag/id:${tid}`)).name === tag) return tid;
      }
    }
    throw new Error(`no tag ${category}/${tag}`);
  }
}
