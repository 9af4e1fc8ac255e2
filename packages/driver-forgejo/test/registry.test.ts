import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { chunks, newSha, type RegistryRig, registryRig, sha256 } from "./helpers";

let rig: RegistryRig;
afterEach(async () => {
  await rig?.close();
});

const backend = (sha: string) => ({ component: "backend", sha });

describe("download", () => {
  it("follows a redirect to the storage origin without sending the token there", async () => {
    rig = await registryRig({ redirectDownloads: true, redirectStatus: 302 });
    const bytes = randomBytes(100_000);
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(bytes) }))._unsafeUnwrap();
    const dest = join(rig.dir, "a.tar.zst");
    (await rig.registry.download(backend(sha), dest))._unsafeUnwrap();
    expect(Buffer.compare(await readFile(dest), bytes)).toBe(0);
    const storage = rig.fake.requests.filter((r) => r.origin === "storage");
    expect(storage).toHaveLength(1);
    expect(storage[0]?.authorization).toBe(false);
    expect(storage[0]?.status).toBe(200);
    expect(rig.fake.requests.filter((r) => r.origin === "api").every((r) => r.authorization)).toBe(true);
    expect(rig.events).toContainEqual(expect.objectContaining({ type: "redirect", crossOrigin: true }));
  });

  it("a checksum mismatch is `failed`, names both digests and keeps nothing (not even an old partial)", async () => {
    rig = await registryRig({ redirectDownloads: true });
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(50_000)) }))._unsafeUnwrap();
    await rig.fake.corrupt("talas", "veza-backend", sha, rig.file(sha));
    const error = (await rig.registry.download(backend(sha), join(rig.dir, "x.tar.zst")))._unsafeUnwrapErr();
    expect(error.reason).toBe("failed");
    expect(error.message).toContain("checksum mismatch");
    expect(error.details).toMatchObject({ expectedSize: 50_000, actualSize: 50_000 });
    expect(error.hint).toMatch(/do not deploy/);
    expect(await readdir(rig.dir)).toEqual([]);
    expect(rig.count("GET", `/${rig.file(sha)}`)).toBe(1);
  });

  it("leaves an existing destination untouched when the download fails", async () => {
    rig = await registryRig();
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(10_000)) }))._unsafeUnwrap();
    await rig.fake.corrupt("talas", "veza-backend", sha, rig.file(sha));
    const dest = join(rig.dir, "keep.bin");
    await writeFile(dest, "previous");
    expect((await rig.registry.download(backend(sha), dest)).isErr()).toBe(true);
    expect(await readFile(dest, "utf8")).toBe("previous");
    expect(await readdir(rig.dir)).toEqual(["keep.bin"]);
  });

  it("retries a download cut mid-body and a 503, then verifies", async () => {
    rig = await registryRig();
    const bytes = randomBytes(3_000_000);
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(bytes) }))._unsafeUnwrap();
    rig.fake.injectFault({
      method: "GET",
      path: rig.file(sha),
      action: { kind: "reset", afterBytes: 1_000_000 },
    });
    rig.fake.injectFault({ method: "GET", path: rig.file(sha), action: { kind: "status", status: 503 } });
    const dest = join(rig.dir, "retried.bin");
    (await rig.registry.download(backend(sha), dest))._unsafeUnwrap();
    expect(sha256(await readFile(dest))).toBe(sha256(bytes));
    expect(rig.count("GET", `/${rig.file(sha)}`)).toBe(3);
    expect(rig.events.filter((e) => e.type === "retry")).toHaveLength(2);
    expect(await readdir(rig.dir)).toEqual(["retried.bin"]);
  });

  it("a body that stalls past bodyTimeoutMs is a timeout once retries run out", async () => {
    rig = await registryRig(
      {},
      { bodyTimeoutMs: 100, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } },
    );
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(64_000)) }))._unsafeUnwrap();
    const slow = { kind: "slow", delayMs: 1_000, chunkBytes: 16_000 } as const;
    rig.fake.injectFault({ method: "GET", path: rig.file(sha), times: 2, action: slow });
    const error = (await rig.registry.download(backend(sha), join(rig.dir, "slow.bin")))._unsafeUnwrapErr();
    expect(error.reason).toBe("timeout");
    expect(error.details).toMatchObject({ attempts: 2, code: "UND_ERR_BODY_TIMEOUT" });
    expect(await readdir(rig.dir)).toEqual([]);
  });
});

describe("upload", () => {
  it("streams from a file with Content-Length and reports the sha256", async () => {
    rig = await registryRig();
    const bytes = randomBytes(2_500_000);
    const path = join(rig.dir, "artifact.tar.zst");
    await writeFile(path, bytes);
    const sha = newSha();
    const info = (await rig.registry.upload(backend(sha), { path }))._unsafeUnwrap();
    expect(info).toEqual({
      component: "backend",
      sha,
      package: "veza-backend",
      version: sha,
      file: rig.file(sha),
      size: bytes.length,
      sha256: sha256(bytes),
    });
    expect(rig.fake.storedFile("talas", "veza-backend", sha, rig.file(sha))?.digests.sha256).toBe(
      sha256(bytes),
    );
  });

  it("409 with the same bytes is success; with other bytes is conflict naming both digests", async () => {
    rig = await registryRig();
    const bytes = randomBytes(5_000);
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(bytes) }))._unsafeUnwrap();
    expect((await rig.registry.upload(backend(sha), { stream: chunks(bytes) })).isOk()).toBe(true);
    const other = randomBytes(5_000);
    const error = (await rig.registry.upload(backend(sha), { stream: chunks(other) }))._unsafeUnwrapErr();
    expect(error.reason).toBe("conflict");
    expect(error.message).toContain(sha256(bytes));
    expect(error.message).toContain(sha256(other));
    expect(error.message).toContain("package file already exists");
    expect(error.details).toMatchObject({ status: 409 });
    expect(rig.count("PUT")).toBe(3);
  });

  it("older Gitea's 400 'already exists' is a conflict too", async () => {
    rig = await registryRig({ duplicateStatus: 400 });
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(100)) }))._unsafeUnwrap();
    const error = (
      await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(100)) })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("conflict");
    expect(error.details).toMatchObject({ status: 400 });
  });

  it("maps 401 (with WWW-Authenticate), 413 and 403 quota with the server's text, without retrying", async () => {
    rig = await registryRig(
      { tokens: { reader: { scopes: ["read:package"] }, writer: {} } },
      { token: "reader" },
    );
    const denied = (
      await rig.registry.upload(backend(newSha()), { stream: chunks(randomBytes(10)) })
    )._unsafeUnwrapErr();
    expect(denied.reason).toBe("unauthorized");
    expect(denied.message).toContain("401");
    expect(denied.message).toContain("user should have specific permission");
    expect(denied.hint).toMatch(/write:package/);
    expect(rig.count("PUT")).toBe(1);
    await rig.close();

    for (const quotaStatus of [413, 403] as const) {
      rig = await registryRig({ quotaBytes: 10, quotaStatus });
      (await rig.registry.upload(backend(newSha()), { stream: chunks(randomBytes(20)) }))._unsafeUnwrap();
      const full = (
        await rig.registry.upload(backend(newSha()), { stream: chunks(randomBytes(20)) })
      )._unsafeUnwrapErr();
      expect(full.reason).toBe("failed");
      expect(full.message).toContain(
        quotaStatus === 413 ? "413: quota exceeded" : "403: maximum allowed package storage quota exceeded",
      );
      expect(full.hint).toMatch(/delete old versions/);
      expect(rig.count("PUT")).toBe(2);
      if (quotaStatus === 413) await rig.close();
    }
  });

  it("a 403 that is not about quota is unauthorized", async () => {
    rig = await registryRig();
    rig.fake.injectFault({
      method: "GET",
      action: { kind: "status", status: 403, body: "public-only token" },
    });
    const error = (await rig.registry.stat(backend(newSha())))._unsafeUnwrapErr();
    expect(error.reason).toBe("unauthorized");
    expect(error.message).toContain("public-only token");
    expect(rig.count("GET")).toBe(1);
  });

  it("after a 500 once the server stored it, stat shows the same digest: success, one PUT", async () => {
    rig = await registryRig();
    const bytes = randomBytes(200_000);
    const sha = newSha();
    rig.fake.injectFault({ method: "PUT", phase: "after", action: { kind: "status", status: 500 } });
    const info = (await rig.registry.upload(backend(sha), { stream: chunks(bytes) }))._unsafeUnwrap();
    expect(info.sha256).toBe(sha256(bytes));
    expect(rig.count("PUT")).toBe(1);
  });

  it("after a reset once the server stored it: success, one PUT", async () => {
    rig = await registryRig();
    const bytes = randomBytes(200_000);
    const path = join(rig.dir, "a.bin");
    await writeFile(path, bytes);
    rig.fake.injectFault({ method: "PUT", phase: "after", action: { kind: "reset" } });
    const info = (await rig.registry.upload(backend(newSha()), { path }))._unsafeUnwrap();
    expect(info.sha256).toBe(sha256(bytes));
    expect(rig.count("PUT")).toBe(1);
  });

  it("a file upload that the server never stored (503, reset) is retried", async () => {
    rig = await registryRig();
    const bytes = randomBytes(300_000);
    const path = join(rig.dir, "a.bin");
    await writeFile(path, bytes);
    rig.fake.injectFault({ method: "PUT", action: { kind: "status", status: 503 } });
    rig.fake.injectFault({ method: "PUT", action: { kind: "reset" } });
    const sha = newSha();
    const info = (await rig.registry.upload(backend(sha), { path }))._unsafeUnwrap();
    expect(info.sha256).toBe(sha256(bytes));
    expect(rig.count("PUT")).toBe(3);
    expect(rig.fake.storedFile("talas", "veza-backend", sha, rig.file(sha))?.size).toBe(bytes.length);
  });

  it("a stream upload the server never stored is not replayed: error says nothing was stored", async () => {
    rig = await registryRig();
    rig.fake.injectFault({ method: "PUT", action: { kind: "status", status: 503 } });
    const sha = newSha();
    const error = (
      await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(100_000)) })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("unavailable");
    expect(error.message).toContain("nothing was stored");
    expect(error.hint).toMatch(/stream cannot be sent twice/);
    expect(rig.count("PUT")).toBe(1);
    expect(rig.fake.storedFile("talas", "veza-backend", sha, rig.file(sha))).toBeUndefined();
  });

  it("a source stream that throws is `failed` and is not retried", async () => {
    rig = await registryRig();
    async function* broken() {
      yield new Uint8Array(1_000);
      throw new Error("disk read error");
    }
    const error = (await rig.registry.upload(backend(newSha()), { stream: broken() }))._unsafeUnwrapErr();
    expect(error.reason).toBe("failed");
    expect(error.message).toContain("disk read error");
    expect(rig.count("PUT")).toBeLessThanOrEqual(1);
  });

  it("a 400 from the server is invalid_input and not retried", async () => {
    rig = await registryRig();
    rig.fake.injectFault({
      method: "PUT",
      action: { kind: "status", status: 400, body: "package version is invalid" },
    });
    const error = (
      await rig.registry.upload(backend(newSha()), { stream: chunks(randomBytes(10)) })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.message).toContain("package version is invalid");
    expect(rig.count("PUT")).toBe(1);
  });
});

describe("idempotent requests", () => {
  it("GET retries on 5xx and resets, never on a 4xx other than 429", async () => {
    rig = await registryRig();
    rig.fake.injectFault({ method: "GET", action: { kind: "status", status: 502 } });
    rig.fake.injectFault({ method: "GET", action: { kind: "reset" } });
    expect((await rig.registry.stat(backend(newSha())))._unsafeUnwrap()).toBeNull();
    expect(rig.count("GET")).toBe(3);
    rig.fake.injectFault({ method: "GET", action: { kind: "status", status: 400 } });
    expect((await rig.registry.listVersions("backend"))._unsafeUnwrapErr().details).toMatchObject({
      status: 400,
      attempts: 1,
    });
    expect(rig.count("GET")).toBe(4);
  });

  it("stops retrying at the deadline", async () => {
    rig = await registryRig(
      {},
      { retry: { attempts: 20, baseDelayMs: 40, maxDelayMs: 40, deadlineMs: 150 } },
    );
    rig.fake.injectFault({ method: "GET", times: 100, action: { kind: "status", status: 503 } });
    const error = (await rig.registry.listVersions("backend"))._unsafeUnwrapErr();
    expect(error.reason).toBe("unavailable");
    expect(error.details).toMatchObject({ deadlineMs: 150 });
    expect(rig.count("GET")).toBeLessThan(20);
  });

  it("a DELETE retried after a lost answer treats 404 as done", async () => {
    rig = await registryRig();
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(10)) }))._unsafeUnwrap();
    rig.fake.injectFault({ method: "DELETE", phase: "after", action: { kind: "reset" } });
    (await rig.registry.delete(backend(sha)))._unsafeUnwrap();
    expect(rig.count("DELETE")).toBe(2);
    expect((await rig.registry.delete(backend(sha)))._unsafeUnwrapErr().reason).toBe("not_found");
  });
});

describe("listing", () => {
  for (const sizeKey of ["size", "Size"] as const) {
    it(`follows every page (Link / X-Total-Count) and reads \`${sizeKey}\``, async () => {
      rig = await registryRig({ sizeKey, maxPageSize: 3 });
      const shas = Array.from({ length: 8 }, newSha);
      for (const sha of shas)
        (await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(7)) }))._unsafeUnwrap();
      (
        await rig.registry.upload({ component: "web", sha: newSha() }, { stream: chunks(randomBytes(7)) })
      )._unsafeUnwrap();
      const versions = (await rig.registry.listVersions("backend"))._unsafeUnwrap();
      expect(versions.map((v) => v.version)).toEqual([...shas].reverse());
      expect(rig.count("GET", "/api/v1/packages/talas")).toBe(3);
      expect((await rig.registry.stat(backend(shas[0] as string)))._unsafeUnwrap()?.size).toBe(7);
    });
  }
});

describe("invalid input", () => {
  it("is rejected before any request", async () => {
    rig = await registryRig();
    const r = rig.registry;
    const bad = [
      r.stat({ component: "backend", sha: "ABCDEF".padEnd(40, "0") }),
      r.stat({ component: "backend", sha: "g".repeat(40) }),
      r.stat({ component: "back end", sha: newSha() }),
      r.upload(backend("123"), { stream: chunks(randomBytes(1)) }),
      r.upload(backend(newSha()), { path: "" }),
      r.upload(backend(newSha()), { path: join(rig.dir, "does-not-exist") }),
      r.upload(backend(newSha()), { stream: chunks(randomBytes(1)), size: -1 }),
      r.download(backend(newSha()), ""),
      r.listVersions("../../etc"),
      r.delete(backend("z")),
      r.deleteVersion(backend("")),
      r.retentionReport({ history: ["nothex"], components: ["backend"] }),
      r.retentionReport({ history: [], components: [] }),
    ];
    for (const result of await Promise.all(bad))
      expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(rig.fake.requests).toHaveLength(0);
  });

  it("naming patterns that fill to names invalid for Forgejo are refused when the registry is built", async () => {
    rig = await registryRig();
    const { createForgejoRegistry } = await import("../src/forgejo-registry");
    const base = { baseUrl: rig.fake.baseUrl, token: rig.fake.token, owner: "talas" };
    const refusal = (packagePattern: string, filePattern: string) =>
      createForgejoRegistry({
        ...base,
        naming: { packagePattern, filePattern, retention: 30 },
      })._unsafeUnwrapErr();
    for (const [pkg, file, field] of [
      ["veza {component}", "veza-{component}-{sha}.tar.zst", "packagePattern"],
      ["veza-{component}/../../x", "veza-{component}-{sha}.tar.zst", "packagePattern"],
      ["-{component}", "veza-{component}-{sha}.tar.zst", "packagePattern"],
      ["veza-{component}", "{component}/{sha}", "filePattern"],
      ["veza-{component}", "veza-{component}-{sha}.tar.zst/../../x", "filePattern"],
    ] as const) {
      const error = refusal(pkg, file);
      expect(error.reason).toBe("invalid_input");
      expect(error.message).toContain(field);
    }
    expect(rig.fake.requests).toHaveLength(0);
  });

  it("a bad config is invalid_input", async () => {
    rig = await registryRig();
    const { createForgejoRegistry } = await import("../src/forgejo-registry");
    const base = { baseUrl: rig.fake.baseUrl, token: rig.fake.token, owner: "talas" };
    expect(createForgejoRegistry(base)._unsafeUnwrapErr().message).toMatch(/naming/);
    const naming = { packagePattern: "p-{component}", filePattern: "f-{sha}", retention: 30 };
    expect(createForgejoRegistry({ ...base, naming, owner: "-bad" })._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect(createForgejoRegistry({ ...base, naming, baseUrl: "ftp://x" })._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
    expect(createForgejoRegistry({ ...base, naming, token: "has space" })._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
  });
});

describe("versions and retention", () => {
  it("deleteVersion removes every file of the version", async () => {
    rig = await registryRig();
    const sha = newSha();
    (await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(10)) }))._unsafeUnwrap();
    (await rig.registry.deleteVersion(backend(sha)))._unsafeUnwrap();
    expect((await rig.registry.listVersions("backend"))._unsafeUnwrap()).toEqual([]);
    const again = (await rig.registry.deleteVersion(backend(sha)))._unsafeUnwrapErr();
    expect(again.reason).toBe("not_found");
    expect(again.message).toContain("package does not exist");
  });

  it("reports downloadable history SHAs and targets near the keep-N line; a cleanup run agrees", async () => {
    rig = await registryRig();
    const shas = Array.from({ length: 6 }, newSha);
    for (const sha of shas) {
      for (const component of ["backend", "web"]) {
        (await rig.registry.upload({ component, sha }, { stream: chunks(randomBytes(5)) }))._unsafeUnwrap();
      }
    }
    await rig.registry.delete({ component: "web", sha: shas[4] as string });
    const newest = [...shas].reverse();
    const history = [newest[0], newest[1], newest[1], newest[3], newest[5], newSha()] as string[];
    const report = (
      await rig.registry.retentionReport({ history, components: ["backend", "web"], keep: 5, warnWithin: 1 })
    )._unsafeUnwrap();
    const [b, w] = report.components;
    expect(b?.downloadable).toEqual([newest[0], newest[1], newest[3], newest[5]]);
    expect(b?.missing).toEqual([history[5]]);
    expect(w?.downloadable).toEqual([newest[0], newest[3], newest[5]]);
    expect(w?.missing).toEqual([newest[1], history[5]]);
    expect(report.downloadableEverywhere).toEqual([newest[0], newest[3], newest[5]]);
    expect(b?.atRisk).toEqual([{ component: "backend", sha: newest[5], rank: 5, versionsLeft: 0 }]);
    expect(w?.atRisk.map((r) => [r.sha, r.rank, r.versionsLeft])).toEqual([[newest[5], 4, 1]]);
    expect(report.atRisk[0]?.versionsLeft).toBe(0);

    rig.fake.addCleanupRule({ owner: "talas", keepCount: 5 });
    const removed = await rig.fake.runCleanup();
    expect(removed).toEqual([`veza-backend/${newest[5]}`]);
    const after = (
      await rig.registry.retentionReport({ history, components: ["backend"], keep: 5 })
    )._unsafeUnwrap();
    expect(after.components[0]?.missing).toContain(newest[5]);
  });

  it("a keep pattern pins a version past keep-N", async () => {
    rig = await registryRig();
    const shas = Array.from({ length: 4 }, newSha);
    for (const sha of shas)
      (await rig.registry.upload(backend(sha), { stream: chunks(randomBytes(5)) }))._unsafeUnwrap();
    rig.fake.addCleanupRule({
      owner: "talas",
      keepCount: 1,
      keepPattern: `veza-backend/${shas[0]}`,
      matchFullName: true,
    });
    await rig.fake.runCleanup();
    const left = (await rig.registry.listVersions("backend"))._unsafeUnwrap().map((v) => v.version);
    expect(left).toEqual([shas[3], shas[0]]);
  });
});
