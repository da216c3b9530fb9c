// vCenter faults and transport failures as typed VkErrors with one line a
// user can act on. SOAP faults are translated once, here; commands never
// look at fault XML.

import { VkError } from '../../core/errors.js';
import { decodeValue } from './decode.js';
import { MAX_DEPTH } from './limits.js';
import { children, elements, localName, tagOf, textOf, type XmlNode } from './xml.js';
import type { LocalizedMethodFault, MethodFault, MissingProperty, MoRef } from '../types.js';

/** A SOAP fault from vCenter. `faultType` is the vim25 fault name (InvalidLogin, NoPermission…). */
export class VimFault extends VkError {
  readonly faultType: string;
  readonly fault: MethodFault;
  /** vCenter's own message (SOAP faultstring / localizedMessage). */
  readonly vimMessage: string;
  readonly method: string;

  constructor(message: string, init: { fault: MethodFault; vimMessage: string; method: string; hint?: string }) {
    super(message, { hint: init.hint });
    this.name = 'VimFault';
    this.fault = init.fault;
    this.faultType = init.fault._type ?? 'MethodFault';
    this.vimMessage = init.vimMessage;
    this.method = init.method;
  }
}

export class InvalidLoginError extends VimFault {
  override readonly name = 'InvalidLoginError';
}
export class NotAuthenticatedError extends VimFault {
  override readonly name = 'NotAuthenticatedError';
}
export class NoPermissionError extends VimFault {
  override readonly name = 'NoPermissionError';
  get privileges(): string[] {
    return privilegesOf(this.fault);
  }
  get object(): MoRef | undefined {
    return this.fault.object as MoRef | undefined;
  }
}
export class ManagedObjectNotFoundError extends VimFault {
  override readonly name = 'ManagedObjectNotFoundError';
}
export class InvalidArgumentError extends VimFault {
  override readonly name = 'InvalidArgumentError';
}

/**
 * The fault of one of `types` in a fault chain, as govmomi's fault.As finds
 * one: the fault itself, then its faultCause, that cause's cause… (at most
 * MAX_DEPTH links). `from` is a VimFault, a LocalizedMethodFault (a task's
 * error, a missingSet entry's fault) or a MethodFault; anything else has
 * none. Types match exactly: a NotAuthenticated is not a NoPermission here.
 */
export function findFault(from: unknown, ...types: string[]): MethodFault | undefined {
  let fault = from instanceof VimFault ? from.fault : methodFaultOf(from);
  for (let depth = 0; fault && depth < MAX_DEPTH; depth++) {
    if (fault._type !== undefined && types.includes(fault._type)) return fault;
    fault = methodFaultOf(fault.faultCause);
  }
  return undefined;
}

/** The MethodFault of a LocalizedMethodFault, or the value itself when it is one. */
function methodFaultOf(v: unknown): MethodFault | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { _type?: unknown; fault?: unknown };
  if (typeof o._type === 'string' && o._type !== 'LocalizedMethodFault') return o as MethodFault;
  return typeof o.fault === 'object' && o.fault !== null ? (o.fault as MethodFault) : undefined;
}

/** The server could not be reached or the connection failed. */
export class ConnectionError extends VkError {
  /**
   * Why, as Node or undici names it (ECONNREFUSED, ENOTFOUND, EPROTO,
   * UND_ERR_SOCKET…, ETIMEDOUT for no answer in time); for a certificate
   * not trusted, TLS's verification code (DEPTH_ZERO_SELF_SIGNED_CERT…) or
   * THUMBPRINT_MISMATCH.
   */
  readonly code?: string;
  constructor(message: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(message, options);
    this.name = 'ConnectionError';
    this.code = options.code;
  }
}

/**
 * vCenter answered with an HTTP status that carries no SOAP fault: a 404
 * for a wrong path or a service it does not have, a 503 from its proxy when
 * the service behind is down, a 401/403 from the proxy.
 */
export class HttpError extends VkError {
  readonly status: number;
  /** The SOAP method or request that got the status. */
  readonly method: string;
  constructor(message: string, init: { status: number; method: string; hint?: string }) {
    super(message, { hint: init.hint });
    this.name = 'HttpError';
    this.status = init.status;
    this.method = init.method;
  }
}

/** The server's certificate is not trusted; carries its thumbprint so the user can pin it. */
export class TlsVerificationError extends ConnectionError {
  readonly sha256: string;
  constructor(message: string, sha256: string, options: { hint?: string; cause?: unknown; code?: string } = {}) {
    super(message, options);
    this.name = 'TlsVerificationError';
    this.sha256 = sha256;
  }
}

export function refText(ref: MoRef | undefined): string {
  return ref ? `${ref.type} "${ref.value}"` : 'an object';
}

/** The privileges a NoPermission fault says are missing. */
export function privilegesOf(fault: MethodFault): string[] {
  const out = new Set<string>();
  if (typeof fault.privilegeId === 'string' && fault.privilegeId) out.add(fault.privilegeId);
  // NoPermissionEntityPrivileges[] (vSphere 7.0.3+): the privileges missing per entity.
  const missing = fault.missingPrivileges as Array<{ privilegeIds?: string[] }> | undefined;
  for (const m of missing ?? []) for (const p of m.privilegeIds ?? []) if (p) out.add(p);
  return [...out];
}

/** Reads the SOAP Fault element of a response body. */
export function parseSoapFault(faultNode: XmlNode): { fault: MethodFault; message: string } {
  const message = textOf(children(faultNode, 'faultstring')[0]).trim();
  const detail = children(faultNode, 'detail')[0];
  let fault: MethodFault = { _type: 'MethodFault' };
  const first = elements(detail)[0];
  if (first) {
    fault = (decodeValue(first, 'MethodFault') as MethodFault) ?? fault;
    if (typeof fault !== 'object') fault = {};
    fault._type ??= localName(tagOf(first)!).replace(/Fault$/, '');
  }
  return { fault, message };
}

/** The most useful message of a LocalizedMethodFault (as found in TaskInfo.error). */
export function localizedFaultMessage(f: LocalizedMethodFault | undefined): string {
  if (!f) return 'unknown error';
  const msg = f.localizedMessage?.trim();
  if (msg) return msg;
  const fm = f.fault.faultMessage?.map((m) => m.message).filter(Boolean);
  if (fm && fm.length) return fm.join('; ');
  return f.fault._type ?? 'unknown error';
}

/** Builds the typed error for a fault raised by `method`. */
export function faultError(method: string, fault: MethodFault, vimMessage: string): VimFault {
  const init = { fault, vimMessage, method };
  const said = vimMessage ? `: ${vimMessage}` : '';
  switch (fault._type) {
    case 'InvalidLogin':
      return new InvalidLoginError(`cannot log in${said}`, init);
    case 'NotAuthenticated':
      return new NotAuthenticatedError(`vCenter session is not authenticated (${method})${said}`, {
        ...init,
        hint: 'log in again; if this repeats, remove the saved session or pass --persist-session=false',
      });
    case 'NoPermission': {
      const privileges = privilegesOf(fault);
      const what = privileges.length ? `privilege ${privileges.join(', ')}` : 'a privilege';
      return new NoPermissionError(
        `permission denied: ${method} needs ${what} on ${refText(fault.object as MoRef | undefined)}`,
        { ...init, hint: 'ask a vCenter administrator to grant it to this user, or use an account that has it' },
      );
    }
    case 'ManagedObjectNotFound':
      return new ManagedObjectNotFoundError(
        `${refText(fault.obj as MoRef | undefined)} no longer exists in vCenter (${method})`,
        init,
      );
    case 'InvalidArgument': {
      const prop = typeof fault.invalidProperty === 'string' ? fault.invalidProperty : undefined;
      return new InvalidArgumentError(
        `vCenter rejected ${method}: invalid argument${prop ? ` "${prop}"` : ''}${said}`,
        init,
      );
    }
    default:
      return new VimFault(`${method} failed: ${vimMessage || fault._type || 'unknown fault'}`, init);
  }
}

/**
 * A property the PropertyCollector could not return for an object (its
 * missingSet): never "unset". Names the property, the object and, for
 * NoPermission, the privilege.
 */
export class UnreadablePropertyError extends VkError {
  readonly obj: MoRef;
  readonly path: string;
  readonly faultType: string;
  readonly privileges: string[];

  constructor(obj: MoRef, missing: MissingProperty, objectName?: string) {
    const fault = missing.fault?.fault ?? {};
    const faultType = fault._type ?? 'MethodFault';
    const denied = findFault(missing.fault, 'NoPermission');
    const privileges = denied ? privilegesOf(denied) : [];
    const what = objectName ? `${obj.type} "${objectName}" (${obj.value})` : refText(obj);
    const why = denied
      ? `permission denied, needs privilege ${privileges.length ? privileges.join(', ') : '(not named by vCenter)'}`
      : `${faultType}: ${localizedFaultMessage(missing.fault)}`;
    super(`cannot read ${missing.path} of ${what}: ${why}`, {
      hint: denied
        ? 'grant the privilege to this user on the object (vk roles create does), or use an account that has it'
        : undefined,
    });
    this.name = 'UnreadablePropertyError';
    this.obj = obj;
    this.path = missing.path;
    this.faultType = faultType;
    this.privileges = privileges;
  }
}
