// The vim25 client's bounds, named once.

/**
 * How deep vk follows anything that nests: a managed object's parent chain
 * (inventory paths, a datastore's datacenter), a fault's faultCause chain,
 * and the elements of one SOAP answer. vCenter's inventory and data objects
 * nest far less; the bound only stops a cycle or a malformed answer.
 */
export const MAX_DEPTH = 64;

/**
 * HTTP connections open at once to one vCenter (undici's per-origin pool).
 * More concurrent requests than this — prepare-vms --concurrency goes up to
 * 64 — wait in the pool's queue for a free connection rather than fail, so
 * the flag bounds how many tasks are in flight, not how many sockets vk
 * opens. vCenter's reverse proxy limits connections per client, and a
 * queued request still has its own --request-timeout (the wait counts).
 */
export const MAX_CONNECTIONS = 16;
