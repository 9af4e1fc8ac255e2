import { describe, expect, it } from "vitest";
import { colorContainers, containerName, parseTopology, vezaTopology } from "../src/index";

describe("vezaTopology", () => {
  it("uses the runbook's staging names", () => {
    const t = vezaTopology("staging");
    expect(t.haproxy.container).toBe("veza-staging-haproxy");
    expect(containerName(t, "backend", "blue")).toBe("veza-staging-backend-blue");
    expect(colorContainers(t, "green")).toEqual([
      "veza-staging-backend-green",
      "veza-staging-stream-green",
      "veza-staging-web-green",
    ]);
  });

  it("has no env prefix in prod", () => {
    const t = vezaTopology("prod");
    expect(t.haproxy.container).toBe("veza-haproxy");
    expect(containerName(t, "web", "green")).toBe("veza-web-green");
  });

  it("rejects a bad topology naming the field", () => {
    const result = parseTopology({ ...vezaTopology("staging"), colors: ["blue", "blue"] });
    expect(result.isErr()).toBe(true);
    expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect(result._unsafeUnwrapErr().message).toContain("colors");
  });
});
