import { describe, expect, it } from "vitest";
import * as z from "zod";
import { lazySchema } from "../src/driver-kit/index";

describe("lazySchema", () => {
  it("builds nothing until the schema is first used, then builds it once", () => {
    let builds = 0;
    const schema = lazySchema(() => {
      builds++;
      return z.object({ name: z.string().min(1) });
    });
    expect(builds).toBe(0);
    expect(schema.safeParse({ name: "a" }).success).toBe(true);
    expect(schema.safeParse({ name: "" }).success).toBe(false);
    expect(Object.keys(schema.shape)).toEqual(["name"]);
    expect(builds).toBe(1);
  });

  it("is a zod schema wherever one is expected: nested, composed, instanceof", () => {
    const name = lazySchema(() => z.string().regex(/^[a-z]+$/, "lower-case letters"));
    const outer = z.object({ name, tags: z.array(name).optional() });
    expect(outer.parse({ name: "a", tags: ["b"] })).toEqual({ name: "a", tags: ["b"] });
    const issue = outer.safeParse({ name: "A" }).error?.issues[0];
    expect(issue?.path).toEqual(["name"]);
    expect(issue?.message).toBe("lower-case letters");
    expect(name.optional().parse(undefined)).toBeUndefined();
    expect(name).toBeInstanceOf(z.ZodString);
    expect(Object.getPrototypeOf(name)).toBe(z.ZodString.prototype);
  });

  it("calls methods on the built schema itself, so registries see one object", () => {
    const described = lazySchema(() => z.string().describe("a name"));
    expect(described.description).toBe("a name");
    expect(described.meta()).toEqual({ description: "a name" });
    const base = lazySchema(() => z.string());
    const registry = z.registry<{ title: string }>();
    const registered = base.register(registry, { title: "base" });
    expect(registry.get(registered)).toEqual({ title: "base" });
    expect(z.toJSONSchema(z.object({ a: base }))).toMatchObject({ properties: { a: { type: "string" } } });
  });
});
