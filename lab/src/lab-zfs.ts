import { type DriverError, driverError, type Shell, type ShellResult } from "@backflip/core";
import { type PollAttempt, poll, runChecked } from "@backflip/core/driver-kit";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { inOrder } from "./in-order";
import { LAB_POOL, labPoolDir, labPoolFile, labPoolMount } from "./lab-postgres-settings";

const HINT = "bring zfs-fuse and the SSH server up with `scripts/backends up zfs sshd`, then `pnpm lab up`";

/** One host command over the lab's host shell; a non-zero exit is `failed` naming the command. */
export function onHost(
  shell: Shell,
  argv: readonly string[],
  options: { okExitCodes?: readonly number[]; timeoutMs?: number } = {},
): ResultAsync<ShellResult, DriverError> {
  return runChecked(shell, argv, {
    driver: "lab",
    op: "host",
    label: argv.join(" "),
    hint: HINT,
    timeoutMs: options.timeoutMs ?? 120_000,
    ...(options.okExitCodes ? { okExitCodes: options.okExitCodes } : {}),
  });
}

/** Whether the lab's pool is imported (`zpool list rpool`). */
export function labPoolImported(shell: Shell): ResultAsync<boolean, DriverError> {
  return onHost(shell, ["zpool", "list", "-H", "-o", "name", LAB_POOL], { okExitCodes: [0, 1] }).map(
    (r) => r.exitCode === 0,
  );
}

/** Whether a file or directory exists on the host. */
function hostHas(shell: Shell, path: string): ResultAsync<boolean, DriverError> {
  return onHost(shell, ["test", "-e", path], { okExitCodes: [0, 1] }).map((r) => r.exitCode === 0);
}

/**
 * Lazily unmounts FUSE mounts under the pool's mountpoint that no longer answer: a
 * zfs-fuse that died leaves them behind ("Transport endpoint is not connected") and the
 * pool would not mount over them again.
 */
function dropStaleMounts(shell: Shell): ResultAsync<void, DriverError> {
  const root = labPoolMount();
  return onHost(shell, ["cat", "/proc/mounts"])
    .map((r) =>
      r.stdout
        .split("\n")
        .map((line) => line.split(" ")[1] ?? "")
        .filter((m) => m === root || m.startsWith(`${root}/`))
        .sort()
        .reverse(),
    )
    .andThen((mounts) =>
      inOrder(mounts, (m) =>
        onHost(shell, ["ls", "-a", m], { okExitCodes: [0, 1, 2] }).andThen((r) =>
          r.exitCode === 0 ? okAsync(undefined) : onHost(shell, ["umount", "-l", m]).map(() => undefined),
        ),
      ),
    )
    .map(() => undefined);
}

/** Mounts every dataset of the pool that is not mounted (zfs-fuse does not always after an import). */
function mountAll(shell: Shell): ResultAsync<void, DriverError> {
  return onHost(shell, ["zfs", "list", "-H", "-o", "name,mounted", "-r", LAB_POOL])
    .map((r) =>
      r.stdout
        .split("\n")
        .map((line) => line.split("\t"))
        .filter(([name, mounted]) => name && mounted === "no")
        .map(([name]) => name ?? ""),
    )
    .andThen((names) => inOrder(names, (name) => onHost(shell, ["zfs", "mount", name])))
    .map(() => undefined);
}

/** What {@link ensureLabPool} did. */
export type PoolOutcome = "present" | "imported" | "created";

/**
 * The lab's pool `rpool`, file-backed under the lab state dir: kept when imported,
 * imported again from its file (after a restart of zfs-fuse or the machine), or created
 * (a sparse 512 MiB file). Every dataset ends up mounted. Host commands only, over `shell`.
 */
export function ensureLabPool(shell: Shell): ResultAsync<PoolOutcome, DriverError> {
  const file = labPoolFile();
  // Dead mounts go first, imported or not: zfs-fuse re-imports a pool from its cache when it
  // restarts, and the old mounts still hide the datasets.
  return dropStaleMounts(shell)
    .andThen(() => labPoolImported(shell))
    .andThen((imported): ResultAsync<PoolOutcome, DriverError> => {
      if (imported) return okAsync("present");
      return hostHas(shell, file).andThen((has) =>
        has
          ? onHost(shell, ["zpool", "import", "-d", labPoolDir(), LAB_POOL])
              .map((): PoolOutcome => "imported")
              .mapErr((e) => ({
                ...e,
                hint: `the pool cannot be imported from ${file}: \`pnpm lab down\` removes it (and the lab), then \`pnpm lab up\``,
              }))
          : onHost(shell, ["mkdir", "-p", labPoolMount()])
              .andThen(() => onHost(shell, ["truncate", "-s", "512M", file]))
              .andThen(() => onHost(shell, ["zpool", "create", "-m", labPoolMount(), LAB_POOL, file]))
              .map((): PoolOutcome => "created"),
      );
    })
    .andThen((outcome) => mountAll(shell).map(() => outcome));
}

/**
 * The dataset exists (`zfs create -p` when missing) and is mounted; its mountpoint, and
 * whether it was just created.
 */
export function ensureLabDataset(
  shell: Shell,
  dataset: string,
): ResultAsync<{ mountpoint: string; created: boolean }, DriverError> {
  return onHost(shell, ["zfs", "list", "-H", "-o", "name", dataset], { okExitCodes: [0, 1] })
    .andThen((r) =>
      r.exitCode === 0 ? okAsync(false) : onHost(shell, ["zfs", "create", "-p", dataset]).map(() => true),
    )
    .andThen((created) =>
      onHost(shell, ["zfs", "get", "-H", "-o", "value", "mountpoint", dataset]).andThen((r) => {
        const mountpoint = r.stdout.trim();
        return mountpoint.startsWith("/")
          ? okAsync({ mountpoint, created })
          : errAsync(hostFailure(`${dataset} has no usable mountpoint (${mountpoint || "none"})`));
      }),
    );
}

/**
 * Gives the dataset's root to the container's `postgres` user as the host sees it
 * (`hostUid:hostGid`, the container's id map applied), mode 0700, unless it already is.
 */
export function ownDataset(
  shell: Shell,
  mountpoint: string,
  hostUid: number,
  hostGid: number,
): ResultAsync<boolean, DriverError> {
  const owner = `${hostUid}:${hostGid}`;
  return onHost(shell, ["stat", "-c", "%u:%g %a", mountpoint]).andThen((r) =>
    r.stdout.trim() === `${owner} 700`
      ? okAsync(false)
      : onHost(shell, ["chown", owner, mountpoint])
          .andThen(() => onHost(shell, ["chmod", "0700", mountpoint]))
          .map(() => true),
  );
}

/**
 * Destroys the lab's pool with everything in it (datasets, snapshots) when it is
 * imported; zfs-fuse answers "busy" for a moment after a container let go of a mount, so
 * it retries. Whether a pool was destroyed.
 */
export function destroyLabPool(shell: Shell): ResultAsync<boolean, DriverError> {
  // A refused destroy is a value (retried); failing to ask whether the pool is still there ends the wait.
  const attempt = ({ attempt }: PollAttempt): ResultAsync<DriverError | null, DriverError> =>
    (attempt === 1 ? okAsync(true) : labPoolImported(shell)).andThen((still) =>
      still
        ? onHost(shell, ["zpool", "destroy", "-f", LAB_POOL])
            .map((): DriverError | null => null)
            .orElse((e) => okAsync(e))
        : okAsync(null),
    );
  const destroy = () =>
    poll({
      read: attempt,
      done: (refused) => refused === null,
      // Only the number of attempts bounds this wait.
      timeoutMs: Number.POSITIVE_INFINITY,
      maxAttempts: 10,
      backoff: () => 500,
    })
      .map(() => true)
      .mapErr((failure) =>
        failure.kind === "error"
          ? failure.error
          : failure.kind === "exhausted" && "value" in failure.last && failure.last.value !== null
            ? failure.last.value
            : hostFailure(`could not destroy the pool ${LAB_POOL}`),
      );
  return labPoolImported(shell).andThen((imported) => (imported ? destroy() : okAsync(false)));
}

function hostFailure(message: string): DriverError {
  return driverError({ driver: "lab", op: "host", reason: "failed", message, hint: HINT });
}
