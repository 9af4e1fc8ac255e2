import { isDriverError } from "@backflip/core";
import { expect, it } from "vitest";
import { createFleet } from "../src/index";

type Method = (...args: unknown[]) => unknown;

it("every port method answers garbage with a DriverError value: no throw, no rejection", async () => {
  const fleet = createFleet();
  const ports: Record<string, object> = {
    ...fleet.drivers,
    journal: fleet.journal,
    lock: fleet.lock,
    shell: fleet.drivers.host.shell("veza-staging-backend-blue"),
  };
  const garbage = [undefined, null, 42, "x", {}, [], { url: 5, color: 7 }];
  let calls = 0;
  for (const [name, port] of Object.entries(ports)) {
    // `describe` answers core's own typed dry-run questions with actions, not a Result.
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(port)).filter(
      (m) =>
        !["constructor", "shell", "describe"].includes(m) &&
        typeof (port as Record<string, unknown>)[m] === "function",
    );
    for (const m of methods) {
      const method = (port as Record<string, Method>)[m] as Method;
      for (const g of garbage) {
        const result = (await method.call(port, g, g, g)) as { isErr(): boolean; error?: unknown };
        if (result.isErr()) expect(isDriverError(result.error), `${name}.${m}`).toBe(true);
        calls++;
      }
    }
  }
  expect(calls).toBeGreaterThan(300);
});
