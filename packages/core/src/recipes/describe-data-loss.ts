import type { DataLossReport } from "../ports/snapshot-store";

const duration = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
};

/** One line saying what a snapshot rollback would lose: writes since when, newer snapshots, bytes. */
export function describeDataLoss(report: DataLossReport): string {
  const { target } = report;
  const destroyed = report.destroyedSnapshots.length
    ? `destroys ${report.destroyedSnapshots.length} newer snapshot(s) (${report.destroyedSnapshots.map((s) => `@${s.name}`).join(", ")})`
    : "destroys no newer snapshot";
  const bytes = report.bytesWritten === null ? "" : `, ${report.bytesWritten} bytes written since`;
  return `loses every write to ${target.dataset} since ${target.createdAt} (${duration(report.sinceMs)} ago)${bytes}; ${destroyed}`;
}
