import type { DatasetSnapshot } from "@backflip/core";

/**
 * Parses `zfs get -H -p -r -d 1 -o name,property,value createtxg,creation <dataset>`
 * (same shape on OpenZFS 2.x and zfs-fuse) into the dataset's own snapshots, oldest
 * first: ordered by `createtxg`, then creation time, then name. Lines of the dataset
 * itself and of child datasets are skipped. Returns `null` when a creation time is
 * not numeric (the tool ignored `-p`).
 */
export function parseSnapshots(dataset: string, output: string): DatasetSnapshot[] | null {
  const rows = new Map<string, { txg?: number; creation?: number }>();
  for (const line of output.split("\n")) {
    const [name, property, value] = line.replace(/\r$/, "").split("\t");
    if (name === undefined || property === undefined || value === undefined) continue;
    if (!name.startsWith(`${dataset}@`)) continue;
    const row = rows.get(name) ?? {};
    if (property === "createtxg") row.txg = Number(value);
    if (property === "creation") {
      if (!/^\d+$/.test(value)) return null;
      row.creation = Number(value);
    }
    rows.set(name, row);
  }
  return [...rows.entries()]
    .filter(([, row]) => row.creation !== undefined)
    .sort(
      ([a, x], [b, y]) =>
        (x.txg ?? 0) - (y.txg ?? 0) || (x.creation ?? 0) - (y.creation ?? 0) || a.localeCompare(b),
    )
    .map(([name, row]) => ({
      dataset,
      name: name.slice(dataset.length + 1),
      createdAt: new Date((row.creation ?? 0) * 1000).toISOString(),
    }));
}

/** Parses the single value of `zfs get -H -p -o value written@<snap> <dataset>`; `null` when not a byte count. */
export function parseBytes(output: string): number | null {
  const value = output.trim();
  return /^\d+$/.test(value) ? Number(value) : null;
}
