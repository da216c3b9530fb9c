// AuthorizationManager and UserDirectory calls: roles, permissions, the
// privilege check for another user, and principal lookup. Faults specific to
// principals are translated here; NoPermission (naming the privilege) comes
// from faults.ts.

import { UsageError, VkError } from '../core/errors.js';
import type { VimClient } from './soap/client.js';
import { findFault, VimFault } from './soap/faults.js';
import { retrieveOne } from './property-collector.js';
import type { MoRef } from './types.js';

export interface AuthorizationRole {
  roleId: number;
  system: boolean;
  name: string;
  privilege?: string[];
}

export interface Permission {
  entity?: MoRef;
  principal: string;
  group: boolean;
  roleId: number;
  propagate: boolean;
}

interface EntityPrivilege {
  entity: MoRef;
  privAvailability?: Array<{ privId: string; isGranted: boolean }>;
}

interface UserSearchResult {
  principal: string;
  fullName?: string;
  group: boolean;
}

function manager(client: VimClient): MoRef {
  const am = client.sc.authorizationManager;
  if (!am) throw new VkError(`${client.hostPort} has no AuthorizationManager (is it an ESXi host instead of vCenter?)`);
  return am;
}

/** How principals are written, for messages. */
const PRINCIPAL_FORMS =
  'write users as user@domain (e.g. k8s-csi@vsphere.local) and groups as DOMAIN\\group with --group';

/** "k8s-csi@vsphere.local" and "VSPHERE.LOCAL\k8s-csi" name the same principal. */
export function normalizePrincipal(p: string): string {
  const lower = p.toLowerCase();
  const i = lower.indexOf('\\');
  return i >= 0 ? `${lower.slice(i + 1)}@${lower.slice(0, i)}` : lower;
}

export function samePrincipal(a: string, b: string): boolean {
  return normalizePrincipal(a) === normalizePrincipal(b);
}

/** Rejects a principal without its domain before any request: vCenter needs user@domain or DOMAIN\\name. */
export function validatePrincipal(principal: string, flag: string): string {
  if (!/^[^@\\\s]+@[^@\\\s]+$/.test(principal) && !/^[^@\\\s]+\\[^@\\\s]+$/.test(principal)) {
    throw new UsageError(`${flag} "${principal}" is not a vCenter principal`, { hint: PRINCIPAL_FORMS });
  }
  return principal;
}

class PrincipalNotFoundError extends VkError {
  constructor(principal: string, group: boolean) {
    super(`vCenter has no such ${group ? 'group' : 'user'}: "${principal}"`, { hint: PRINCIPAL_FORMS });
    this.name = 'PrincipalNotFoundError';
  }
}

/** Turns UserNotFound into PrincipalNotFoundError; everything else passes through. */
async function principalFaults<T>(principal: string, group: boolean, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (findFault(err, 'UserNotFound')) throw new PrincipalNotFoundError(principal, group);
    throw err;
  }
}

/** Every role (roleList) and every permission set anywhere: two calls. */
export async function readAuthorization(
  client: VimClient,
): Promise<{ roles: AuthorizationRole[]; permissions: Permission[] }> {
  const am = manager(client);
  const [props, permissions] = await Promise.all([
    retrieveOne<{ roleList: AuthorizationRole[] }>(client, am, ['roleList']),
    client.invoke<Permission[] | undefined>('RetrieveAllPermissions', am, {}, 'Permission[]'),
  ]);
  return { roles: props.roleList ?? [], permissions: permissions ?? [] };
}

export async function addRole(client: VimClient, name: string, privIds: string[]): Promise<number> {
  return Number(await client.invoke('AddAuthorizationRole', manager(client), { name, privIds }, 'int'));
}

export async function updateRole(client: VimClient, roleId: number, newName: string, privIds: string[]): Promise<void> {
  await client.invoke('UpdateAuthorizationRole', manager(client), { roleId, newName, privIds });
}

/** Removes a role and (failIfUsed=false) every permission that uses it. */
export async function removeRole(client: VimClient, roleId: number): Promise<void> {
  await client.invoke('RemoveAuthorizationRole', manager(client), { roleId, failIfUsed: false });
}

/** Adds or replaces (per principal) permissions on one entity; others on it stay. */
export async function setEntityPermissions(client: VimClient, entity: MoRef, permission: Permission[]): Promise<void> {
  const first = permission[0];
  await principalFaults(first?.principal ?? '', first?.group ?? false, () =>
    client.invoke('SetEntityPermissions', manager(client), {
      entity,
      permission: permission.map((p) => ({
        entity,
        principal: p.principal,
        group: p.group,
        roleId: p.roleId,
        propagate: p.propagate,
      })),
    }),
  );
}

/** Whether `userName` holds each of `privId` on each entity, in one call. */
export async function hasUserPrivilegeOnEntities(
  client: VimClient,
  entities: MoRef[],
  userName: string,
  privId: string[],
): Promise<EntityPrivilege[]> {
  if (entities.length === 0) return [];
  const res = await principalFaults(userName, false, () =>
    client.invoke<EntityPrivilege[] | undefined>(
      'HasUserPrivilegeOnEntities',
      manager(client),
      { entities, userName, privId },
      'EntityPrivilege[]',
    ),
  );
  return res ?? [];
}

/**
 * Throws PrincipalNotFoundError when the UserDirectory does not know the
 * principal. A vCenter whose UserDirectory cannot be searched (no
 * UserDirectory, or a fault other than NoPermission) is not taken as proof of
 * absence: SetEntityPermissions will still refuse an unknown principal.
 */
export async function assertPrincipalExists(client: VimClient, principal: string, group: boolean): Promise<void> {
  const ud = client.sc.userDirectory;
  if (!ud) return;
  const at = principal.indexOf('@');
  const bs = principal.indexOf('\\');
  const name = at >= 0 ? principal.slice(0, at) : bs >= 0 ? principal.slice(bs + 1) : principal;
  const domain = at >= 0 ? principal.slice(at + 1) : bs >= 0 ? principal.slice(0, bs) : undefined;
  let found: UserSearchResult[] | undefined;
  try {
    found = await client.invoke<UserSearchResult[] | undefined>(
      'RetrieveUserGroups',
      ud,
      { domain, searchStr: name, exactMatch: false, findUsers: !group, findGroups: group },
      'UserSearchResult[]',
    );
  } catch (err) {
    if (err instanceof VimFault && !findFault(err, 'NoPermission')) return;
    throw err;
  }
  const ok = (found ?? []).some(
    (r) =>
      (r.group === true) === group &&
      (samePrincipal(r.principal, principal) || r.principal.toLowerCase() === name.toLowerCase()),
  );
  if (!ok) throw new PrincipalNotFoundError(principal, group);
}
