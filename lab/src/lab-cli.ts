/**
 * `pnpm lab up | down | status [--cluster]`: the lab's entry point (see docs/lab.md).
 * @module
 */
import { formatDriverError } from "@backflip/core";

const USAGE = `usage: pnpm lab up | down | status [--cluster]

  up      provision env "lab" on the local Incus (idempotent): app containers
          veza-lab-{backend,stream,web}-{blue,green}, veza-lab-haproxy, the fake registry
          and veza-lab-postgres (PostgreSQL on the zfs-fuse dataset of pool rpool,
          pre-deploy-<sha> snapshots; skipped without zfs, sshd, postgres)
  down    remove every container, process and state file the lab made
  status  report each piece (exit 1 when something is missing or unhealthy)

  --cluster  the same on the 3-member Incus cluster (as BACKFLIP_LAB_SITE=cluster):
             blue on m2, green on m3, veza-lab-haproxy on m1, public URL 127.0.0.1:18650,
             state in $BACKFLIP_BACKENDS_DIR/lab-cluster; no fleet edges, no PostgreSQL

needs: scripts/backends up incus haproxy (and zfs sshd postgres for veza-lab-postgres;
       incus-cluster for --cluster)`;

const log = (line: string) => console.log(line);
const [command, ...flags] = process.argv.slice(2);

async function main(): Promise<number> {
  if (flags.some((f) => f !== "--cluster")) {
    console.error(USAGE);
    return 2;
  }
  // The lab's modules read the site when loaded: set it first, then load them.
  if (flags.includes("--cluster")) process.env.BACKFLIP_LAB_SITE = "cluster";
  const [{ labDown }, { labStatus }, { labUp }] = await Promise.all([
    import("./lab-down"),
    import("./lab-status"),
    import("./lab-up"),
  ]);
  switch (command) {
    case "up": {
      const r = await labUp(log);
      if (r.isErr()) {
        console.error(`lab up failed: ${formatDriverError(r.error)}`);
        return 1;
      }
      await r.value.host.close();
      log("lab: up");
      return 0;
    }
    case "down": {
      const r = await labDown(log);
      if (r.isErr()) {
        console.error(`lab down failed: ${formatDriverError(r.error)}`);
        return 1;
      }
      log("lab: down");
      return 0;
    }
    case "status": {
      const r = await labStatus();
      for (const line of r.lines) log(line);
      return r.ok ? 0 : 1;
    }
    case "-h":
    case "--help":
    case "help":
      log(USAGE);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (cause: unknown) => {
    console.error(cause);
    process.exitCode = 1;
  },
);
