import type { Action } from "../plan/action";
import type { ArtifactOperation, ArtifactRegistry } from "../ports/artifact-registry";
import type { ContainerHost, ContainerOperation } from "../ports/container-host";
import type { Database, DatabaseOperation } from "../ports/database";
import type { Pipeline, PipelineOperation } from "../ports/pipeline";
import type { SnapshotOperation, SnapshotStore } from "../ports/snapshot-store";
import type { TrafficSwitch } from "../ports/traffic-switch";

/*
 * A step's dry run comes from the driver that will do the work: each helper asks the
 * port's optional `describe`, and falls back to a `note` naming the driver and the call
 * when the driver has none (never a guessed command for a system it may not be).
 */

/** A `note` action. */
export function note(text: string): Action {
  return { kind: "note", text };
}

/** What reading the traffic state touches (a read names no color: the switch's first is passed). */
export function readStateActions(traffic: TrafficSwitch): readonly Action[] {
  return traffic.describe("readState", { color: traffic.colors[0] ?? "" });
}

/** What `host` says a call would run, or a note. */
export function hostActions(host: ContainerHost, operation: ContainerOperation): readonly Action[] {
  if (host.describe) return host.describe(operation);
  const what = operation.op === "list" ? operation.names.join(", ") : operation.name;
  return [note(`${host.name}: ${operation.op} ${what}`)];
}

/** What `database` says a call would run, or a note. */
export function databaseActions(database: Database, operation: DatabaseOperation): readonly Action[] {
  if (database.describe) return database.describe(operation);
  const what =
    operation.op === "applySql"
      ? `apply the SQL script (${operation.lines} lines, sha256 ${operation.sha256}) in one transaction`
      : "read the migration state";
  return [note(`${database.name}: ${what}`)];
}

/** What `store` says a call would run, or a note. */
export function snapshotActions(store: SnapshotStore, operation: SnapshotOperation): readonly Action[] {
  if (store.describe) return store.describe(operation);
  const what =
    operation.op === "list"
      ? `list the snapshots of ${operation.dataset}`
      : `roll back to ${operation.dataset}@${operation.name}, destroying newer snapshots`;
  return [note(`${store.name}: ${what}`)];
}

/** What `registry` says a call would request, or a note. */
export function registryActions(registry: ArtifactRegistry, operation: ArtifactOperation): readonly Action[] {
  if (registry.describe) return registry.describe(operation);
  const artifact = `${operation.ref.component} ${operation.ref.sha}`;
  const what =
    operation.op === "upload"
      ? `upload ${operation.path} as ${artifact}`
      : operation.op === "download"
        ? `download ${artifact} (checksum verified)`
        : `look up ${artifact}`;
  return [note(`${registry.name}: ${what}`)];
}

/** What `pipeline` says a call would request, or a note. */
export function pipelineActions(pipeline: Pipeline, operation: PipelineOperation): readonly Action[] {
  if (pipeline.describe) return pipeline.describe(operation);
  if (operation.op === "follow")
    return [note(`${pipeline.name}: poll the dispatched run every ${operation.pollMs} ms until it ends`)];
  const { workflow, ref, inputs } = operation.request;
  const given = Object.entries(inputs)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return [note(`${pipeline.name}: dispatch ${workflow} on ${ref}${given ? ` with ${given}` : ""}`)];
}
