import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createIncusHost } from "../src/create-incus-host";
import { classifyIncusError } from "../src/incus-error";
import type { IncusHost } from "../src/incus-host";
import { error, JSON_HEADERS, sync } from "./incus-envelopes";

const asyncOp = (id: string) => ({
  type: "async",
  status: "Operation created",
  status_code: 100,
  operation: `/1.0/operations/${id}`,
  metadata: { id, class: "task", status: "Running", status_code: 103, err: "", may_cancel: false },
});
const operation = (id: string, statusCode: number, status: string, err = "") => ({
  id,
  class: "task",
  status,
  status_code: statusCode,
  err,
  may_cancel: false,
  metadata: null,
});
const instance = (name: string, status: string, statusCode: number) => ({
  name,
  status,
  status_code: statusCode,
});

describe("classifyIncusError", () => {
  it.each([
    [404, "Instance not found", "not_found"],
    [403, "not authorized", "unauthorized"],
    [401, "", "unauthorized"],
    [409, "Instance already exists", "conflict"],
    [412, "ETag doesn't match", "conflict"],
    [400, "Instance is running", "conflict"],
    [400, "Instance is not running", "conflict"],
    [500, "The instance is already running", "conflict"],
    [400, "Invalid config: Unknown configuration key: foo", "invalid_input"],
    [400, "Command not found", "not_found"],
    [400, 'Snapshot "x" does not exist', "not_found"],
    [500, "Failed to mount storage", "failed"],
    [503, "Service Unavailable", "unavailable"],
  ])("%i %s → %s", (code, message, reason) => {
    expect(classifyIncusError(code, message)).toBe(reason);
  });
});

describe("the Incus envelope over a mocked transport", () => {
  let agent: MockAgent;
  let host: IncusHost;
  const pool = () => agent.get("http://unix.socket");

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    host = createIncusHost({ dispatcher: agent, project: "veza" })._unsafeUnwrap();
  });
  afterEach(async () => {
    await host.close();
  });

  it("maps 404 to not_found and keeps Incus's own message", async () => {
    const message = 'Failed to fetch instance "web" in project "veza": Instance not found';
    pool()
      .intercept({ path: "/1.0/instances/web?project=veza", method: "GET" })
      .reply(404, error(404, message), JSON_HEADERS);
    const e = (await host.state("web"))._unsafeUnwrapErr();
    expect(e).toMatchObject({ driver: "incus", op: "state", reason: "not_found" });
    expect(e.message).toContain(message);
    expect(e.details).toMatchObject({ status: 404, code: 404, incusError: message });
  });

  it("maps 403 to unauthorized with the trust hint", async () => {
    pool()
      .intercept({ path: "/1.0/instances?recursion=1&project=veza", method: "GET" })
      .reply(403, error(403, "not authorized"), JSON_HEADERS);
    const e = (await host.list())._unsafeUnwrapErr();
    expect(e.reason).toBe("unauthorized");
    expect(e.message).toContain("not authorized");
    expect(e.hint).toContain("incus config trust add-certificate");
  });

  it("maps 409 to conflict", async () => {
    pool()
      .intercept({ path: "/1.0/instances/web/snapshots?project=veza", method: "POST" })
      .reply(409, error(409, "Snapshot already exists"), JSON_HEADERS);
    const e = (await host.createSnapshot("web", "pre-deploy"))._unsafeUnwrapErr();
    expect(e).toMatchObject({ reason: "conflict", details: { status: 409 } });
    expect(e.message).toContain("Snapshot already exists");
  });

  it("sends If-Match with the ETag and maps 412 to conflict with the re-read hint", async () => {
    pool()
      .intercept({
        path: "/1.0/instances/web?project=veza",
        method: "PATCH",
        headers: { "if-match": '"abc"' },
        body: JSON.stringify({ config: { "user.note": "x" } }),
      })
      .reply(412, error(412, "ETag doesn't match"), JSON_HEADERS);
    const e = (await host.patchConfig("web", { "user.note": "x" }, { etag: '"abc"' }))._unsafeUnwrapErr();
    expect(e).toMatchObject({ reason: "conflict", details: { status: 412 } });
    expect(e.hint).toContain("readConfig");
  });

  it("maps a 400 about state to conflict and other 400s to invalid_input", async () => {
    pool()
      .intercept({ path: "/1.0/instances/web?project=veza", method: "GET" })
      .reply(200, sync(instance("web", "Stopped", 102)), JSON_HEADERS);
    pool()
      .intercept({ path: "/1.0/instances/web?project=veza", method: "DELETE" })
      .reply(400, error(400, "Instance is running"), JSON_HEADERS);
    expect((await host.delete("web"))._unsafeUnwrapErr()).toMatchObject({
      reason: "conflict",
      message: expect.stringContaining("Instance is running"),
    });
    pool()
      .intercept({ path: "/1.0/instances/web?project=veza", method: "PATCH" })
      .reply(400, error(400, "Unknown configuration key: user"), JSON_HEADERS);
    expect((await host.patchConfig("web", { "limits.bogus": "1" }))._unsafeUnwrapErr().reason).toBe(
      "invalid_input",
    );
  });

  it("fails when /wait answers HTTP 200 but the operation itself failed, keeping its err", async () => {
    pool()
      .intercept({ path: "/1.0/instances/web?project=veza", method: "GET" })
      .reply(200, sync(instance("web", "Running", 103)), JSON_HEADERS)
      .times(2);
    pool()
      .intercept({ path: "/1.0/instances/web/state?project=veza", method: "PUT" })
      .reply(202, asyncOp("op1"), JSON_HEADERS);
    pool()
      .intercept({ path: "/1.0/operations/op1/wait?timeout=70&project=veza", method: "GET" })
      .reply(
        200,
        sync(operation("op1", 400, "Failure", "Failed shutting down instance: context deadline exceeded")),
        JSON_HEADERS,
      );
    const e = (await host.stop("web", { timeoutS: 10 }))._unsafeUnwrapErr();
    expect(e.reason).toBe("failed");
    expect(e.message).toContain("Failed shutting down instance");
    expect(e.hint).toContain("force: true");
  });

  it("reports an operation still running after the wait as a timeout", async () => {
    pool()
      .intercept({ path: "/1.0/instances/web?project=veza", method: "GET" })
      .reply(200, sync(instance("web", "Stopped", 102)), JSON_HEADERS);
    pool()
      .intercept({ path: "/1.0/instances/web/state?project=veza", method: "PUT" })
      .reply(202, asyncOp("op2"), JSON_HEADERS);
    pool()
      .intercept({ path: "/1.0/operations/op2/wait?timeout=5&project=veza", method: "GET" })
      .reply(200, sync(operation("op2", 103, "Running")), JSON_HEADERS);
    expect((await host.start("web", { timeoutS: 5 }))._unsafeUnwrapErr().reason).toBe("timeout");
  });

  it("treats an error envelope under HTTP 200 as an error, and a start that lost a race as done", async () => {
    pool()
      .intercept({ path: "/1.0/instances/web?project=veza", method: "GET" })
      .reply(200, sync(instance("web", "Stopped", 102)), JSON_HEADERS);
    pool()
      .intercept({ path: "/1.0/instances/web/state?project=veza", method: "PUT" })
      .reply(202, asyncOp("op3"), JSON_HEADERS);
    pool()
      .intercept({ path: "/1.0/operations/op3/wait?timeout=60&project=veza", method: "GET" })
      .reply(200, error(500, "The instance is already running"), JSON_HEADERS);
    pool()
      .intercept({ path: "/1.0/instances/web?project=veza", method: "GET" })
      .reply(200, sync(instance("web", "Running", 103)), JSON_HEADERS);
    expect((await host.start("web")).isOk()).toBe(true);
  });

  it("keeps a cancelled operation apart as aborted", async () => {
    pool()
      .intercept({ path: "/1.0/instances/web/snapshots/s1?project=veza", method: "DELETE" })
      .reply(202, asyncOp("op4"), JSON_HEADERS);
    pool()
      .intercept({ path: "/1.0/operations/op4/wait?timeout=60&project=veza", method: "GET" })
      .reply(200, sync(operation("op4", 401, "Cancelled", "cancelled by user")), JSON_HEADERS);
    expect((await host.deleteSnapshot("web", "s1"))._unsafeUnwrapErr().reason).toBe("aborted");
  });

  /**
   * Intercepts one exec run as operation `op` ending with exit code `code`: the POST (its
   * body kept), the wait, and the DELETE of both logs. Returns each log's path.
   */
  function interceptExec(op: string, code: number) {
    const log = (n: string) => `/1.0/instances/web/logs/exec-output/exec_${op}.${n}`;
    const sent: { body?: Record<string, unknown> } = {};
    pool()
      .intercept({ path: "/1.0/instances/web/exec?project=veza", method: "POST" })
      .reply(
        202,
        (req) => {
          sent.body = JSON.parse(String(req.body)) as Record<string, unknown>;
          return asyncOp(op);
        },
        JSON_HEADERS,
      );
    pool()
      .intercept({ path: `/1.0/operations/${op}/wait?timeout=-1&project=veza`, method: "GET" })
      .reply(
        200,
        sync({
          ...operation(op, 200, "Success"),
          metadata: { return: code, output: { "1": log("stdout"), "2": log("stderr") } },
        }),
        JSON_HEADERS,
      );
    for (const stream of ["stdout", "stderr"])
      pool()
        .intercept({ path: `${log(stream)}?project=veza`, method: "DELETE" })
        .reply(200, sync({}), JSON_HEADERS);
    return { log, sent };
  }

  it("runs exec with record-output and reads its logs with the project added to their URLs", async () => {
    const { log, sent } = interceptExec("op5", 3);
    pool()
      .intercept({ path: `${log("stdout")}?project=veza`, method: "GET", headers: { range: "bytes=0-4" } })
      .reply(206, "12345", {});
    pool()
      .intercept({ path: `${log("stderr")}?project=veza`, method: "GET" })
      .reply(200, "", {});
    const r = (await host.shell("web").run(["cat", "/etc/app.conf"], { maxOutputBytes: 4 }))._unsafeUnwrap();
    expect(r).toMatchObject({ exitCode: 3, stdout: "1234", stderr: "", truncated: true });
    expect(sent.body).toMatchObject({
      command: ["cat", "/etc/app.conf"],
      "record-output": true,
      "wait-for-websocket": false,
      interactive: false,
    });
    await host.close(); // waits for the logs' DELETEs sent in the background
    expect(agent.pendingInterceptors()).toEqual([]);
  });

  it("with outputOnlyOnFailure, reads no log after a zero exit and still deletes both", async () => {
    interceptExec("op6", 0);
    const r = (await host.shell("web").run(["true"], { outputOnlyOnFailure: true }))._unsafeUnwrap();
    expect(r).toMatchObject({ exitCode: 0, stdout: "", stderr: "", truncated: false });
    await host.close();
    expect(agent.pendingInterceptors()).toEqual([]);
  });

  it("sends nothing for bad input", async () => {
    const bad = await Promise.all([
      host.state("no spaces"),
      host.stop("web", { timeoutS: -1 }),
      host.pushFile("web", "etc/relative", "x"),
      host.pullFile("web", "/etc/../shadow"),
      host.pushFile("web", "/etc/app.conf", "x", { mode: 0o17777 }),
      host.restoreSnapshot("web", "a/b"),
      host.patchConfig("web", { "bad key": "x" }),
      host.list({ pattern: "veza-*-{a,b" }),
    ]);
    for (const r of bad) expect(r._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(host.requestsSent).toBe(0);
  });

  it("reports a missing socket as unavailable with the setup hint", async () => {
    const local = createIncusHost({ socketPath: "/nonexistent/incus/unix.socket" })._unsafeUnwrap();
    const e = (await local.list())._unsafeUnwrapErr();
    expect(e.reason).toBe("unavailable");
    expect(e.message).toContain("/nonexistent/incus/unix.socket");
    expect(e.hint).toContain("scripts/backends up incus");
    await local.close();
  });
});
