import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type DegradedMarker, fileDegradedMarker } from "../src/fleet/degraded-marker";

const marker: DegradedMarker = {
  runId: "run-1",
  at: "2026-01-01T00:00:00.000Z",
  color: "blue",
  lagging: [{ edge: "edge-2", why: "reload failed" }],
  actor: "alice",
};

describe("fileDegradedMarker", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const store = async () => {
    dir = await mkdtemp(join(tmpdir(), "backflip-marker-"));
    return { path: join(dir, "fleet.degraded"), s: fileDegradedMarker(join(dir, "fleet.degraded")) };
  };

  it("no file is not degraded; write, read back, clear", async () => {
    const { path, s } = await store();
    expect((await s.read())._unsafeUnwrap()).toBeNull();
    (await s.write(marker))._unsafeUnwrap();
    expect((await s.read())._unsafeUnwrap()).toEqual(marker);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual(marker);
    (await s.clear())._unsafeUnwrap();
    expect((await s.read())._unsafeUnwrap()).toBeNull();
  });

  it("a file Backflip did not write is invalid_input, not a marker", async () => {
    const { path, s } = await store();
    await writeFile(path, '{"runId": "x; rm -rf /"}');
    const error = (await s.read())._unsafeUnwrapErr();
    expect(error.reason).toBe("invalid_input");
    expect(error.message).not.toContain("rm -rf");
  });
});
