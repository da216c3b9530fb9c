// `vk roles create|check|delete`: plans (plain data, from the privilege table,
// the target objects and vCenter's current roles and permissions) and their
// application. Reading is two calls (roleList, RetrieveAllPermissions);
// permissions are set with one SetEntityPermissions per object.

import type { Table } from '../cli/output.js';
import type { Step } from '../core/step.js';
import type { Context } from '../core/context.js';
import { UsageError, VkError } from '../core/errors.js';
import {
  permissionsFor,
  READ_ONLY_ROLE,
  roleName,
  rolePrivileges,
  SYSTEM_PRIVILEGES,
  customRoles,
  validateRolePrefix,
  type DriverUser,
  type PermissionRule,
} from './privileges.js';
import { findTargets, type RoleTarget } from './targets.js';
import { warnWithoutFileServices } from '../storage/file-services.js';
import {
  addRole,
  assertPrincipalExists,
  readAuthorization,
  hasUserPrivilegeOnEntities,
  removeRole,
  samePrincipal,
  setEntityPermissions,
  updateRole,
  validatePrincipal,
  type AuthorizationRole,
  type Permission,
} from '../vsphere/authorization.js';
import type { VimClient } from '../vsphere/soap/client.js';
import { refKey, sameRef, type MoRef } from '../vsphere/types.js';

export type Change = 'create' | 'update' | 'unchanged';

export interface RoleChange {
  name: string;
  privileges: string[];
  action: Change;
  roleId?: number;
  /** Privileges the role gains / loses (update only). */
  added: string[];
  removed: string[];
}

export interface PermissionChange {
  object: string;
  ref: MoRef;
  role: string;
  principal: string;
  group: boolean;
  propagate: boolean;
  action: Change;
  /** Role of the permission this one replaces (update only). */
  was?: string;
}

export interface CreateRolesPlan {
  roles: RoleChange[];
  permissions: PermissionChange[];
}

export interface Existing {
  roles: AuthorizationRole[];
  permissions: Permission[];
}

export interface Principal {
  user: DriverUser;
  principal: string;
  group: boolean;
}

function sorted(list: readonly string[] | undefined): string[] {
  return [...new Set(list ?? [])].sort();
}

/** The rules that apply to each principal, with the targets each rule goes on. */
export function assignments(
  principals: Principal[],
  targets: RoleTarget[],
  opts: { fileVolumes?: boolean },
): Array<{ rule: PermissionRule; principal: Principal; target: RoleTarget }> {
  const out: Array<{ rule: PermissionRule; principal: Principal; target: RoleTarget }> = [];
  for (const principal of principals) {
    for (const rule of permissionsFor(principal.user, opts)) {
      for (const target of targets.filter((t) => rule.on.includes(t.scope))) out.push({ rule, principal, target });
    }
  }
  return out;
}

/**
 * What `vk roles create` would do. A role whose privileges differ is an
 * error naming the difference unless `force`; a permission for the same
 * principal on the same object with another role or propagation is replaced
 * (that is what asking for least privilege means).
 */
export function planCreateRoles(input: {
  principals: Principal[];
  targets: RoleTarget[];
  existing: Existing;
  prefix: string;
  fileVolumes?: boolean;
  force?: boolean;
}): CreateRolesPlan {
  const { existing, prefix } = input;
  const work = assignments(input.principals, input.targets, input.fileVolumes ? { fileVolumes: true } : {});
  const roles: RoleChange[] = [];
  for (const rule of work.map((w) => w.rule)) {
    const name = roleName(rule, prefix);
    if (rule.builtin || roles.some((r) => r.name === name)) continue;
    const privileges = rolePrivileges(rule);
    const have = existing.roles.find((r) => r.name === name);
    if (!have) {
      roles.push({ name, privileges, action: 'create', added: [], removed: [] });
      continue;
    }
    const current = sorted(have.privilege);
    const added = privileges.filter((p) => !current.includes(p));
    const removed = current.filter((p) => !privileges.includes(p));
    const action = added.length || removed.length ? 'update' : 'unchanged';
    roles.push({ name, privileges, action, roleId: have.roleId, added, removed });
  }
  const drifted = roles.filter((r) => r.action === 'update');
  if (drifted.length > 0 && !input.force) {
    const diff = drifted
      .map((r) => `${r.name} (${[...r.added.map((p) => `+${p}`), ...r.removed.map((p) => `-${p}`)].join(' ')})`)
      .join(', ');
    throw new VkError(
      `${drifted.length > 1 ? 'roles' : 'role'} ${diff} already ${drifted.length > 1 ? 'exist' : 'exists'} with other privileges`,
      {
        hint: 'pass --force to set them to the privileges vk needs (nothing was changed)',
      },
    );
  }

  const roleIdOf = (name: string): number | undefined =>
    name === READ_ONLY_ROLE.name ? READ_ONLY_ROLE.roleId : existing.roles.find((r) => r.name === name)?.roleId;
  const roleNameOf = (id: number): string => existing.roles.find((r) => r.roleId === id)?.name ?? `role ${id}`;
  const permissions: PermissionChange[] = [];
  for (const { rule, principal, target } of work) {
    const role = roleName(rule, prefix);
    const roleId = roleIdOf(role);
    const have = existing.permissions.find(
      (p) =>
        p.entity !== undefined &&
        sameRef(p.entity, target.ref) &&
        p.group === principal.group &&
        samePrincipal(p.principal, principal.principal),
    );
    let action: Change = 'create';
    if (have) {
      const same = roleId !== undefined && have.roleId === roleId && have.propagate === rule.propagate;
      action = same && !roles.some((r) => r.name === role && r.action === 'create') ? 'unchanged' : 'update';
    }
    permissions.push({
      object: target.path,
      ref: target.ref,
      role,
      principal: principal.principal,
      group: principal.group,
      propagate: rule.propagate,
      action,
      ...(have && action === 'update' ? { was: roleNameOf(have.roleId) } : {}),
    });
  }
  return { roles, permissions };
}

/** Creates/updates the roles, then sets the permissions: one call per object. */
export async function applyCreateRoles(client: VimClient, plan: CreateRolesPlan, existing: Existing): Promise<void> {
  const ids = new Map<string, number>(existing.roles.map((r) => [r.name, r.roleId]));
  ids.set(READ_ONLY_ROLE.name, READ_ONLY_ROLE.roleId);
  for (const role of plan.roles) {
    // vCenter adds the System.* privileges itself; sending them is harmless.
    if (role.action === 'create') ids.set(role.name, await addRole(client, role.name, role.privileges));
    if (role.action === 'update') await updateRole(client, role.roleId!, role.name, role.privileges);
  }
  const byObject = new Map<string, PermissionChange[]>();
  for (const p of plan.permissions.filter((x) => x.action !== 'unchanged')) {
    byObject.set(refKey(p.ref), [...(byObject.get(refKey(p.ref)) ?? []), p]);
  }
  for (const changes of byObject.values()) {
    await setEntityPermissions(
      client,
      changes[0]!.ref,
      changes.map((p) => ({
        principal: p.principal,
        group: p.group,
        roleId: ids.get(p.role)!,
        propagate: p.propagate,
      })),
    );
  }
}

export interface Requirement {
  object: string;
  ref: MoRef;
  role: string;
  privileges: string[];
}

/** Every (object, privileges) a driver user needs, from the same table `create` uses. */
export function requirements(
  user: DriverUser,
  targets: RoleTarget[],
  opts: { prefix: string; fileVolumes?: boolean },
): Requirement[] {
  return assignments([{ user, principal: '', group: false }], targets, opts).map(({ rule, target }) => ({
    object: target.path,
    ref: target.ref,
    role: roleName(rule, opts.prefix),
    privileges: rule.builtin ? [...SYSTEM_PRIVILEGES] : [...rule.privileges],
  }));
}

export interface MissingPrivilege {
  object: string;
  privilege: string;
  role: string;
}

/** Asks vCenter which required privileges `user` lacks: one call per distinct privilege list. */
export async function missingPrivileges(
  client: VimClient,
  user: string,
  required: Requirement[],
): Promise<MissingPrivilege[]> {
  const groups = new Map<string, Requirement[]>();
  for (const r of required) groups.set(r.privileges.join(','), [...(groups.get(r.privileges.join(',')) ?? []), r]);
  const missing: MissingPrivilege[] = [];
  for (const reqs of groups.values()) {
    const refs = [...new Map(reqs.map((r) => [refKey(r.ref), r.ref])).values()];
    const answer = await hasUserPrivilegeOnEntities(client, refs, user, reqs[0]!.privileges);
    for (const r of reqs) {
      const ep = answer.find((a) => sameRef(a.entity, r.ref));
      for (const privilege of r.privileges) {
        const granted = ep?.privAvailability?.find((p) => p.privId === privilege)?.isGranted === true;
        if (!granted) missing.push({ object: r.object, privilege, role: r.role });
      }
    }
  }
  return missing;
}

export interface DeleteRolesPlan {
  roles: Array<{ name: string; roleId: number; permissions: Array<{ entity: string; principal: string }> }>;
}

/** vk's roles (table names with the prefix) that exist, with the permissions that use them. */
export function planDeleteRoles(existing: Existing, prefix: string): DeleteRolesPlan {
  const ours = new Set(customRoles(prefix).map((r) => r.name));
  return {
    roles: existing.roles
      .filter((r) => ours.has(r.name) && !r.system)
      .map((r) => ({
        name: r.name,
        roleId: r.roleId,
        permissions: existing.permissions
          .filter((p) => p.roleId === r.roleId)
          .map((p) => ({ entity: p.entity ? `${p.entity.type}:${p.entity.value}` : '', principal: p.principal })),
      })),
  };
}

/** RemoveAuthorizationRole with failIfUsed=false also removes the role's permissions. */
export async function applyDeleteRoles(client: VimClient, plan: DeleteRolesPlan): Promise<void> {
  for (const role of plan.roles) await removeRole(client, role.roleId);
}

// ---- what the commands call: validate, read, plan, apply ----

export type Action = 'created' | 'updated' | 'unchanged' | 'would create' | 'would update' | 'deleted' | 'would delete';

function actionText(change: Change, dryRun: boolean): Action {
  if (change === 'unchanged') return 'unchanged';
  if (dryRun) return change === 'create' ? 'would create' : 'would update';
  return change === 'create' ? 'created' : 'updated';
}

export interface CreateRolesOptions {
  csiUser: string;
  cpiUser?: string;
  group: boolean;
  prefix: string;
  folder: string;
  datastores: string[];
  fileVolumes: boolean;
  force: boolean;
}

export interface CreateRolesResult {
  dryRun: boolean;
  roles: Array<Omit<RoleChange, 'action' | 'roleId'> & { action: Action }>;
  permissions: Array<Omit<PermissionChange, 'action' | 'ref'> & { action: Action }>;
}

interface CreateRolesStepPlan {
  input: CreateRolesOptions;
  plan: ReturnType<typeof planCreateRoles>;
  existing: Existing;
  targets: Awaited<ReturnType<typeof findTargets>>;
}

/** The drivers' roles created (or set, with --force) and granted on the objects they use. */
export const createRolesStep: Step<CreateRolesOptions, CreateRolesStepPlan, CreateRolesResult> = {
  id: 'roles',
  title: 'Least-privilege roles',
  validate(input) {
    validateRolePrefix(input.prefix);
    validatePrincipal(input.csiUser, '--csi-user');
    if (input.cpiUser) validatePrincipal(input.cpiUser, '--cpi-user');
  },
  async plan(ctx, input) {
    createRolesStep.validate(input);
    const principals: Principal[] = [{ user: 'csi', principal: input.csiUser, group: input.group }];
    if (input.cpiUser) principals.push({ user: 'cpi', principal: input.cpiUser, group: input.group });
    const session = await ctx.vsphere();
    for (const p of principals) await assertPrincipalExists(session.client, p.principal, p.group);
    const [targets, existing] = await Promise.all([
      findTargets(session, { folder: input.folder, datastores: input.datastores, fileVolumes: input.fileVolumes }),
      readAuthorization(session.client),
    ]);
    return { input, plan: planCreateRoles({ principals, targets, existing, ...input }), existing, targets };
  },
  describe: ({ plan }) => createRolesResult(plan, true),
  async apply(ctx, { input, plan, existing, targets }, run) {
    const dryRun = run.dryRun !== 'none';
    const session = await ctx.vsphere();
    if (!dryRun) await applyCreateRoles(session.client, plan, existing);
    if (input.fileVolumes) await warnWithoutFileServices(ctx, session, fileServiceClusters(targets));
    return createRolesResult(plan, dryRun);
  },
  summary(r) {
    const changed = [...r.roles, ...r.permissions].filter((c) => c.action !== 'unchanged').length;
    return `${r.roles.length} roles, ${r.permissions.length} permissions: ${changed} ${r.dryRun ? 'would change' : 'changed'}`;
  },
  failure: () => undefined,
};

function createRolesResult(plan: ReturnType<typeof planCreateRoles>, dryRun: boolean): CreateRolesResult {
  return {
    dryRun,
    roles: plan.roles.map(({ roleId: _id, ...r }) => ({ ...r, action: actionText(r.action, dryRun) })),
    permissions: plan.permissions.map(({ ref: _ref, ...p }) => ({ ...p, action: actionText(p.action, dryRun) })),
  };
}

export interface CheckRolesOptions {
  user: string;
  driver: DriverUser;
  prefix: string;
  folder?: string;
  datastores: string[];
  fileVolumes: boolean;
}

export interface CheckRolesResult {
  user: string;
  driver: DriverUser;
  /** (object, privilege) pairs asked about. */
  checked: number;
  missing: Array<MissingPrivilege & { fix: string }>;
}

export async function checkRoles(ctx: Context, opts: CheckRolesOptions): Promise<CheckRolesResult> {
  validateRolePrefix(opts.prefix);
  validatePrincipal(opts.user, '--user');
  if (opts.driver === 'csi' && opts.folder === undefined) {
    throw new UsageError('--folder is required with --csi: the CSI user needs privileges on the node VMs', {
      hint: 'pass the node VMs’ folder, e.g. --folder k8s',
    });
  }
  const session = await ctx.vsphere();
  const targets = await findTargets(session, {
    folder: opts.driver === 'csi' ? opts.folder : undefined,
    datastores: opts.datastores,
    fileVolumes: opts.fileVolumes,
  });
  const required = requirements(opts.driver, targets, opts);
  const missing = await missingPrivileges(session.client, opts.user, required);
  if (opts.fileVolumes) await warnWithoutFileServices(ctx, session, fileServiceClusters(targets));
  const fix = fixCommand(opts);
  return {
    user: opts.user,
    driver: opts.driver,
    checked: required.reduce((n, r) => n + r.privileges.length, 0),
    missing: missing.map((m) => ({ ...m, fix })),
  };
}

const fileServiceClusters = (targets: RoleTarget[]) => targets.filter((t) => t.scope === 'fileServiceCluster');

function fixCommand(opts: CheckRolesOptions): string {
  const q = (s: string) => (/^[\w@./:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const parts = ['vk roles create'];
  if (opts.driver === 'csi') parts.push(`--csi-user ${q(opts.user)}`, `--folder ${q(opts.folder ?? '')}`);
  else parts.push('--csi-user CSI-USER --folder FOLDER', `--cpi-user ${q(opts.user)}`);
  for (const d of opts.datastores) parts.push(`--datastore ${q(d)}`);
  if (opts.fileVolumes) parts.push('--file-volumes');
  if (opts.prefix) parts.push(`--role-prefix ${q(opts.prefix)}`);
  return parts.join(' ');
}

export interface DeleteRolesResult {
  dryRun: boolean;
  roles: Array<{ name: string; permissions: number; action: Action }>;
}

export async function deleteRoles(
  ctx: Context,
  opts: { prefix: string; dryRun: boolean; confirm: (plan: DeleteRolesPlan) => Promise<boolean> },
): Promise<DeleteRolesResult> {
  validateRolePrefix(opts.prefix);
  const session = await ctx.vsphere();
  const plan = planDeleteRoles(await readAuthorization(session.client), opts.prefix);
  const result = (action: Action): DeleteRolesResult => ({
    dryRun: opts.dryRun,
    roles: plan.roles.map((r) => ({ name: r.name, permissions: r.permissions.length, action })),
  });
  if (opts.dryRun || plan.roles.length === 0) return result('would delete');
  if (!(await opts.confirm(plan))) throw new VkError('nothing deleted', { exitCode: 1 });
  await applyDeleteRoles(session.client, plan);
  return result('deleted');
}

/** One row per role (with the privileges added and removed) and per permission. */
export function rolesTable(r: CreateRolesResult): Table {
  const diff = (added: string[], removed: string[]) =>
    [...added.map((p) => `+${p}`), ...removed.map((p) => `-${p}`)].join(' ');
  return {
    columns: ['object', 'role', 'principal', 'action'],
    rows: [
      ...r.roles.map((role) => [
        '(role)',
        role.name,
        '',
        role.added.length || role.removed.length ? `${role.action} (${diff(role.added, role.removed)})` : role.action,
      ]),
      ...r.permissions.map((p) => [
        p.object,
        p.propagate ? `${p.role} (propagating)` : p.role,
        p.group ? `${p.principal} (group)` : p.principal,
        p.was ? `${p.action} (was ${p.was})` : p.action,
      ]),
    ],
  };
}
