import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import type { DriverError } from "@backflip/core";
import { vezaTopology } from "@backflip/core/recipes";
import { startFakeForgejo } from "@backflip/driver-forgejo/testing";
import type { Result } from "neverthrow";
import { describe, expect, it, onTestFinished } from "vitest";
import type { ForgejoEvent } from "../src/forgejo-event";
import { createForgejoPipeline } from "../src/forgejo-pipeline";
import { createForgejoRegistry } from "../src/forgejo-registry";
import { chunks, newSha } from "./helpers";

const CANARY = "CANARY-tok-3f9a1c7e5b2d4a6f8e0c";
const READONLY = `${CANARY}-readonly`;
const UNKNOWN = `${CANARY}-unknown`;

describe("the token never leaks", () => {
  it("appears in no error (message, hint, details, cause) and no event, on every error path", async () => {
    const fake = await startFakeForgejo({
      echoAuthorization: true,
      redirectDownloads: true,
      quotaBytes: 40,
      tokens: { [CANARY]: {}, [READONLY]: { scopes: ["read:package", "read:repository"] } },
      workflows: {
        "w.yml": { statuses: ["running"], requiredInputs: ["env"] },
        "ok.yml": { statuses: ["success"] },
      },
      cancelEndpoint: false,
    });
    const dir = await mkdtemp(join(tmpdir(), "canary-"));
    onTestFinished(async () => {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    });
    const events: ForgejoEvent[] = [];
    const errors: DriverError[] = [];
    const base = {
      baseUrl: fake.baseUrl,
      topology: vezaTopology("staging"),
      repo: "veza",
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      runLookupTimeoutMs: 20,
      onEvent: (e: ForgejoEvent) => events.push(e),
    };
    const registry = createForgejoRegistry({ ...base, token: CANARY })._unsafeUnwrap();
    const readonly = createForgejoRegistry({ ...base, token: READONLY })._unsafeUnwrap();
    const stranger = createForgejoRegistry({ ...base, token: UNKNOWN })._unsafeUnwrap();
    const pipeline = createForgejoPipeline({ ...base, token: CANARY })._unsafeUnwrap();
    const readonlyPipeline = createForgejoPipeline({ ...base, token: READONLY })._unsafeUnwrap();
    const strangerPipeline = createForgejoPipeline({ ...base, token: UNKNOWN })._unsafeUnwrap();
    const closed = await startFakeForgejo();
    await closed.close();
    const unreachable = createForgejoRegistry({
      ...base,
      baseUrl: closed.baseUrl,
      token: CANARY,
    })._unsafeUnwrap();
    const collect = async <T>(p: PromiseLike<Result<T, DriverError>>) => {
      const r = await p;
      if (r.isErr()) errors.push(r.error);
    };
    const ref = (sha = newSha()) => ({ component: "backend", sha });

    const sha = newSha();
    await collect(registry.upload(ref(sha), { stream: chunks(randomBytes(30)) }));
    await collect(registry.upload(ref(sha), { stream: chunks(randomBytes(30)) })); // 409 conflict
    await collect(registry.upload(ref(), { stream: chunks(randomBytes(30)) })); // fills the quota
    await collect(registry.upload(ref(), { stream: chunks(randomBytes(30)) })); // 413 quota
    await collect(readonly.upload(ref(), { stream: chunks(randomBytes(4)) })); // 401
    await collect(stranger.stat(ref())); // 401 invalid token
    await collect(stranger.listVersions("backend"));
    await collect(stranger.download(ref(sha), join(dir, "x")));
    await collect(registry.download(ref(), join(dir, "y"))); // not found
    await fake.corrupt("talas", "veza-backend", sha, `veza-backend-${sha}.tar.zst`);
    await collect(registry.download(ref(sha), join(dir, "z"))); // mismatch via storage redirect
    await collect(registry.download(ref(sha), join(dir, "no-such-dir", "z"))); // local write error
    await collect(registry.delete(ref())); // 404
    await collect(readonly.deleteVersion(ref(sha))); // 401
    fake.injectFault({ method: "GET", times: 2, action: { kind: "status", status: 503 } });
    await collect(registry.listVersions("backend")); // 5xx after retries
    fake.injectFault({ method: "GET", times: 2, action: { kind: "reset" } });
    await collect(registry.stat(ref())); // resets
    fake.injectFault({ method: "PUT", action: { kind: "reset" } });
    await collect(registry.upload(ref(), { stream: chunks(randomBytes(4)) }));
    await collect(unreachable.stat(ref())); // ECONNREFUSED
    await collect(registry.upload(ref("BAD"), { path: "/nope" })); // invalid input
    await collect(registry.upload(ref(), { path: join(dir, "missing-file") }));
    await collect(pipeline.dispatch({ workflow: "w.yml", ref: "main", inputs: {} })); // 400 required input
    await collect(pipeline.dispatch({ workflow: "missing.yml", ref: "main", inputs: { env: "x" } })); // 404
    await collect(readonlyPipeline.dispatch({ workflow: "w.yml", ref: "main", inputs: { env: "x" } })); // 403
    await collect(strangerPipeline.getRun(1)); // 401
    const run = (
      await pipeline.dispatch({ workflow: "w.yml", ref: "main", inputs: { env: "x" } })
    )._unsafeUnwrap();
    await collect(pipeline.follow(run.id, { deadlineMs: 5, pollMs: 1 })); // timeout
    await collect(pipeline.cancel(run.id)); // unsupported
    await collect(pipeline.getRun(123_456)); // 404
    fake.injectFault({ method: "POST", action: { kind: "status", status: 500 } });
    await collect(pipeline.dispatch({ workflow: "ok.yml", ref: "main", inputs: {} }));
    errors.push(createForgejoRegistry({ ...base, token: `${CANARY} with space` })._unsafeUnwrapErr());
    errors.push(
      createForgejoRegistry({
        ...base,
        token: CANARY,
        baseUrl: `https://user:${CANARY}@x.example`,
      })._unsafeUnwrapErr(),
    );

    expect(errors.length).toBeGreaterThanOrEqual(26);
    expect(new Set(errors.map((e) => e.reason))).toEqual(
      new Set([
        "conflict",
        "failed",
        "unauthorized",
        "not_found",
        "unavailable",
        "invalid_input",
        "timeout",
        "unsupported",
      ]),
    );
    // the hostile server really did echo the header, so redaction was exercised
    expect(errors.some((e) => e.message.includes("received Authorization: token [redacted]"))).toBe(true);
    for (const error of errors) {
      expect(JSON.stringify(error)).not.toContain(CANARY);
      expect(inspect(error, { depth: 20, showHidden: true })).not.toContain(CANARY);
    }
    expect(events.length).toBeGreaterThan(30);
    expect(JSON.stringify(events)).not.toContain(CANARY);
    expect(JSON.stringify(fake.requests)).not.toContain(CANARY);
  });
});
