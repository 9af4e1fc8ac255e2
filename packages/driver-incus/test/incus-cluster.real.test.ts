import { type DriverError, runPlan } from "@backflip/core";
import { decide, fastFlip, observe, vezaTopology } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { createFleet } from "@backflip/driver-mock";
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
/** One app component per color: green (live) on m2, blue (the prior color) on m3. */
const base = vezaTopology(`cl${tag}`);
const topology = { ...base, containers: { ...base.containers, components: ["app"] } };
const [GREEN, BLUE] = [`veza-cl${tag}-app-green`, `veza-cl${tag}-app-blue`];

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
    for (const name of [ON_M3, ON_M2, COPY_M1, GREEN, BLUE])
      await host("m1").delete(name, { stopFirst: true });
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
    // Files (SFTP) and commands (exec) name the member too, not Incus's "Server isn't ready yet".
    const read = (await host("m1").pullFile(ON_M3, "/etc/hostname"))._unsafeUnwrapErr();
    expect(read).toMatchObject({ reason: "unavailable", details: { member: "m3" } });
    const ran = (await host("m1").shell(ON_M3).run(["true"]))._unsafeUnwrapErr();
    expect(ran).toMatchObject({ reason: "unavailable", details: { member: "m3" } });
    // Instances on the members that are up still answer, and the list still says where each is.
    const listed = (await host("m1").list({ names: [ON_M3] }))._unsafeUnwrap();
    expect(listed.map((i) => i.location)).toEqual(["m3"]);
    expect((await host("m1").state(`bf-cl-none-${tag}`))._unsafeUnwrapErr().reason).toBe("not_found");

    await restartMembers();
    expect(value(await host("m1").state(ON_M3))).toMatchObject({ location: "m3", running: false });
    expect(outcome(await host("m3").delete(ON_M3))).toBe("ok");
    expect((await host("m2").state(ON_M3))._unsafeUnwrapErr().reason).toBe("not_found");
  }, 180_000);

  it.skipIf(clusterImage === undefined)(
    "observe names each color's member; with the prior color's member down, decide and Path 1 say what is possible",
    async () => {
      // The simulated fleet stands in for the proxy, registry and probes; the containers are the cluster's.
      const sim = createFleet({ topology });
      const drivers = { ...sim.drivers, host: host("m1") };
      for (const [name, member] of [
        [GREEN, "m2"],
        [BLUE, "m3"],
      ] as const) {
        expect(outcome(await host("m1").create(name, { image: clusterImage!, target: member }))).toBe("ok");
        expect(outcome(await host("m1").start(name))).toBe("ok");
      }
      const facts = value(await observe(topology, drivers));
      expect(facts.colors.green?.containers[0]).toMatchObject({ name: GREEN, running: true, location: "m2" });
      expect(facts.colors.blue?.containers[0]).toMatchObject({ name: BLUE, running: true, location: "m3" });
      const onCall = { symptom: "public-probe-failing", onCall: true, paged: true } as const;
      expect(value(decide(facts, onCall))).toMatchObject({ path: 1, target: { color: "blue" } });

      await stopMember("m3");
      const down = value(await observe(topology, drivers));
      expect(down.colors.blue?.containers[0]).toMatchObject({ name: BLUE, running: false, location: "m3" });
      const decision = value(decide(down, onCall));
      expect(decision.path).not.toBe(1);
      expect(decision.reason).toContain("cluster member m3 does not answer");
      const plan = value(await fastFlip(topology, drivers, { actor: "alice", reason: "m3 is down" }));
      const refused = (
        await runPlan(plan, { journal: sim.journal, lock: sim.lock, owner: "test", now: () => new Date() })
      )._unsafeUnwrapErr();
      expect(refused.kind).toBe("refused");
      expect(refused.report?.error?.message).toContain(BLUE);
      expect(sim.world.traffic().activeColor).toBe("green");
      await restartMembers();
    },
    240_000,
  );
});
