// ViewManager container views: the set of objects of some types under a
// container, which the PropertyCollector can traverse in one call.

import { VkError } from '../core/errors.js';
import type { VimClient } from './soap/client.js';
import type { MoRef } from './types.js';

export async function createContainerView(
  client: VimClient,
  container: MoRef,
  types: string[],
  recursive: boolean,
): Promise<MoRef> {
  const viewManager = client.sc.viewManager;
  if (!viewManager) {
    throw new VkError(`${client.hostPort} has no ViewManager`, {
      hint: 'connect to vCenter (or an ESXi host of version 5.0 or later)',
    });
  }
  return client.invoke<MoRef>(
    'CreateContainerView',
    viewManager,
    { container, type: types, recursive },
    'ManagedObjectReference',
  );
}

export async function destroyView(client: VimClient, view: MoRef): Promise<void> {
  await client.invoke('DestroyView', view);
}

/** Runs `fn` with a container view and destroys the view afterwards, also on error. */
export async function withContainerView<R>(
  client: VimClient,
  container: MoRef,
  types: string[],
  recursive: boolean,
  fn: (view: MoRef) => Promise<R>,
): Promise<R> {
  const view = await createContainerView(client, container, types, recursive);
  try {
    return await fn(view);
  } finally {
    await destroyView(client, view).catch(() => undefined);
  }
}
