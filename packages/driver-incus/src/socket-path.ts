import { join } from "node:path";

/**
 * The local Incus socket, found like the official client does: `$INCUS_SOCKET`, else
 * `$INCUS_DIR/unix.socket`, else `/var/lib/incus/unix.socket`.
 */
export function incusSocketPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.INCUS_SOCKET) return env.INCUS_SOCKET;
  if (env.INCUS_DIR) return join(env.INCUS_DIR, "unix.socket");
  return "/var/lib/incus/unix.socket";
}
