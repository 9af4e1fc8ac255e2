import { describe, expect, it } from "vitest";
import * as z from "zod";

describe("a cold start builds no zod schema before it validates", () => {
  it("importing the CLI's status path, core's entries and the simulated fleet builds none", async () => {
    let built = 0;
    // zod calls its config's postProcessor with every schema (and check) it builds
    z.config({
      postProcessor: () => {
        built++;
      },
    });
    try {
      await import("../src/run-main");
      await import("../src/config");
      await import("../src/commands/status");
      await import("../src/simulated-target");
      await import("@backflip/core");
      await import("@backflip/core/recipes");
      await import("@backflip/core/driver-kit");
      await import("@backflip/driver-mock");
      expect(built).toBe(0);
      z.string().min(1);
      expect(built).toBeGreaterThan(0); // the count sees a schema being built
    } finally {
      z.config({ postProcessor: undefined });
    }
  });
});
