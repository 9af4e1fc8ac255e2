import { join } from "node:path";
import { FileJournal, FileLeaseLock } from "@backflip/core";
import type { Fleet } from "@backflip/driver-mock";
import { simulatedFleet } from "../lib/simulated";
import type { ServiceTarget } from "./service-target";

/**
 * The service's target on a simulated fleet (env `staging`, as the demo's): every system is
 * in memory and nothing real is touched. Runs are journaled and leased in real files under
 * `stateDir` (`journal/`, `locks/`), as a service would on its own disk.
 */
export function simulatedTarget(stateDir: string): { target: ServiceTarget; fleet: Fleet } {
  const fleet = simulatedFleet();
  const lock = new FileLeaseLock({ dir: join(stateDir, "locks") });
  const journal = new FileJournal({ dir: join(stateDir, "journal"), fencedBy: lock });
  return {
    fleet,
    target: {
      description:
        "On a simulated fleet: Incus, HAProxy and the probe are simulated in memory; nothing real is touched.",
      topology: fleet.topology,
      drivers: fleet.drivers,
      journal,
      lock,
    },
  };
}
