import { datasetName } from "@backflip/core";
import { instanceNameSchema } from "@backflip/core/driver-kit";
import { globalSchema, optional } from "../cli-args";
import { type Command, GLOBAL_HELP, validateOrFail } from "../command";
import { EXIT, EXIT_CODES_HELP, exitForDriverError } from "../exit-codes";
import { fail, failDriver } from "../output";
import { described } from "./table";

const schema = globalSchema.extend({ container: optional(instanceNameSchema) });

/** `backflip snapshots`: the ZFS snapshots of a data container, newest first — what `restore-snapshot --snapshot` takes. */
export const snapshotsCommand: Command = {
  ...described("snapshots"),
  positionals: 0,
  options: { container: { type: "string" } },
  help: `Usage: %prog snapshots [--container C] [options]

Lists the snapshots of a container's dataset, newest first: the name after @ (what
\`%prog restore-snapshot --snapshot\` takes) and when it was taken. Changes nothing.

Options:
  --container C   the container (default: the topology's database container)

${GLOBAL_HELP}

Examples:
  %prog snapshots
  %prog snapshots --container veza-staging-postgres --json

${EXIT_CODES_HELP}`,
  async run(raw, out, session) {
    const args = validateOrFail(out, "snapshots", schema, raw.values);
    if (!args) return EXIT.usage;
    const target = await session.open(args, out);
    if (typeof target === "number") return target;
    const { topology, drivers } = target;
    const container = args.container ?? topology.database?.container;
    if (!drivers.snapshots || !topology.snapshots || !container)
      return fail(out, EXIT.usage, {
        message: `the target has no snapshots${container ? "" : " (and no database container: pass --container)"}`,
        hint: "snapshots need a snapshot driver and the topology's snapshots section",
        reason: "usage",
      });
    const dataset = datasetName(topology.snapshots, container);
    const listed = await drivers.snapshots.list(dataset);
    if (listed.isErr()) return failDriver(out, exitForDriverError(listed.error), listed.error);
    const snapshots = [...listed.value].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    out.text(`snapshots of ${dataset} (${container}), newest first:`);
    if (snapshots.length === 0) out.text("  none");
    for (const s of snapshots) {
      out.text(`  ${s.name}  taken ${s.createdAt}`);
      out.object({ type: "snapshot", container, ...s });
    }
    return EXIT.ok;
  },
};
