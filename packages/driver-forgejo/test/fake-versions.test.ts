import {
  type FakeForgejo,
  type FakeForgejoOptions,
  type FakeForgejoVersion,
  startFakeForgejo,
} from "@backflip/driver-forgejo/testing";
import { afterEach, describe, expect, it } from "vitest";

// The fake's per-version behaviours, over raw HTTP (what the driver never sees directly).

let fake: FakeForgejo;
afterEach(async () => {
  await fake?.close();
});

async function start(version: FakeForgejoVersion, options: FakeForgejoOptions = {}) {
  fake = await startFakeForgejo({ version, ...options });
}

const call = (method: string, path: string, init: { body?: string; token?: string } = {}) =>
  fetch(`${fake.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `token ${init.token ?? fake.token}`,
      ...(init.body?.startsWith("{") ? { "content-type": "application/json" } : {}),
    },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
const file = (name = "veza-backend", version = "v1", f = "a.tar") =>
  `/api/packages/talas/generic/${name}/${version}/${f}`;
const dispatch = (body: unknown, workflow = "rollback.yml") =>
  call("POST", `/api/v1/repos/talas/veza/actions/workflows/${workflow}/dispatches`, {
    body: JSON.stringify(body),
  });

describe("every version", () => {
  it("answers /api/v1/version as Forgejo (`X.Y.Z+gitea-1.22.0`) or Gitea does", async () => {
    await start("11.0.4");
    expect(await (await call("GET", "/api/v1/version")).json()).toEqual({ version: "11.0.4+gitea-1.22.0" });
    await fake.close();
    await start("gitea-1.22");
    expect(await (await call("GET", "/api/v1/version")).json()).toEqual({ version: "1.22.6" });
  });

  it("lists files with `Size`, matches names case-insensitively, and refuses a same-name file in another case", async () => {
    await start("8.0.0");
    expect((await call("PUT", file("Veza-Backend", "V1", "A.tar"), { body: "abc" })).status).toBe(201);
    expect((await call("GET", file("veza-backend", "v1", "a.tar"))).status).toBe(200);
    expect((await call("PUT", file("veza-backend", "v1", "a.TAR"), { body: "abc" })).status).toBe(409);
    const files = await (await call("GET", "/api/v1/packages/talas/generic/veza-backend/v1/files")).json();
    expect(files).toEqual([expect.objectContaining({ Size: 3, name: "A.tar" })]);
  });

  it("answers an invalid token with 401 without WWW-Authenticate, a missing scope with it", async () => {
    await start("16.0.0", { tokens: { reader: { scopes: ["read:package"] } } });
    const invalid = await call("PUT", file(), { body: "x", token: "nope" });
    expect(invalid.status).toBe(401);
    expect(invalid.headers.get("www-authenticate")).toBeNull();
    const scope = await call("PUT", file(), { body: "x", token: "reader" });
    expect(scope.status).toBe(401);
    expect(scope.headers.get("www-authenticate")).toBe('Basic realm="Gitea Package API"');
  });

  it("refuses past the limits with Forgejo's 403 texts", async () => {
    await start("12.0.0", { limits: { typeSizeBytes: 4, count: 1 } });
    const big = await call("PUT", file(), { body: "12345" });
    expect([big.status, await big.text()]).toEqual([403, "maximum allowed package type size exceeded"]);
    expect(fake.storedFile("talas", "veza-backend", "v1", "a.tar")).toBeUndefined();
    expect((await call("PUT", file(), { body: "1234" })).status).toBe(201);
    const second = await call("PUT", file("veza-web"), { body: "1" });
    expect([second.status, await second.text()]).toEqual([403, "maximum allowed package count exceeded"]);
  });

  it("dispatch: 500 with a blank message for an unknown workflow or short ref, 404 for an unresolved refs/…, 400 for a required input sent empty", async () => {
    await start("16.0.0", {
      workflows: { "rollback.yml": { statuses: ["success"], refs: ["main"], requiredInputs: ["env"] } },
    });
    const unknown = await dispatch({ ref: "main", inputs: { env: "x" } }, "nope.yml");
    expect(unknown.status).toBe(500);
    expect(((await unknown.json()) as { message: string }).message).toBe("");
    expect((await dispatch({ ref: "develop", inputs: { env: "x" } })).status).toBe(500);
    expect((await dispatch({ ref: "refs/heads/develop", inputs: { env: "x" } })).status).toBe(404);
    expect((await dispatch({ ref: "main", inputs: { env: "" } })).status).toBe(400);
    expect((await dispatch({ ref: "refs/heads/main", inputs: { env: "x" } })).status).toBe(204);
    expect(fake.runs).toHaveLength(1);
  });
});

describe("by version", () => {
  it("checks the 413 quota before names from Forgejo 9; v8 validates names, then refuses with the 403 storage text", async () => {
    await start("16.0.0", { quotaBytes: 0 });
    expect((await call("PUT", file("bad name!"), { body: "x" })).status).toBe(413);
    await fake.close();
    await start("8.0.0", { quotaBytes: 0 });
    expect((await call("PUT", file("bad name!"), { body: "x" })).status).toBe(400);
    const full = await call("PUT", file(), { body: "x" });
    expect([full.status, await full.text()]).toEqual([403, "maximum allowed package storage quota exceeded"]);
  });

  it("HEAD on a generic file exists from 16 (405 before)", async () => {
    await start("16.0.0");
    await call("PUT", file(), { body: "abc" });
    expect((await call("HEAD", file())).status).toBe(200);
    expect((await call("HEAD", file("veza-web"))).status).toBe(404);
    await fake.close();
    await start("15.0.3");
    await call("PUT", file(), { body: "abc" });
    expect((await call("HEAD", file())).status).toBe(405);
  });

  it("the runs API exists from 12, return_run_info from 11, cancel from 16; tasks everywhere", async () => {
    const answers: Record<string, number[]> = {};
    for (const version of ["8.0.0", "11.0.4", "12.0.0", "15.0.3", "16.0.0"] as const) {
      await start(version, { workflows: { "rollback.yml": { statuses: ["running"] } } });
      const sent = await dispatch({ ref: "main", inputs: {}, return_run_info: true });
      const id = fake.runs[0]?.id ?? 0;
      answers[version] = [
        sent.status,
        (await call("GET", "/api/v1/repos/talas/veza/actions/runs")).status,
        (await call("POST", `/api/v1/repos/talas/veza/actions/runs/${id}/cancel`)).status,
        (await call("GET", "/api/v1/repos/talas/veza/actions/tasks")).status,
      ];
      await fake.close();
    }
    expect(answers).toEqual({
      "8.0.0": [204, 404, 404, 200],
      "11.0.4": [201, 404, 404, 200],
      "12.0.0": [201, 200, 404, 200],
      "15.0.3": [201, 200, 404, 200],
      "16.0.0": [201, 200, 204, 200],
    });
  });

  it("the runs list filters by workflow_id only from 15", async () => {
    const workflows = {
      "a.yml": { statuses: ["running"] as const },
      "b.yml": { statuses: ["running"] as const },
    };
    const counts: number[] = [];
    for (const version of ["12.0.0", "15.0.3"] as const) {
      await start(version, { workflows });
      await dispatch({ ref: "main", inputs: {} }, "a.yml");
      await dispatch({ ref: "main", inputs: {} }, "b.yml");
      const runs = await call("GET", "/api/v1/repos/talas/veza/actions/runs?workflow_id=a.yml");
      const list = (await runs.json()) as { total_count: number };
      counts.push(list.total_count);
      await fake.close();
    }
    expect(counts).toEqual([2, 1]);
  });

  it('a boolean input is true only as "on" before 14; from 14 "on" becomes "true"', async () => {
    const read: Record<string, unknown>[] = [];
    for (const version of ["12.0.0", "15.0.3"] as const) {
      await start(version, { workflows: { "w.yml": { statuses: ["success"], booleanInputs: ["force"] } } });
      for (const force of ["true", "on"]) {
        await dispatch({ ref: "main", inputs: { force, env: "x" } }, "w.yml");
      }
      read.push(...fake.runs.map((r) => r.inputs));
      await fake.close();
    }
    expect(read).toEqual([
      { force: "false", env: "x" },
      { force: "true", env: "x" },
      { force: "true", env: "x" },
      { force: "true", env: "x" },
    ]);
  });

  it("gitea-1.22 has no dispatch route", async () => {
    await start("gitea-1.22");
    expect((await dispatch({ ref: "main", inputs: {} })).status).toBe(404);
    expect(fake.runs).toHaveLength(0);
  });
});
