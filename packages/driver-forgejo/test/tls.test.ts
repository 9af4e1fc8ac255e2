import { vezaTopology } from "@backflip/core/recipes";
import { selfSignedCertificate } from "@backflip/core/testing";
import { type FakeForgejo, startFakeForgejo } from "@backflip/driver-forgejo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForgejoEvent } from "../src/forgejo-event";
import { createForgejoRegistry } from "../src/forgejo-registry";
import { newSha } from "./helpers";

let fake: FakeForgejo;
let cert: string;

beforeAll(async () => {
  const made = (await selfSignedCertificate("fake-forgejo", "IP:127.0.0.1"))._unsafeUnwrap();
  cert = made.cert;
  fake = await startFakeForgejo({ tls: made });
});
afterAll(async () => {
  await fake?.close();
});

describe("TLS", () => {
  const config = () => ({ baseUrl: fake.baseUrl, token: fake.token, topology: vezaTopology("staging") });

  it("trusts a custom CA given with `ca`", async () => {
    const registry = createForgejoRegistry({ ...config(), ca: cert })._unsafeUnwrap();
    expect((await registry.stat({ component: "backend", sha: newSha() }))._unsafeUnwrap()).toBeNull();
  });

  it("keeps verification on without it: unavailable, not retried, with the CA hint", async () => {
    const events: ForgejoEvent[] = [];
    const registry = createForgejoRegistry({ ...config(), onEvent: (e) => events.push(e) })._unsafeUnwrap();
    const error = (await registry.stat({ component: "backend", sha: newSha() }))._unsafeUnwrapErr();
    expect(error.reason).toBe("unavailable");
    expect(error.hint).toMatch(/`ca`/);
    expect(events.filter((e) => e.type === "request")).toHaveLength(1);
  });

  it("refuses ca together with a dispatcher", async () => {
    const { Agent } = await import("undici");
    const result = createForgejoRegistry({ ...config(), ca: cert, dispatcher: new Agent() });
    expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
  });
});
