/**
 * A **fake** Forgejo for tests and benchmarks — not Forgejo. It listens on 127.0.0.1
 * (port 0) and models the documented behaviours of Forgejo's generic package registry and
 * Actions API as Forgejo 8 → 16 and Gitea 1.22 behave (`version`; PROTOCOLS.md §1–2):
 * name rules, 201/204/404/409 (or old Gitea's 400), 401s and their headers, plain-text
 * package errors and `{message}` JSON API errors, paging headers, redirects to a second
 * storage origin, dispatch answering 201 or 204 (500 for an unknown workflow), runs or
 * tasks listings, scripted run statuses, keep-N cleanup rules, and fault injection.
 * @module \@backflip/driver-forgejo/testing
 */

export type { FakeRun, FakeWorkflow } from "./fake-actions";
export type { FakePackageLimits, FakeScope, FakeToken } from "./fake-context";
export type { FakeFault } from "./fake-fault";
export type { FakeForgejo, FakeForgejoOptions, FakeRequestRecord } from "./fake-forgejo";
export { startFakeForgejo } from "./fake-forgejo";
export type { FakeCleanupRule, FakeDigest, FakeStoredFile } from "./fake-package-store";
export type { FakeForgejoVersion, FakeVersionProfile } from "./fake-version";
export { DEFAULT_FAKE_VERSION, FAKE_FORGEJO_VERSIONS, fakeVersionProfile } from "./fake-version";
