import { randomBytes } from "node:crypto";
import { vezaTopology } from "@backflip/core/recipes";
import { type FakeForgejo, startFakeForgejo } from "@backflip/driver-forgejo/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { ForgejoEvent } from "../src/forgejo-event";
import { createForgejoPipeline } from "../src/forgejo-pipeline";
import { createForgejoRegistry } from "../src/forgejo-registry";
import { chunks, newSha } from "./helpers";

// Each test here failed before the fix it names: the driver classified Forgejo's real
// answers by texts and statuses Forgejo does not send.

let fake: FakeForgejo;
afterEach(async () => {
  await fake?.close();
});

const backend = () => ({ component: "backend", sha: newSha() });

async function registry(retry: { deadlineMs?: number } = {}) {
  fake = await startFakeForgejo();
  const events: ForgejoEvent[] = [];
  const port = createForgejoRegistry({
    baseUrl: fake.baseUrl,
    token: fake.token,
    topology: vezaTopology("staging"),
    retry: { baseDelayMs: 1, maxDelayMs: 5, ...retry },
    onEvent: (e) => events.push(e),
  })._unsafeUnwrap();
  return { port, events };
}

describe("403 package limit texts (services/packages/packages.go)", () => {
  const limits = [
    ["maximum allowed package type size exceeded", /LIMIT_SIZE_GENERIC/],
    ["maximum allowed package count exceeded", /LIMIT_TOTAL_OWNER_COUNT/],
    ["maximum allowed package storage quota exceeded", /LIMIT_TOTAL_OWNER_SIZE/],
  ] as const;
  for (const [text, hint] of limits) {
    it(`"${text}" is a quota failure with its own hint, not "check the token"`, async () => {
      const { port } = await registry();
      fake.injectFault({ method: "PUT", action: { kind: "status", status: 403, body: text } });
      const error = (await port.upload(backend(), { stream: chunks(randomBytes(10)) }))._unsafeUnwrapErr();
      expect(error.reason).toBe("failed");
      expect(error.message).toContain(text);
      expect(error.hint).toMatch(hint);
      expect(error.hint).not.toMatch(/check the token/);
    });
  }
});

describe("413 and names", () => {
  it("a 413 without Forgejo's quota text is a proxy's body limit", async () => {
    const { port } = await registry();
    fake.injectFault({
      method: "PUT",
      action: { kind: "status", status: 413, body: "<html><h1>413 Request Entity Too Large</h1></html>" },
    });
    const error = (await port.upload(backend(), { stream: chunks(randomBytes(10)) }))._unsafeUnwrapErr();
    expect(error.reason).toBe("failed");
    expect(error.hint).toMatch(/client_max_body_size/);
  });

  it("finds an artifact stored under another case, as Forgejo matches names (lower_name)", async () => {
    const { port } = await registry();
    const ref = backend();
    const put = await fetch(
      `${fake.baseUrl}/api/packages/talas/generic/VEZA-Backend/${ref.sha}/VEZA-backend-${ref.sha}.tar.zst`,
      { method: "PUT", headers: { authorization: `token ${fake.token}` }, body: "abc" },
    );
    expect(put.status).toBe(201);
    expect((await port.stat(ref))._unsafeUnwrap()).toMatchObject({ size: 3 });
    expect((await port.listVersions("backend"))._unsafeUnwrap().map((v) => v.version)).toEqual([ref.sha]);
  });
});

describe("the fake's own limits, end to end", () => {
  it("8.0.0's full storage (403) and 12.0.0's size limit (403) reach the caller as quota failures with their hints", async () => {
    fake = await startFakeForgejo({ version: "8.0.0", quotaBytes: 5 });
    const topology = vezaTopology("staging");
    const old = createForgejoRegistry({ baseUrl: fake.baseUrl, token: fake.token, topology })._unsafeUnwrap();
    (await old.upload(backend(), { stream: chunks(randomBytes(10)) }))._unsafeUnwrap();
    const full = (await old.upload(backend(), { stream: chunks(randomBytes(10)) }))._unsafeUnwrapErr();
    expect([full.reason, full.hint]).toEqual(["failed", expect.stringMatching(/LIMIT_TOTAL_OWNER_SIZE/)]);
    await fake.close();

    fake = await startFakeForgejo({ version: "12.0.0", limits: { typeSizeBytes: 5 } });
    const port = createForgejoRegistry({
      baseUrl: fake.baseUrl,
      token: fake.token,
      topology,
    })._unsafeUnwrap();
    const big = (await port.upload(backend(), { stream: chunks(randomBytes(10)) }))._unsafeUnwrapErr();
    expect([big.reason, big.hint]).toEqual(["failed", expect.stringMatching(/LIMIT_SIZE_GENERIC/)]);
  });
});

describe("500 on dispatch (unknown workflow or short ref, message blanked)", () => {
  it("is 'workflow or ref not found at <ref>, or server error', and never says a run may have started when none is listed", async () => {
    fake = await startFakeForgejo();
    const pipeline = createForgejoPipeline({
      baseUrl: fake.baseUrl,
      token: fake.token,
      owner: "talas",
      repo: "veza",
    })._unsafeUnwrap();
    fake.injectFault({
      method: "POST",
      path: "/dispatches",
      action: { kind: "status", status: 500, body: '{"message":"","url":"http://x/api/swagger"}' },
    });
    const error = (
      await pipeline.dispatch({ workflow: "rollback.yml", ref: "main", inputs: {} })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("not_found");
    expect(error.message).toMatch(/rollback\.yml or ref main not found.*, or a server error/);
    expect(error.hint).not.toMatch(/may have started a run/);
    expect(fake.runs).toHaveLength(0);
  });
});

describe("429 / 503 with Retry-After (a proxy in front of Forgejo)", () => {
  it("waits what Retry-After asks, then retries", async () => {
    const { port, events } = await registry();
    fake.injectFault({
      method: "GET",
      action: { kind: "status", status: 429, headers: { "retry-after": "1" } },
    });
    expect((await port.stat(backend()))._unsafeUnwrap()).toBeNull();
    const retries = events.filter((e) => e.type === "retry");
    expect(retries).toEqual([expect.objectContaining({ reason: "429", delayMs: 1_000 })]);
  });

  it("gives up at once when Retry-After is past the caller's deadline, saying so", async () => {
    const { port } = await registry({ deadlineMs: 2_000 });
    fake.injectFault({
      method: "GET",
      action: { kind: "status", status: 503, headers: { "retry-after": "120" } },
    });
    const error = (await port.stat(backend()))._unsafeUnwrapErr();
    expect(error.reason).toBe("unavailable");
    expect(error.message).toMatch(/Retry-After 120 s/);
    expect(error.details).toMatchObject({ attempts: 1, retryAfterMs: 120_000 });
    expect(fake.requests.filter((r) => r.method === "GET")).toHaveLength(1);
  });

  it("a follow polls no sooner than Retry-After, and stops when that is past its deadline", async () => {
    fake = await startFakeForgejo({ workflows: { "w.yml": { statuses: ["running"] } } });
    const pipeline = createForgejoPipeline({
      baseUrl: fake.baseUrl,
      token: fake.token,
      owner: "talas",
      repo: "veza",
    })._unsafeUnwrap();
    const run = (await pipeline.dispatch({ workflow: "w.yml", ref: "main", inputs: {} }))._unsafeUnwrap();
    const polls = () => fake.requests.filter((r) => r.path.endsWith(`/runs/${run.id}`)).length;
    const before = polls();
    fake.injectFault({
      method: "GET",
      path: `/runs/${run.id}`,
      times: 100,
      action: { kind: "status", status: 429, headers: { "retry-after": "60" } },
    });
    const error = (await pipeline.follow(run.id, { deadlineMs: 5_000, pollMs: 1 }))._unsafeUnwrapErr();
    expect(error.reason).toBe("timeout");
    expect(error.message).toMatch(/Retry-After 60 s/);
    expect(polls() - before).toBe(1);
  });
});
