// The validation kube-apiserver applies that vk and its tests can observe:
// names, node taints, PVC requests. Messages follow pkg/apis/core/validation.
import type { ResourceType } from './registry.js';
import { duplicate, invalid, invalidObject, notSupported, required, type FieldError } from './status.js';
import type { KubeObject } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** Kinds whose names must be DNS-1123 labels; the rest are subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

/** RBAC kinds only need a valid path segment (system:cloud-controller-manager), as in the real API server. */
const PATH_SEGMENT_NAMED = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

interface Taint {
  key?: string;
  value?: string;
  effect?: string;
  timeAdded?: string;
}

function validateName(r: ResourceType, name: string | undefined): FieldError[] {
  if (!name) return [required('metadata.name', 'name or generateName is required')];
  if (PATH_SEGMENT_NAMED.has(r.kind)) {
    if (name === '.' || name === '..' || /[/%]/.test(name)) {
      return [invalid('metadata.name', name, 'may not be "." or ".." and may not contain "/" or "%"')];
    }
  } else if (LABEL_NAMED.has(r.kind)) {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) return [invalid('metadata.name', name, LABEL_MSG)];
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [invalid('metadata.name', name, SUBDOMAIN_MSG)];
  }
  return [];
}

function validateTaints(taints: unknown): FieldError[] {
  if (!Array.isArray(taints)) return [];
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  (taints as Taint[]).forEach((t, i) => {
    const path = `spec.taints[${i}]`;
    if (!t.key) errors.push(required(`${path}.key`));
    if (!t.effect) errors.push(required(`${path}.effect`));
    else if (!TAINT_EFFECTS.includes(t.effect)) errors.push(notSupported(`${path}.effect`, t.effect, TAINT_EFFECTS));
    const id = `${t.key}\u0000${t.effect}`;
    if (seen.has(id)) {
      const shown = `core.Taint{Key:${JSON.stringify(t.key ?? '')}, Value:${JSON.stringify(t.value ?? '')}, Effect:${JSON.stringify(t.effect ?? '')}, TimeAdded:<nil>}`;
      errors.push(duplicate(path, shown, 'taints must be unique by key and effect pair'));
    }
    seen.add(id);
  });
  return errors;
}

function validatePvc(obj: KubeObject): FieldError[] {
  const spec = (obj.spec ?? {}) as {
    accessModes?: string[];
    resources?: { requests?: Record<string, string> };
  };
  const errors: FieldError[] = [];
  if (!spec.accessModes?.length) errors.push(required('spec.accessModes', 'at least 1 access mode is required'));
  if (!spec.resources?.requests?.storage) errors.push(required('spec.resources[storage]'));
  return errors;
}

/** Throws 422 Invalid when the object would be rejected by the real server. */
export function validate(r: ResourceType, obj: KubeObject): void {
  const errors = [...validateName(r, obj.metadata.name)];
  if (r.kind === 'Node') errors.push(...validateTaints((obj.spec as { taints?: unknown } | undefined)?.taints));
  if (r.kind === 'PersistentVolumeClaim') errors.push(...validatePvc(obj));
  if (errors.length) throw invalidObject(r.group, r.kind, obj.metadata.name ?? '', errors);
}
