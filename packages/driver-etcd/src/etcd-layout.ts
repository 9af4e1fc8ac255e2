/**
 * Where the lease lock and the journal keep their keys under a prefix (text keys; the
 * client encodes them):
 *
 * - `<prefix>/leases/<key>` — the lease on `key` (an environment);
 * - `<prefix>/runs/<runId>/<seq, 10 digits>` — one journal record (key order = seq order);
 * - `<prefix>/run-ids/<runId>` — one key per run, written with its first record, so
 *   listing runs does not read their records;
 * - `<prefix>/breaks/<key>/<token, 20 digits>` — who broke the stale lease `token` on `key`.
 */
export const etcdLayout = {
  lease: (prefix: string, key: string) => `${prefix}/leases/${key}`,
  runRecords: (prefix: string, runId: string) => `${prefix}/runs/${runId}/`,
  record: (prefix: string, runId: string, seq: number) =>
    `${prefix}/runs/${runId}/${String(seq).padStart(10, "0")}`,
  runIds: (prefix: string) => `${prefix}/run-ids/`,
  runId: (prefix: string, runId: string) => `${prefix}/run-ids/${runId}`,
  breaks: (prefix: string, key: string) => `${prefix}/breaks/${key}/`,
  break: (prefix: string, key: string, token: number) =>
    `${prefix}/breaks/${key}/${String(token).padStart(20, "0")}`,
} as const;
