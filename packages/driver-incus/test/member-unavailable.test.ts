import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createIncusHost } from "../src/create-incus-host";
import type { IncusHost } from "../src/incus-host";
import { error, JSON_HEADERS, sync } from "./incus-envelopes";

const LIST = "/1.0/instances?recursion=1&filter=name+eq+web&project=default";

describe("an instance whose cluster member is down (mocked transport)", () => {
  let agent: MockAgent;
  let host: IncusHost;
  const pool = () => agent.get("http://unix.socket");
  const failGet = (message: string) =>
    pool()
      .intercept({ path: "/1.0/instances/web?project=default", method: "GET" })
      .reply(500, error(500, message), JSON_HEADERS);
  const listed = (location: string) =>
    pool()
      .intercept({ path: LIST, method: "GET" })
      .reply(200, sync([{ name: "web", status: "Error", status_code: 112, location }]), JSON_HEADERS);
  const member = (status: string, message: string) =>
    pool()
      .intercept({ path: "/1.0/cluster/members/m3?project=default", method: "GET" })
      .reply(200, sync({ server_name: "m3", status, message }), JSON_HEADERS);

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    host = createIncusHost({ dispatcher: agent })._unsafeUnwrap();
  });
  afterEach(async () => {
    await host.close();
  });

  it("names the member and its heartbeat when the member is Offline", async () => {
    failGet("Server isn't ready yet");
    listed("m3");
    member("Offline", "No heartbeat for 40s");
    const e = (await host.state("web"))._unsafeUnwrapErr();
    expect(e).toMatchObject({
      reason: "unavailable",
      op: "state",
      details: { member: "m3", memberStatus: "Offline" },
    });
    expect(e.message).toBe("instance web is on cluster member m3, which is Offline (No heartbeat for 40s)");
    expect(e.hint).toContain("incus cluster list");
  });

  it("names the member when it still shows Online but the request could not be forwarded to it", async () => {
    failGet("Missing event connection with target cluster member");
    listed("m3");
    member("Online", "Fully operational");
    const e = (await host.state("web"))._unsafeUnwrapErr();
    expect(e).toMatchObject({ reason: "unavailable", details: { member: "m3" } });
    expect(e.message).toContain("cluster member m3, which did not answer");
  });

  it("keeps a real failure on a member that is up", async () => {
    failGet("Failed to mount storage");
    listed("m3");
    member("Online", "Fully operational");
    expect((await host.state("web"))._unsafeUnwrapErr()).toMatchObject({ reason: "failed" });
  });

  it("keeps the error on a server that is not clustered (location none)", async () => {
    failGet("Server isn't ready yet");
    listed("none");
    const e = (await host.state("web"))._unsafeUnwrapErr();
    expect(e.reason).toBe("failed");
    expect(e.details).not.toHaveProperty("member");
  });

  it("asks nothing more for a client error", async () => {
    pool()
      .intercept({ path: "/1.0/instances/web?project=default", method: "GET" })
      .reply(404, error(404, "Instance not found"), JSON_HEADERS);
    const before = host.requestsSent;
    expect((await host.state("web"))._unsafeUnwrapErr().reason).toBe("not_found");
    expect(host.requestsSent).toBe(before + 1);
  });

  it("reports location only on a cluster", async () => {
    pool()
      .intercept({ path: "/1.0/instances?recursion=1&project=default", method: "GET" })
      .reply(
        200,
        sync([
          { name: "a", status: "Running", status_code: 103, location: "m2" },
          { name: "b", status: "Stopped", status_code: 102, location: "none" },
        ]),
        JSON_HEADERS,
      );
    expect((await host.list())._unsafeUnwrap()).toEqual([
      { name: "a", status: "Running", statusCode: 103, running: true, location: "m2" },
      { name: "b", status: "Stopped", statusCode: 102, running: false },
    ]);
  });
});
