import { describe, expect, it } from "vitest";
import { compileNamePattern } from "../src/name-pattern";

const names = [
  "veza-staging-backend-blue",
  "veza-staging-stream-blue",
  "veza-staging-web-blue",
  "veza-staging-web-green",
  "veza-staging-haproxy",
  "veza-backend-blue",
];

const matching = (pattern: string) => {
  const match = compileNamePattern("incus", pattern)._unsafeUnwrap();
  return names.filter(match);
};

describe("compileNamePattern", () => {
  it("matches the runbook's {a,b,c} alternatives exactly", () => {
    expect(matching("veza-staging-{backend,stream,web}-blue")).toEqual(names.slice(0, 3));
  });

  it("matches * against any run of name characters, anchored at both ends", () => {
    expect(matching("veza-staging-*-blue")).toEqual(names.slice(0, 3));
    expect(matching("*-green")).toEqual(["veza-staging-web-green"]);
    expect(matching("veza-staging-web")).toEqual([]);
    expect(matching("*")).toEqual(names);
  });

  it("combines alternatives and wildcards", () => {
    expect(matching("veza-{staging-web,backend}-*")).toEqual([
      "veza-staging-web-blue",
      "veza-staging-web-green",
      "veza-backend-blue",
    ]);
  });

  it.each(["", "veza staging", "veza-{a,b", "veza-{a,{b,c}}", "veza.*", "veza-(a|b)", "veza-?"])(
    "rejects %j with invalid_input",
    (pattern) => {
      expect(compileNamePattern("incus", pattern)._unsafeUnwrapErr().reason).toBe("invalid_input");
    },
  );
});
