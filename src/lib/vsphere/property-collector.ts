// The PropertyCollector: read many properties of many objects in one round
// trip (RetrievePropertiesEx, following ContinueRetrievePropertiesEx pages),
// returned as plain objects keyed by property path.

import type { VimClient } from './soap/client.js';
import { withContainerView } from './view.js';
import type {
  MissingProperty,
  MoRef,
  ObjectContent,
  PropertyFilterSpec,
  RetrieveResult,
  SelectionSpec,
  TraversalSpec,
} from './types.js';
import type { SoapObject } from './soap/xml.js';

/** One object's requested properties, keyed by property path ('name', 'summary.capacity'). */
export interface RetrievedObject<T> {
  ref: MoRef;
  props: Partial<T>;
  /** Properties the server could not read (e.g. NoPermission), with the fault. */
  missing: MissingProperty[];
}

/** A TraversalSpec with its fields in wire order. */
export function traversal(name: string, type: string, path: string, selectSet: string[] = []): TraversalSpec {
  return {
    _type: 'TraversalSpec',
    name,
    type,
    path,
    skip: false,
    selectSet: selectSet.map((n) => ({ name: n }) as SelectionSpec),
  };
}

/** Writes a filter spec with fields in wire order and SelectionSpec/TraversalSpec typed. */
function filterSpecXml(spec: PropertyFilterSpec): SoapObject {
  return {
    _type: 'PropertyFilterSpec',
    propSet: spec.propSet.map((p) => ({ type: p.type, all: p.all, pathSet: p.pathSet })),
    objectSet: spec.objectSet.map((o) => ({
      obj: o.obj,
      skip: o.skip,
      selectSet: o.selectSet?.map(selectionXml),
    })),
    reportMissingObjectsInResults: spec.reportMissingObjectsInResults,
  };
}

function selectionXml(s: SelectionSpec): SoapObject {
  if (s._type === 'TraversalSpec') {
    const t = s as TraversalSpec;
    return {
      _type: 'TraversalSpec',
      name: t.name,
      type: t.type,
      path: t.path,
      skip: t.skip,
      selectSet: t.selectSet?.map(selectionXml),
    };
  }
  return { _type: 'SelectionSpec', name: s.name };
}

/** RetrievePropertiesEx with all pages; the raw ObjectContent list. */
export async function retrieveContents(
  client: VimClient,
  specSet: PropertyFilterSpec[],
  options: { maxObjects?: number } = {},
): Promise<ObjectContent[]> {
  const pc = client.sc.propertyCollector;
  const out: ObjectContent[] = [];
  let page = await client.invoke<RetrieveResult | undefined>(
    'RetrievePropertiesEx',
    pc,
    { specSet: specSet.map(filterSpecXml), options: { maxObjects: options.maxObjects } },
    'RetrieveResult',
  );
  while (page) {
    out.push(...(page.objects ?? []));
    if (!page.token) break;
    page = await client.invoke<RetrieveResult | undefined>(
      'ContinueRetrievePropertiesEx',
      pc,
      { token: page.token },
      'RetrieveResult',
    );
  }
  return out;
}

/** An ObjectContent as { ref, props, missing }. */
export function toRetrieved<T>(oc: ObjectContent): RetrievedObject<T> {
  const props: Record<string, unknown> = {};
  for (const p of oc.propSet ?? []) props[p.name] = p.val;
  return { ref: oc.obj, props: props as Partial<T>, missing: oc.missingSet ?? [] };
}

/** Properties of the given objects (all of one type), in one call. */
export async function retrieveObjects<T>(
  client: VimClient,
  refs: MoRef[],
  paths: ReadonlyArray<keyof T & string>,
): Promise<Array<RetrievedObject<T>>> {
  if (refs.length === 0) return [];
  const types = [...new Set(refs.map((r) => r.type))];
  const contents = await retrieveContents(client, [
    {
      propSet: types.map((type) => ({ type, pathSet: [...paths] })),
      objectSet: refs.map((obj) => ({ obj })),
    },
  ]);
  return contents.map((oc) => toRetrieved<T>(oc));
}

/** Properties of one object; undefined values for properties that are unset. */
export async function retrieveOne<T>(
  client: VimClient,
  ref: MoRef,
  paths: ReadonlyArray<keyof T & string>,
): Promise<Partial<T>> {
  const [first] = await retrieveObjects<T>(client, [ref], paths);
  return first?.props ?? {};
}

export interface ContainerQuery<T> {
  /** Folder, Datacenter, ComputeResource… to look under. */
  container: MoRef;
  /** Managed object type, e.g. 'VirtualMachine' (subtypes included). */
  type: string;
  paths: ReadonlyArray<keyof T & string>;
  /** Include nested folders (default true). */
  recursive?: boolean;
  /** Objects per page (RetrieveOptions.maxObjects); the server's default when unset. */
  pageSize?: number;
}

/**
 * Every object of `type` under `container` with the given properties, in one
 * RetrievePropertiesEx (plus pages) through a ContainerView that is destroyed
 * afterwards.
 */
export async function retrieveFromContainer<T>(
  client: VimClient,
  query: ContainerQuery<T>,
): Promise<Array<RetrievedObject<T>>> {
  return withContainerView(client, query.container, [query.type], query.recursive ?? true, async (view) => {
    const contents = await retrieveContents(
      client,
      [
        {
          propSet: [{ type: query.type, pathSet: [...query.paths] }],
          objectSet: [{ obj: view, skip: true, selectSet: [traversal('view', 'ContainerView', 'view')] }],
        },
      ],
      { maxObjects: query.pageSize },
    );
    return contents.map((oc) => toRetrieved<T>(oc));
  });
}
