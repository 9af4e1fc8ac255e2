import { createIncusCoordination, type IncusCoordination } from "../src/create-incus-coordination";
import { destroy, incus, incusSocket } from "./incus-lab";

let made = 0;

/** A prefix no other test (or test process) uses, so each test starts from no anchors. */
export function uniquePrefix(tag = "h3"): string {
  made++;
  return `${tag}-${process.pid.toString(36)}-${made}`;
}

/** A coordination store on the test socket under `prefix` (with `archiveRuns` when given). */
export function coordination(prefix: string, actor?: string, archiveRuns?: number): IncusCoordination {
  return createIncusCoordination({
    socketPath: incusSocket,
    prefix,
    ...(actor === undefined ? {} : { actor }),
    ...(archiveRuns === undefined ? {} : { archiveRuns }),
  })._unsafeUnwrap();
}

/** Deletes every anchor and archive instance named under `prefix`. */
export async function removeAnchors(prefix: string): Promise<void> {
  const names = (await incus("list", "--format", "csv", "-c", "n")).split("\n").filter(Boolean);
  for (const name of names) {
    if (name.startsWith(`${prefix}-anchor-`) || name.startsWith(`${prefix}-archive`)) await destroy(name);
  }
}
