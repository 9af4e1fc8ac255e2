import { describe, expect, it } from "vitest";
import * as z from "zod";

/** The drivers a stack config (`target.kind: "stack"`) loads, each imported from its sources. */
const STACK_DRIVERS = {
  etcd: () => import("@backflip/driver-etcd"),
  forgejo: () => import("@backflip/driver-forgejo"),
  haproxy: () => import("@backflip/driver-haproxy"),
  nginx: () => import("@backflip/driver-nginx"),
  postgres: () => import("@backflip/driver-postgres"),
  prometheus: () => import("@backflip/driver-prometheus"),
  ssh: () => import("@backflip/driver-ssh"),
  zfs: () => import("@backflip/driver-zfs"),
};

/** Runs `body` with every zod construction counted (zod calls its config's postProcessor with each schema and check it builds). */
async function countingBuilds(body: (built: () => number) => Promise<void>): Promise<void> {
  let built = 0;
  z.config({
    postProcessor: () => {
      built++;
    },
  });
  try {
    await body(() => built);
  } finally {
    z.config({ postProcessor: undefined });
  }
}

describe("a cold start builds no zod schema before it validates", () => {
  it("importing the CLI's status path, core's entries and the simulated fleet builds none", async () => {
    await countingBuilds(async (built) => {
      await import("../src/run-main");
      await import("../src/config");
      await import("../src/commands/status");
      await import("../src/simulated-target");
      await import("@backflip/core");
      await import("@backflip/core/recipes");
      await import("@backflip/core/driver-kit");
      await import("@backflip/driver-mock");
      expect(built()).toBe(0);
      z.string().min(1);
      expect(built()).toBeGreaterThan(0); // the count sees a schema being built
    });
  });

  it("importing each driver a stack config loads builds none", async () => {
    await countingBuilds(async (built) => {
      await import("@backflip/core");
      await import("@backflip/core/recipes");
      await import("@backflip/core/driver-kit");
      const counts: Record<string, number> = {};
      for (const [name, load] of Object.entries(STACK_DRIVERS)) {
        const before = built();
        await load();
        counts[name] = built() - before;
      }
      expect(counts).toEqual(Object.fromEntries(Object.keys(STACK_DRIVERS).map((name) => [name, 0])));
    });
  });
});
