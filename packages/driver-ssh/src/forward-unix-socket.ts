import { rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import type { DriverError } from "@backflip/core";
import { absolutePathSchema, parseInput } from "@backflip/core/driver-kit";
import { errAsync, ResultAsync } from "neverthrow";
import type { ClientChannel } from "ssh2";
import { DRIVER, safeCause, sshError } from "./ssh-error";
import type { SshLink } from "./ssh-link";

/** A local unix socket whose connections reach a unix socket on the SSH host (like `ssh -L local:remote`). */
export interface UnixSocketForward {
  /** The local socket to connect to. */
  readonly path: string;
  /** Stops listening and removes the local socket; open connections end. */
  close(): Promise<void>;
}

/**
 * Listens on `localPath` (a stale socket file there is replaced) and carries each
 * connection over the SSH link to `remotePath` on the host (OpenSSH's
 * `direct-streamlocal@openssh.com`; the server must allow stream-local forwarding). A
 * connection the host refuses is closed at once: the local client sees a reset.
 */
export function forwardUnixSocket(
  link: SshLink,
  shellName: string,
  remotePath: string,
  localPath: string,
): ResultAsync<UnixSocketForward, DriverError> {
  const checked = parseInput(absolutePathSchema, remotePath, { driver: DRIVER, op: "forward" }).andThen(() =>
    parseInput(absolutePathSchema, localPath, { driver: DRIVER, op: "forward" }),
  );
  if (checked.isErr()) return errAsync(checked.error);
  const open = new Set<Socket>();
  const server = createServer((local) => {
    open.add(local);
    local.on("close", () => open.delete(local));
    local.on("error", () => local.destroy());
    void link.acquire().then((acquired) => {
      if (acquired.isErr() || local.destroyed) return local.destroy();
      acquired.value.client.openssh_forwardOutStreamLocal(
        remotePath,
        (error: Error | undefined, remote: ClientChannel) => {
          if (error || local.destroyed) {
            remote?.close();
            return local.destroy();
          }
          local.pipe(remote).pipe(local);
          remote.on("close", () => local.destroy());
          local.on("close", () => remote.close());
        },
      );
    });
  });
  const listening = rm(localPath, { force: true }).then(
    () =>
      new Promise<Server>((resolve, reject) => {
        server.once("error", reject);
        server.listen(localPath, () => resolve(server));
      }),
  );
  return ResultAsync.fromPromise(listening, (cause) =>
    sshError("forward", "failed", `cannot listen on ${localPath} to forward ${remotePath} on ${shellName}`, {
      details: { localPath, remotePath },
      cause: safeCause(cause),
    }),
  ).map((s) => ({
    path: localPath,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
      await rm(localPath, { force: true });
    },
  }));
}
