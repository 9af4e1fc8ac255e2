import { describe, expect, it } from "vitest";
import { incusSocketPath } from "../src/socket-path";

describe("incusSocketPath", () => {
  it("prefers INCUS_SOCKET, then INCUS_DIR/unix.socket, then /var/lib/incus/unix.socket", () => {
    expect(incusSocketPath({ INCUS_SOCKET: "/run/a.socket", INCUS_DIR: "/srv/incus" })).toBe("/run/a.socket");
    expect(incusSocketPath({ INCUS_DIR: "/srv/incus" })).toBe("/srv/incus/unix.socket");
    expect(incusSocketPath({})).toBe("/var/lib/incus/unix.socket");
    expect(incusSocketPath({ INCUS_SOCKET: "" })).toBe("/var/lib/incus/unix.socket");
  });
});
