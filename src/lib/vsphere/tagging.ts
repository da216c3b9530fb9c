// vSphere tags through the vSphere Automation (vAPI) REST endpoints,
// `/rest/com/vmware/cis/…`: the same ones govc's `tags.*` commands and the
// CPI's zone lookup use (govmomi's vapi/tags), served by vCenter 6.5 and
// later. The vAPI has its own session: one login per process with the
// credentials of the SOAP session, its id sent as `vmware-api-session-id`,
// ended by VsphereSession.release().

import { mapLimit } from '../core/concurrency.js';
import { VkError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import type { VimClient } from './soap/client.js';
import { InvalidLoginError } from './soap/faults.js';
import { refKey, type MoRef } from './types.js';

const BASE = '/rest/com/vmware/cis';
const SESSION_HEADER = 'vmware-api-session-id';
/** GETs of single categories and tags in flight at once (one per object: the /rest API has no batch get). */
const READ_CONCURRENCY = 8;

export interface TagCategory {
  id: string;
  name: string;
  description: string;
  /** SINGLE: an object carries at most one tag of the category. */
  cardinality: 'SINGLE' | 'MULTIPLE';
  /** Object types the category's tags may be attached to; empty means any. */
  associableTypes: string[];
}

export interface Tag {
  id: string;
  name: string;
  description: string;
  categoryId: string;
}

interface WireCategory {
  id: string;
  name: string;
  description?: string;
  cardinality?: string;
  associable_types?: string[];
}

interface WireTag {
  id: string;
  name: string;
  description?: string;
  category_id: string;
}

/** A vAPI error body: `{ type: "com.vmware.vapi.std.errors.already_exists", value: { messages: [...] } }`. */
interface WireError {
  type?: string;
  value?: { messages?: Array<{ default_message?: string }> } | string;
}

/** A vAPI call that failed; `type` is the vAPI error type's last segment (`already_exists`, `not_found`…). */
export class VapiError extends VkError {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string | undefined,
    hint?: string,
  ) {
    super(message, { hint });
  }
}

function errorOf(what: string, status: number, body: WireError | undefined, host: string): VapiError {
  const type = body?.type?.split('.').pop();
  const detail =
    typeof body?.value === 'object' ? body.value.messages?.map((m) => m.default_message).find(Boolean) : undefined;
  const reason = detail ?? type?.replace(/_/g, ' ') ?? `HTTP ${status}`;
  const hint =
    status === 403 || type === 'unauthorized'
      ? 'creating and attaching tags needs the vSphere Tagging privileges (Create vSphere Tag Category, Create vSphere Tag, Assign or Unassign vSphere Tag); run it as an administrator'
      : status === 404 && !type
        ? `tags need vCenter Server's vSphere Automation API at https://${host}${BASE} (an ESXi host has none)`
        : undefined;
  return new VapiError(`vCenter at ${host} refused ${what}: ${reason}`, status, type, hint);
}

const categoryOf = (c: WireCategory): TagCategory => ({
  id: c.id,
  name: c.name,
  description: c.description ?? '',
  cardinality: c.cardinality === 'MULTIPLE' ? 'MULTIPLE' : 'SINGLE',
  associableTypes: c.associable_types ?? [],
});

const tagOf = (t: WireTag): Tag => ({
  id: t.id,
  name: t.name,
  description: t.description ?? '',
  categoryId: t.category_id,
});

const objectId = (ref: MoRef) => ({ type: ref.type, id: ref.value });
const idPath = (id: string) => `id:${encodeURIComponent(id).replace(/%3A/gi, ':')}`;

export class TaggingClient {
  private constructor(
    private readonly client: VimClient,
    private sessionId: string | undefined,
  ) {}

  /** Logs in to the vAPI with the user and password of the SOAP session. */
  static async login(client: VimClient, userName: string, password: Secret): Promise<TaggingClient> {
    const basic = Buffer.from(`${userName}:${password.reveal()}`).toString('base64');
    const res = await client.rest<{ value?: string } & WireError>('POST', `${BASE}/session`, {
      headers: { authorization: `Basic ${basic}` },
      what: 'the vSphere Automation login',
    });
    if (res.status === 401) {
      throw new InvalidLoginError(
        `cannot log in to the vSphere Automation API of ${client.hostPort} as ${userName}: incorrect user name or password`,
        {
          fault: { _type: 'InvalidLogin' },
          vimMessage: 'HTTP 401',
          method: 'vAPI session',
          hint: 'check --username/--password',
        },
      );
    }
    if (res.status !== 200 || typeof res.body?.value !== 'string') {
      throw errorOf('the vSphere Automation login', res.status, res.body, client.hostPort);
    }
    return new TaggingClient(client, res.body.value);
  }

  /** Ends the vAPI session; never throws. */
  async logout(): Promise<void> {
    if (!this.sessionId) return;
    const headers = { [SESSION_HEADER]: this.sessionId };
    this.sessionId = undefined;
    await this.client
      .rest('DELETE', `${BASE}/session`, { headers, what: 'the vSphere Automation logout' })
      .catch(() => undefined);
  }

  async #call<T>(method: 'GET' | 'POST', path: string, what: string, body?: unknown): Promise<T | undefined> {
    if (!this.sessionId) throw new VkError('the vSphere Automation session has ended', { hint: 'this is a bug in vk' });
    const res = await this.client.rest<{ value?: T } & WireError>(method, `${BASE}${path}`, {
      headers: { [SESSION_HEADER]: this.sessionId },
      body,
      what,
    });
    if (res.status !== 200) throw errorOf(what, res.status, res.body, this.client.hostPort);
    return res.body?.value;
  }

  /** Every tag category, in name order. */
  async categories(): Promise<TagCategory[]> {
    const ids = (await this.#call<string[]>('GET', '/tagging/category', 'listing tag categories')) ?? [];
    const all = await mapLimit(ids, READ_CONCURRENCY, async (id) =>
      categoryOf((await this.#call<WireCategory>('GET', `/tagging/category/${idPath(id)}`, `reading category ${id}`))!),
    );
    return all.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every tag (of every category), in name order. */
  async tags(): Promise<Tag[]> {
    const ids = (await this.#call<string[]>('GET', '/tagging/tag', 'listing tags')) ?? [];
    const all = await mapLimit(ids, READ_CONCURRENCY, async (id) =>
      tagOf((await this.#call<WireTag>('GET', `/tagging/tag/${idPath(id)}`, `reading tag ${id}`))!),
    );
    return all.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Creates a category; answers its id. */
  async createCategory(spec: {
    name: string;
    description: string;
    cardinality: 'SINGLE' | 'MULTIPLE';
    associableTypes: string[];
  }): Promise<string> {
    const id = await this.#call<string>('POST', '/tagging/category', `creating tag category ${spec.name}`, {
      create_spec: {
        name: spec.name,
        description: spec.description,
        cardinality: spec.cardinality,
        associable_types: spec.associableTypes,
      },
    });
    return id!;
  }

  /** Creates a tag in a category; answers its id. */
  async createTag(spec: { name: string; description: string; categoryId: string }): Promise<string> {
    const id = await this.#call<string>('POST', '/tagging/tag', `creating tag ${spec.name}`, {
      create_spec: { name: spec.name, description: spec.description, category_id: spec.categoryId },
    });
    return id!;
  }

  /** The tag ids attached to each object, keyed by refKey, in one call. */
  async attachedTags(objects: readonly MoRef[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(objects.map((o) => [refKey(o), []]));
    if (objects.length === 0) return out;
    const res = await this.#call<Array<{ object_id: { type: string; id: string }; tag_ids?: string[] }>>(
      'POST',
      '/tagging/tag-association?~action=list-attached-tags-on-objects',
      'listing the tags attached to the inventory',
      { object_ids: objects.map(objectId) },
    );
    for (const r of res ?? []) out.set(refKey({ type: r.object_id.type, value: r.object_id.id }), r.tag_ids ?? []);
    return out;
  }

  /** Attaches a tag to an object (a no-op when attached already). */
  async attach(tagId: string, object: MoRef, what: string): Promise<void> {
    await this.#call('POST', `/tagging/tag-association/${idPath(tagId)}?~action=attach`, what, {
      object_id: objectId(object),
    });
  }
}
