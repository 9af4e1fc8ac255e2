import { mkdtempSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createIncusCoordination } from "../src/create-incus-coordination";

describe("createIncusCoordination", () => {
  it("refuses bad options with invalid_input naming the field", () => {
    for (const options of [
      { prefix: "Bad_Prefix" },
      { prefix: "-x" },
      { actor: "a\nb" },
      { requestTimeoutMs: 0 },
      { socketPath: "/run/incus.sock", endpoint: "https://incus.example.net:8443" },
    ]) {
      expect(createIncusCoordination(options)._unsafeUnwrapErr().reason, JSON.stringify(options)).toBe(
        "invalid_input",
      );
    }
  });

  it("answers timeout, not a hang, when Incus accepts the connection and never answers", async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    const socketPath = join(mkdtempSync(join(tmpdir(), "backflip-mute-incus-")), "unix.socket");
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const team = createIncusCoordination({ socketPath, requestTimeoutMs: 200 })._unsafeUnwrap();
      const taken = await team.lock.acquire("staging", { owner: "alice", ttlMs: 60_000 });
      expect(taken._unsafeUnwrapErr()).toMatchObject({ driver: "incus", op: "acquire", reason: "timeout" });
      expect(taken._unsafeUnwrapErr().message).toContain("backflip-anchor-staging");
      const read = await team.journal.read("run-1");
      expect(read._unsafeUnwrapErr().reason).toBe("timeout");
      for (const s of sockets) s.destroy();
      await team.close();
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
