import type { DriverError, DriverErrorReason, ShellResult } from "@backflip/core";
import { driverErrorFor } from "@backflip/core/driver-kit";

/** The `driver` of every error this package returns. */
export const DRIVER = "zfs";

/** Builds a zfs {@link DriverError}. */
export const zfsError = driverErrorFor(DRIVER);

/** Rules from a failed `zfs` command's stderr to a reason, for OpenZFS 2.x and zfs-fuse wording. */
const RULES: ReadonlyArray<readonly [RegExp, DriverErrorReason, string | undefined]> = [
  [
    /dataset does not exist|could not find any snapshots to destroy|no such pool/i,
    "not_found",
    "check the dataset and snapshot names: zfs list -t snapshot -r <dataset>",
  ],
  [
    /dataset already exists/i,
    "conflict",
    "a snapshot with that name exists already: pick another name or use it",
  ],
  [/more recent snapshots/i, "conflict", "newer snapshots exist: a rollback needs -r, which destroys them"],
  [
    /dataset is busy|pool is busy|device busy/i,
    "conflict",
    "the dataset is in use: stop the container first (incus stop <container>)",
  ],
  [
    /has dependent clones|snapshot has dependent/i,
    "conflict",
    "clones depend on this snapshot: promote or destroy them first",
  ],
  [
    /permission denied|must be root|insufficient privileges|operation not permitted/i,
    "unauthorized",
    "run zfs as root (or through sudo) on the host",
  ],
  [
    /failed to initialize ZFS library|zfs-fuse daemon|\/dev\/zfs|connect: /i,
    "unavailable",
    "the ZFS service is not running on the host",
  ],
  [/invalid property|invalid option|bad property list/i, "unsupported", undefined],
];

/** Classifies a finished `zfs` command that exited non-zero; the message keeps zfs's own words. */
export function zfsFailure(op: string, what: string, shellName: string, result: ShellResult): DriverError {
  const stderr = result.stderr.trim();
  const firstLines = stderr.split("\n").slice(0, 6).join("\n");
  const details = { exitCode: result.exitCode, shell: shellName };
  if (result.exitCode === 127 && !/cannot/i.test(stderr)) {
    return zfsError(op, "unavailable", `zfs is not installed (or not on PATH) on ${shellName}`, {
      hint: "install the ZFS tools on the host, or pass the command's full path as zfsCommand",
      details,
    });
  }
  for (const [pattern, reason, hint] of RULES) {
    if (pattern.test(stderr)) {
      return zfsError(op, reason, `${what} failed on ${shellName}: ${firstLines}`, {
        ...(hint === undefined ? {} : { hint }),
        details,
      });
    }
  }
  return zfsError(
    op,
    "failed",
    `${what} failed on ${shellName} (exit ${result.exitCode ?? result.signal}): ${firstLines || "(no output)"}`,
    {
      details,
    },
  );
}
