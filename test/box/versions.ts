// The releases the box runs, in one place. The Go modules under test/box/*
// pin the same versions in their go.mod; test/box-versions.test.ts checks
// that they agree, and that the Kubernetes minor is the newest one vk's
// compatibility table supports.
export const KUBERNETES_VERSION = 'v1.36.3';
export const KWOK_VERSION = 'v0.8.0';
