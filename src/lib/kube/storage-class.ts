// What makes a StorageClass the cluster's default: the one predicate every
// command uses (smoke-test, storageclass, doctor), so they cannot disagree.

/** The annotation `vk storageclass create --default` sets. */
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
/** The pre-GA spelling; the DefaultStorageClass admission plugin still honours it. */
export const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

interface Annotated {
  metadata?: { annotations?: Record<string, string> };
}

/**
 * Whether the admission plugin treats the class as a default: either
 * annotation is exactly "true" (as Kubernetes' IsDefaultAnnotation reads
 * them; "True" or "yes" do not count).
 */
export function isDefaultStorageClass(sc: Annotated): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}
