/**
 * Path 3 — tarball missing: the registry was purged of the SHA you need. Push the
 * artefacts you rebuilt locally, then run Path 2.
 * Run: `npx tsx examples/emergency-rebuild-push.ts`
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rebuildAndPush, redeploy } from "@backflip/core/recipes";
import { fleetSha } from "@backflip/driver-mock";
import type { Out } from "./lib/progress";
import { dryRunThenRun, runIfMain, simulatedFleet, topology } from "./lib/simulated";

/** Runs the example on a fresh simulated fleet; true when the pushed SHA is live after Path 2. */
export async function main(out: Out): Promise<boolean> {
  const [a, b] = [fleetSha("A: purged from the registry"), fleetSha("B: bad")];
  const fleet = simulatedFleet({
    active: "green",
    colors: {
      blue: { sha: b, running: false, healthy: true },
      green: { sha: b, running: true, healthy: false },
    },
    history: [
      { at: "2026-01-01T00:00:00.000Z", color: "green", sha: b },
      { at: "2025-12-31T22:00:00.000Z", color: "blue", sha: a },
    ],
    artifacts: [b],
  });
  const who = { actor: "alice", reason: "registry purged of A" };
  const refused = await redeploy(topology, fleet.drivers, { ...who, sha: a });
  if (refused.isErr()) out(`Path 2 refused: ${refused.error.message} (next: ${refused.error.hint})`);

  // "Build the artefact locally (you'll need the toolchain)": stand-ins for the tarballs.
  const dir = await mkdtemp(join(tmpdir(), "backflip-rebuild-"));
  try {
    const artifacts = await Promise.all(
      topology.containers.components.map(async (component) => {
        const path = join(dir, `veza-${component}-${a}.tar.zst`);
        await writeFile(path, `veza-${component} built from ${a}\n`);
        return { component, path };
      }),
    );
    const push = await rebuildAndPush(topology, fleet.drivers, { ...who, sha: a, artifacts });
    if (push.isErr()) {
      out(`cannot plan: ${push.error.message}`);
      return false;
    }
    if (!(await dryRunThenRun(fleet, push.value, out)).ok) return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  out("Then run Path 2:");
  const path2 = await redeploy(topology, fleet.drivers, { ...who, sha: a });
  if (path2.isErr()) {
    out(`cannot plan: ${path2.error.message}`);
    return false;
  }
  const { ok } = await dryRunThenRun(fleet, path2.value, out);
  return ok && fleet.world.traffic().history[0]?.sha === a;
}

runIfMain(import.meta.url, main);
