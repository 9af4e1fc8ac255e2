import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createIncusHost } from "../src/create-incus-host";
import type { IncusHost } from "../src/incus-host";
import { error, JSON_HEADERS, sync } from "./incus-envelopes";

const instance = (name: string, status: string, statusCode: number) => ({
  name,
  status,
  status_code: statusCode,
});
const LIST = "/1.0/instances?recursion=1&project=default";

describe("IncusHost.list with a few names (mocked transport)", () => {
  let agent: MockAgent;
  let host: IncusHost;
  const pool = () => agent.get("http://unix.socket");
  const get = (name: string) =>
    pool().intercept({ path: `/1.0/instances/${name}?project=default`, method: "GET" });

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    host = createIncusHost({ dispatcher: agent })._unsafeUnwrap();
  });
  afterEach(async () => {
    await host.close();
  });

  it("asks each named instance, leaves a missing one out and never lists them all", async () => {
    get("web-blue").reply(200, sync(instance("web-blue", "Running", 103)), JSON_HEADERS);
    get("api-blue").reply(200, sync(instance("api-blue", "Stopped", 102)), JSON_HEADERS);
    get("db-blue").reply(404, error(404, "Instance not found"), JSON_HEADERS);
    const before = host.requestsSent;
    const listed = (
      await host.list({ names: ["web-blue", "api-blue", "db-blue", "web-blue"] })
    )._unsafeUnwrap();
    expect(listed).toEqual([
      { name: "api-blue", status: "Stopped", statusCode: 102, running: false },
      { name: "web-blue", status: "Running", statusCode: 103, running: true },
    ]);
    expect(host.requestsSent).toBe(before + 3);
    agent.assertNoPendingInterceptors();
  });

  it("applies the pattern to the named instances too", async () => {
    get("web-blue").reply(200, sync(instance("web-blue", "Running", 103)), JSON_HEADERS);
    get("web-green").reply(200, sync(instance("web-green", "Running", 103)), JSON_HEADERS);
    const listed = (
      await host.list({ names: ["web-blue", "web-green"], pattern: "*-green" })
    )._unsafeUnwrap();
    expect(listed.map((i) => i.name)).toEqual(["web-green"]);
  });

  it("falls back to the whole list when a GET fails other than not found (a member down)", async () => {
    get("web-blue").reply(200, sync(instance("web-blue", "Running", 103)), JSON_HEADERS);
    get("web-green").reply(500, error(500, "Server isn't ready yet"), JSON_HEADERS);
    pool()
      .intercept({ path: LIST, method: "GET" })
      .reply(
        200,
        sync([
          { ...instance("web-green", "Error", 112), location: "m3" },
          { ...instance("web-blue", "Running", 103), location: "m1" },
          instance("other", "Running", 103),
        ]),
        JSON_HEADERS,
      );
    const listed = (await host.list({ names: ["web-blue", "web-green"] }))._unsafeUnwrap();
    expect(listed).toEqual([
      { name: "web-blue", status: "Running", statusCode: 103, running: true, location: "m1" },
      { name: "web-green", status: "Error", statusCode: 112, running: false, location: "m3" },
    ]);
  });

  it("lists them all for many names", async () => {
    const names = Array.from({ length: 9 }, (_, i) => `c${i}`);
    pool()
      .intercept({ path: LIST, method: "GET" })
      .reply(200, sync([instance("c1", "Running", 103), instance("x", "Running", 103)]), JSON_HEADERS);
    const before = host.requestsSent;
    expect((await host.list({ names }))._unsafeUnwrap().map((i) => i.name)).toEqual(["c1"]);
    expect(host.requestsSent).toBe(before + 1);
  });
});
