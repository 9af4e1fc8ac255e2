/**
 * The top-level help, on its own: `backflip --help` loads this module and the command
 * table only — no command, recipe or driver code (what `bench:cli`'s help_ms measures).
 */
import { COMMAND_TABLE } from "./commands/table";
import { EXIT_CODES_HELP } from "./exit-codes";
import { BACKFLIP, type Program, withProgram } from "./program";

/** The help text's shared part: the global options. */
export const GLOBAL_HELP = `Global options:
  --config FILE       the stack's config: JSON, or TypeScript if FILE ends in .ts/.mts
                      (default ./backflip.config.json, else ./backflip.config.ts; both
                      there is an error; %prog init [--ts] writes a starting one); a flag
                      given here wins over it
  --env NAME          environment (default staging; lab with --target lab)
  --target KIND       simulated (default: the simulated fleet), or a target the CLI adds
  --state-dir DIR     the file store's journal and locks, the simulated world (default ./.backflip)
  --coordination KIND where leases and the journal live: file (default: the state dir,
                      this machine only) | incus (anchor instances on the local Incus)
                      | etcd (needs --etcd-endpoints); see docs/team.md
  --etcd-endpoints U  the etcd members' client URLs, comma-separated
  --coordination-prefix NAME
                      a shared store's namespace (default backflip): Incus anchors
                      NAME-anchor-<env>, etcd keys under /NAME
  --json              JSON on stdout: one object per line
  -h, --help          this help`;

/** The top-level `--help`. */
export function mainHelp(program: Program = BACKFLIP): string {
  const width = Math.max(...COMMAND_TABLE.map((c) => c.name.length));
  return withProgram(
    `Usage: %prog <command> [options]      (%prog <command> --help for each)

Rolls back a blue/green deploy the way the runbook says, with a journal (resume after a
crash), a per-environment lock, live progress, and JSON with --json.

Commands:
${COMMAND_TABLE.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

${GLOBAL_HELP}

Examples:
  %prog status
  %prog decide --symptom public-probe-failing --on-call --paged
  %prog rollback --mode fast --reason "green 500s since the deploy"
  %prog resume 20261126T053300Z-3fa9c1 --break-stale-lock
  %prog postmortem 20261126T053300Z-3fa9c1 --file docs/POSTMORTEMS.md
  %prog lease show --coordination incus

${EXIT_CODES_HELP}`,
    program,
  );
}

/** True when `argv` (without `node` and the script) asks for the top-level help: nothing, `--help`, `-h` or `help`. */
export function isMainHelp(argv: readonly string[]): boolean {
  const [name] = argv;
  return name === undefined || name === "--help" || name === "-h" || name === "help";
}
