// Checks shared by the CPI and CSI generators: what the drivers (or the
// Kubernetes API) would refuse or read differently, rejected before anything
// is written, one line each.

import { UsageError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const secretKey = /^[-._a-zA-Z0-9]+$/;

export function validateNamespace(ns: string, flag: string): void {
  if (ns.length > 63 || !dnsLabel.test(ns)) {
    throw new UsageError(`${flag} ${JSON.stringify(ns)} is not a valid namespace name (lower-case DNS label)`);
  }
}

export function validateObjectName(name: string, flag: string): void {
  if (name.length > 253 || !dnsSubdomain.test(name)) {
    throw new UsageError(`${flag} ${JSON.stringify(name)} is not a valid object name (lower-case DNS subdomain)`);
  }
}

/** A Secret data key, as the API server validates it. */
export function validateSecretKey(key: string, why: string): void {
  if (key.length > 253 || !secretKey.test(key)) {
    throw new UsageError(`Secret key ${JSON.stringify(key)} is invalid (only letters, digits, '-', '_', '.'); ${why}`);
  }
}

/**
 * Names the drivers keep in comma-separated lists (datacenters, file-share
 * clusters, topology categories): both split on "," without any quoting.
 */
export function validateListItems(items: readonly string[], flag: string): void {
  for (const item of items) {
    if (item === '') throw new UsageError(`${flag} is empty`);
    if (item.includes(',')) {
      throw new UsageError(
        `${flag} ${JSON.stringify(item)} contains a comma, which the drivers read as a list separator`,
      );
    }
    if (/[\r\n\0]/.test(item)) throw new UsageError(`${flag} ${JSON.stringify(item)} contains a line break or NUL`);
  }
}

export function validatePassword(password: Secret | undefined, flag: string): asserts password is Secret {
  if (!password || password.isEmpty) throw new UsageError(`the password is empty; set ${flag}`);
}
