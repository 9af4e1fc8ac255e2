import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vezaTopology } from "@backflip/core/recipes";
import {
  type FakeForgejo,
  type FakeForgejoOptions,
  startFakeForgejo,
} from "@backflip/driver-forgejo/testing";
import type { ForgejoConfig } from "../src/forgejo-config";
import type { ForgejoEvent } from "../src/forgejo-event";
import { createForgejoRegistry, type ForgejoRegistry } from "../src/forgejo-registry";

/** A fresh 40-hex SHA. */
export const newSha = () => randomBytes(20).toString("hex");
/** Lower-case hex sha256. */
export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Yields `bytes` in chunks. */
export async function* chunks(bytes: Uint8Array, size = 8_192): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** A fake, a registry on it, a temp dir and the events, torn down by `close`. */
export interface RegistryRig {
  readonly fake: FakeForgejo;
  readonly registry: ForgejoRegistry;
  readonly dir: string;
  readonly events: ForgejoEvent[];
  readonly file: (sha: string) => string;
  readonly count: (method: string, pathPart?: string) => number;
  close(): Promise<void>;
}

/** Starts a fake and a registry driver with fast retries. */
export async function registryRig(
  options: FakeForgejoOptions = {},
  config: Partial<ForgejoConfig> = {},
): Promise<RegistryRig> {
  const fake = await startFakeForgejo(options);
  const events: ForgejoEvent[] = [];
  const registry = createForgejoRegistry({
    baseUrl: fake.baseUrl,
    token: fake.token,
    topology: vezaTopology("staging"),
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    onEvent: (e) => events.push(e),
    ...config,
  })._unsafeUnwrap();
  const dir = await mkdtemp(join(tmpdir(), "forgejo-driver-test-"));
  return {
    fake,
    registry,
    dir,
    events,
    file: (sha) => `veza-backend-${sha}.tar.zst`,
    count: (method, pathPart = "") =>
      fake.requests.filter((r) => r.method === method && r.path.includes(pathPart)).length,
    async close() {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
