import type { Command } from "../command";
import { cleanupCommand } from "./cleanup";
import { decideCommand } from "./decide";
import { initCommand } from "./init";
import { inverseSqlCommand } from "./inverse-sql";
import { leaseCommand } from "./lease";
import { postmortemCommand } from "./postmortem";
import { pushArtifactCommand } from "./push-artifact";
import { restoreSnapshotCommand } from "./restore-snapshot";
import { resumeCommand } from "./resume";
import { planCommand, rollbackCommand } from "./rollback";
import { runsCommand } from "./runs";
import { snapshotsCommand } from "./snapshots";
import { statusCommand } from "./status";

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  statusCommand,
  runsCommand,
  decideCommand,
  planCommand,
  rollbackCommand,
  resumeCommand,
  cleanupCommand,
  postmortemCommand,
  leaseCommand,
  pushArtifactCommand,
  inverseSqlCommand,
  snapshotsCommand,
  restoreSnapshotCommand,
  initCommand,
];
