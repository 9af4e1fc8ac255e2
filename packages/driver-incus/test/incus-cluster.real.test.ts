import type { DriverError } from "@backflip/core";
import { skipUnlessBackend } from "@backflip/core/testing";
import type { Result } from "neverthrow";
import { afterAll, describe, expect, it } from "vitest";
import type { IncusHost } from "../src/incus-host";
import {
  clusterAvailable,
  clusterImage,
  memberHost,
  members,
  restartMembers,
  stopMember,
} from "./incus-cluster-lab";

const skip = skipUnlessBackend(
  await clusterAvailable(),
  "incus-cluster",
  "scripts/backends up incus-cluster",
);
const tag = process.pid.toString(36);
const ON_M3 = `bf-cl-m3-${tag}`;
const ON_M2 = `bf-cl-m2-${tag}`;
const COPY_M1 = `bf-cl-copy-${tag}`;

/** "ok", or the error itself, so a failure shows Incus's message. */
const outcome = (r: Result<unknown, DriverError>) => (r.isOk() ? "ok" : r.error);
/** The value, or a thrown error carrying the driver's message. */
function value<T>(r: Result<T, DriverError>): T {
  if (r.isErr()) throw new Error(`${r.error.reason}: ${r.error.message}`);
  return r.value;
}

describe.skipIf(skip)("incus on a 3-member cluster (real)", () => {
  const hosts = new Map<string, IncusHost>();
  const host = (member: string) => {
    const found = hosts.get(member) ?? memberHost(member);
    hosts.set(member, found);
    return found;
  };

  afterAll(async () => {
    await restartMembers();
    for (const name of [ON_M3, ON_M2, COPY_M1]) await host("m1").delete(name, { stopFirst: true });
    for (const h of hosts.values()) await h.close();
  });

  it("places an instance on the target member and every member reports its location", async () => {
    expect(members).toEqual(["m1", "m2", "m3"]);
    expect(outcome(await host("m1").create(ON_M3, { target: "m3" }))).toBe("ok");
    for (const m of members) {
      const state = await host(m).state(ON_M3);
      expect(state._unsafeUnwrap()).toMatchObject({ name: ON_M3, location: "m3", running: false });
    }
    const listed = (await host("m2").list({ names: [ON_M3] }))._unsafeUnwrap();
    expect(listed.map((i) => i.location)).toEqual(["m3"]);
  });

  it.skipIf(clusterImage === undefined)(
    "creates from the image on a target and copies onto another",
    async () => {
      expect(outcome(await host("m3").create(ON_M2, { image: clusterImage!, target: "m2" }))).toBe("ok");
      expect(value(await host("m1").state(ON_M2)).location).toBe("m2");
      expect(outcome(await host("m2").copy(ON_M2, COPY_M1, { target: "m1" }))).toBe("ok");
      expect(value(await host("m3").state(COPY_M1)).location).toBe("m1");
      expect(outcome(await host("m1").start(COPY_M1))).toBe("ok");
      expect(value(await host("m2").state(COPY_M1))).toMatchObject({
        running: true,
        location: "m1",
      });
    },
  );

  it("refuses a target that is not a member name before sending anything", async () => {
    const h = host("m1");
    const before = h.requestsSent;
    const refused = await h.create(`bf-cl-bad-${tag}`, { target: "m1; reboot" });
    expect(refused._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(h.requestsSent).toBe(before);
    const unknown = await h.create(`bf-cl-bad-${tag}`, { target: "m9" });
    expect(unknown.isErr()).toBe(true);
    expect((await h.state(`bf-cl-bad-${tag}`))._unsafeUnwrapErr().reason).toBe("not_found");
  });

  it("reports an instance on a stopped member as unavailable naming the member, and works once it is back", async () => {
    await stopMember("m3");
    const state = await host("m1").state(ON_M3);
    const e = state._unsafeUnwrapErr();
    expect(e.reason).toBe("unavailable");
    expect(e.message).toContain("cluster member m3");
    expect(e.details).toMatchObject({ instance: ON_M3, member: "m3" });
    const start = (await host("m2").start(ON_M3))._unsafeUnwrapErr();
    expect(start).toMatchObject({ reason: "unavailable", details: { member: "m3" } });
    // Instances on the members that are up still answer, and the list still says where each is.
    const listed = (await host("m1").list({ names: [ON_M3] }))._unsafeUnwrap();
    expect(listed.map((i) => i.location)).toEqual(["m3"]);
    expect((await host("m1").state(`bf-cl-none-${tag}`))._unsafeUnwrapErr().reason).toBe("not_found");

    await restartMembers();
    expect(value(await host("m1").state(ON_M3))).toMatchObject({ location: "m3", running: false });
    expect(outcome(await host("m3").delete(ON_M3))).toBe("ok");
    expect((await host("m2").state(ON_M3))._unsafeUnwrapErr().reason).toBe("not_found");
  }, 180_000);
});
