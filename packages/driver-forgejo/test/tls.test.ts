import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { vezaTopology } from "@backflip/core";
import { type FakeForgejo, startFakeForgejo } from "@backflip/driver-forgejo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ForgejoEvent } from "../src/forgejo-event";
import { createForgejoRegistry } from "../src/forgejo-registry";
import { newSha } from "./helpers";

const run = promisify(execFile);
let dir: string;
let fake: FakeForgejo;
let cert: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "forgejo-tls-"));
  const key = join(dir, "key.pem");
  const crt = join(dir, "cert.pem");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    crt,
    "-days",
    "1",
    "-subj",
    "/CN=fake-forgejo",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  cert = await readFile(crt, "utf8");
  fake = await startFakeForgejo({ tls: { key: await readFile(key), cert } });
});
afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
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
