import type { Command } from "../command";

/** One subcommand as the top-level `--help` lists it, and how to load the rest of it. */
export interface CommandEntry {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Loads the command's module (its help, options and code): only the command that runs is loaded. */
  load(): Promise<Command>;
}

/**
 * Every subcommand, in the order `--help` lists them: names and summaries without their
 * modules, so `backflip --help` loads no command, recipe or driver code, and a command
 * loads only its own module.
 */
export const COMMAND_TABLE = [
  {
    name: "status",
    summary: "active color, history, containers per color, artifacts, migrations, runs in flight, leases",
    load: () => import("./status").then((m) => m.statusCommand),
  },
  {
    name: "runs",
    summary: "list the runs in the journal, newest first: id, env, path, actor, started, state",
    load: () => import("./runs").then((m) => m.runsCommand),
  },
  {
    name: "decide",
    summary: "observe the target and say what the runbook says to do (and the command for it)",
    load: () => import("./decide").then((m) => m.decideCommand),
  },
  {
    name: "plan",
    summary: "dry run: the plan a rollback would run (rendered, or JSON with --json)",
    load: () => import("./rollback").then((m) => m.planCommand),
  },
  {
    name: "rollback",
    summary: "roll back: --mode fast (Path 1) or --mode full (Path 2); --dry-run shows the plan",
    load: () => import("./rollback").then((m) => m.rollbackCommand),
  },
  {
    name: "resume",
    summary: "resume a run cut short (killed, journal failed) from its journal; --revert undoes it",
    load: () => import("./resume").then((m) => m.resumeCommand),
  },
  {
    name: "cleanup",
    summary: "destroy a failed color's app containers (never the live one); dry run unless --yes",
    load: () => import("./cleanup").then((m) => m.cleanupCommand),
  },
  {
    name: "postmortem",
    summary:
      "the post-incident record of a run, from the journal: what, who, steps, what changed, what is left",
    load: () => import("./postmortem").then((m) => m.postmortemCommand),
  },
  {
    name: "lease",
    summary: "show who holds each environment's lease (and recorded breaks); break a stale one with a reason",
    load: () => import("./lease").then((m) => m.leaseCommand),
  },
  {
    name: "push-artifact",
    summary: "Path 3: push rebuilt tarballs for a SHA the registry purged (then run --mode full)",
    load: () => import("./push-artifact").then((m) => m.pushArtifactCommand),
  },
  {
    name: "inverse-sql",
    summary: "Path 3: apply a destructive migration's inverse SQL in one transaction (then --mode full)",
    load: () => import("./inverse-sql").then((m) => m.inverseSqlCommand),
  },
  {
    name: "snapshots",
    summary: "list a data container's snapshots, newest first (the names restore-snapshot takes)",
    load: () => import("./snapshots").then((m) => m.snapshotsCommand),
  },
  {
    name: "restore-snapshot",
    summary:
      "Path 3, last resort: ZFS rollback of a container (LOSES DATA); dry run unless --yes --acknowledge-data-loss",
    load: () => import("./restore-snapshot").then((m) => m.restoreSnapshotCommand),
  },
  {
    name: "init",
    summary:
      "write a commented starting backflip.config.json, or .ts with --ts (simulated fleet, or --stack for real drivers)",
    load: () => import("./init").then((m) => m.initCommand),
  },
] as const satisfies readonly CommandEntry[];

/** A command's name, as the table spells it. */
export type CommandName = (typeof COMMAND_TABLE)[number]["name"];

/** A command module's name and summary, from the table (its one place). */
export function described(name: CommandName): { name: string; summary: string } {
  const entry = COMMAND_TABLE.find((c) => c.name === name) as CommandEntry;
  return { name: entry.name, summary: entry.summary };
}
