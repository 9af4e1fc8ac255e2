import { type DriverError, driverError } from "@backflip/core";
import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import type { IncusInstances } from "./incus-instances";

interface IdmapEntry {
  readonly Isuid?: boolean;
  readonly Isgid?: boolean;
  readonly Hostid?: number;
  readonly Nsid?: number;
  readonly Maprange?: number;
}

/**
 * The host uid and gid that an unprivileged container's `uid`/`gid` are on the host:
 * read from Incus's `volatile.idmap.current` (set once started) or `volatile.idmap.next`
 * (set at creation). A host path given to the container by a disk device must be owned
 * by those ids for the user inside to own it (`1000101:1000104` for 101/104 with Incus's
 * default map at 1000000; the ids themselves for a privileged container).
 */
export function hostIdsOf(
  instances: IncusInstances,
  container: string,
  ids: { readonly uid: number; readonly gid: number },
): ResultAsync<{ uid: number; gid: number }, DriverError> {
  return instances.config(container).andThen((config) => {
    const raw = config?.["volatile.idmap.current"] || config?.["volatile.idmap.next"] || "";
    let entries: IdmapEntry[] = [];
    try {
      entries = raw ? (JSON.parse(raw) as IdmapEntry[]) : [];
    } catch {
      entries = [];
    }
    // A privileged container (empty map) sees the host's ids as they are.
    if (raw === "[]") return okAsync({ uid: ids.uid, gid: ids.gid });
    const map = (id: number, kind: "Isuid" | "Isgid") => {
      const e = entries.find(
        (x) =>
          x[kind] &&
          x.Nsid !== undefined &&
          x.Maprange !== undefined &&
          id >= x.Nsid &&
          id < x.Nsid + x.Maprange,
      );
      return e?.Hostid === undefined || e.Nsid === undefined ? null : e.Hostid + (id - e.Nsid);
    };
    const uid = map(ids.uid, "Isuid");
    const gid = map(ids.gid, "Isgid");
    if (uid === null || gid === null)
      return errAsync(
        driverError({
          driver: "lab",
          op: "idmap",
          reason: "failed",
          message: `${container} has no id map covering ${ids.uid}:${ids.gid} (volatile.idmap: ${raw || "none"})`,
          hint: "the lab's containers are unprivileged with Incus's default map: `pnpm lab down && pnpm lab up`",
        }),
      );
    return okAsync({ uid, gid });
  });
}
