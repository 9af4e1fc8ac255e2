import { decide, fastFlip, observe } from "@backflip/core/recipes";
import { skipUnlessBackend } from "@backflip/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LabDrivers, labHaproxySettings } from "../../lab/src/lab-drivers";
import { readRegistryState } from "../../lab/src/lab-registry";
import { LAB_HAPROXY, labTopology } from "../../lab/src/lab-settings";
import { labBackendsUp, upLab } from "../../lab/test/lab-support";
import { type StackDrivers, stackDrivers } from "./stack-drivers";

const skip = skipUnlessBackend(
  labBackendsUp,
  "incus + haproxy (the lab)",
  "scripts/backends up incus haproxy",
);

describe.skipIf(skip)(
  "an embedder's drivers bundle, built from the packages, on the lab",
  { timeout: 120_000 },
  () => {
    let lab: LabDrivers;
    let stack: StackDrivers;
    const topology = labTopology();

    beforeAll(async () => {
      lab = await upLab();
      const registry = readRegistryState();
      if (!registry) throw new Error("the lab's registry state is missing: run `pnpm lab up`");
      stack = stackDrivers({
        topology,
        haproxy: { container: LAB_HAPROXY.container, ...labHaproxySettings(topology) },
        forgejo: { baseUrl: registry.baseUrl, token: registry.token },
      })._unsafeUnwrap();
    }, 300_000);

    afterAll(async () => {
      await stack?.host.close();
    });

    it("observes what the lab's own drivers see, decides, and plans Path 1 (the dry run)", async () => {
      const facts = (await observe(topology, stack))._unsafeUnwrap();
      const state = (await lab.traffic.readState())._unsafeUnwrap();
      expect(facts.activeColor).toBe(state.activeColor);
      expect(facts.history[0]).toEqual(state.history[0]);
      const prior = facts.activeColor === "blue" ? "green" : "blue";
      expect(facts.colors[prior]?.allRunning).toBe(true);
      const decision = decide(facts, {
        symptom: "public-probe-failing",
        onCall: true,
        paged: true,
      })._unsafeUnwrap();
      expect(decision).toMatchObject({ path: 1, recipe: "fast-flip", target: { color: prior } });

      const plan = (
        await fastFlip(topology, stack, { actor: "alice", reason: "embedding test" })
      )._unsafeUnwrap();
      expect(plan.intent).toMatchObject({ path: "fast-flip", from: facts.activeColor, to: prior });
      expect(plan.render()).toContain(`incus exec ${LAB_HAPROXY.container}`);
    });

    it("renders the very config the lab's own switch renders (the one its tests flip with)", async () => {
      const input = { color: "green", runId: "20261207T000000Z-emb001", actor: "alice" };
      const ours = (await stack.traffic.render(input))._unsafeUnwrap();
      const labs = (await lab.traffic.render(input))._unsafeUnwrap();
      expect(ours.content).toBe(labs.content);
      expect(ours.revision).toBe(labs.revision);
    });
  },
);
