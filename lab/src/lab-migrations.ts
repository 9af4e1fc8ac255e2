import type { LabReleaseName } from "./lab-releases";

/** A lab track: what the `tracks` table holds after the migrations. */
interface Track {
  readonly id: number;
  readonly title: string;
  readonly seconds: number;
}

const TRACKS: readonly Track[] = [
  { id: 1, title: "Blue in Green", seconds: 337 },
  { id: 2, title: "So What", seconds: 562 },
  { id: 3, title: "Freddie Freeloader", seconds: 586 },
];
const PLAYLISTS = [
  { id: 1, name: "late night" },
  { id: 2, name: "focus" },
] as const;
const PLAYLIST_TRACKS = [
  { playlist: 1, track: 1, position: 1 },
  { playlist: 1, track: 2, position: 2 },
  { playlist: 2, track: 3, position: 1 },
] as const;

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** One golang-migrate style migration of the lab's database: its version, name and up SQL. */
export interface LabMigration {
  readonly version: number;
  readonly name: string;
  readonly up: string;
}

/**
 * The lab's migrations, oldest first. 1 is the baseline; 2, 3 and 4 are the migrations of
 * the releases `old`, `prior` and `current`, run by their deploys after the
 * `pre-deploy-<sha>` snapshot. 4 is **destructive** (renames `tracks.duration_s` and
 * rewrites it in milliseconds): the binary of `prior` crashes against it, which is
 * Path 3's "schema is poisoned" case; its inverse is {@link LAB_INVERSE_SQL}.
 */
export const LAB_MIGRATIONS: readonly LabMigration[] = [
  {
    version: 1,
    name: "0001_create_tracks",
    up: `CREATE TABLE tracks (id bigint PRIMARY KEY, title text NOT NULL, duration_s integer NOT NULL);
INSERT INTO tracks (id, title, duration_s) VALUES ${TRACKS.map((t) => `(${t.id}, ${quote(t.title)}, ${t.seconds})`).join(", ")};`,
  },
  {
    version: 2,
    name: "0002_create_playlists",
    up: `CREATE TABLE playlists (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO playlists (id, name) VALUES ${PLAYLISTS.map((p) => `(${p.id}, ${quote(p.name)})`).join(", ")};`,
  },
  {
    version: 3,
    name: "0003_create_playlist_tracks",
    up: `CREATE TABLE playlist_tracks (playlist_id bigint NOT NULL REFERENCES playlists, track_id bigint NOT NULL REFERENCES tracks, position integer NOT NULL, PRIMARY KEY (playlist_id, position));
INSERT INTO playlist_tracks (playlist_id, track_id, position) VALUES ${PLAYLIST_TRACKS.map((p) => `(${p.playlist}, ${p.track}, ${p.position})`).join(", ")};`,
  },
  {
    version: 4,
    name: "0004_tracks_duration_ms",
    up: `ALTER TABLE tracks RENAME COLUMN duration_s TO duration_ms;
UPDATE tracks SET duration_ms = duration_ms * 1000;`,
  },
];

/** The schema version `lab up` leaves (and `resetLab` restores): the newest migration. */
export const LAB_SCHEMA_VERSION = LAB_MIGRATIONS.length;

/**
 * The inverse SQL of migration 4, as its PR description would document it: durations back
 * to seconds under their old name, and `schema_migrations` back to 3 (golang-migrate's
 * one row, replaced as its `SetVersion` does). No BEGIN/COMMIT: the driver runs it in one
 * transaction.
 */
export const LAB_INVERSE_SQL = `UPDATE tracks SET duration_ms = duration_ms / 1000;
ALTER TABLE tracks RENAME COLUMN duration_ms TO duration_s;
TRUNCATE schema_migrations;
INSERT INTO schema_migrations (version, dirty) VALUES (3, false);
`;

/** golang-migrate's table, as its postgres driver creates it. */
const SCHEMA_MIGRATIONS_DDL =
  "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);";

/** The script that applies one migration and records it, as golang-migrate does (in one transaction). */
export function migrationScript(m: LabMigration): string {
  return `${SCHEMA_MIGRATIONS_DDL}
${m.up}
TRUNCATE schema_migrations;
INSERT INTO schema_migrations (version, dirty) VALUES (${m.version}, false);
`;
}

/**
 * The schema version each lab release's `pre-deploy-<sha>` snapshot holds, in the order
 * the releases were deployed: the state just before that release's own migration ran.
 */
export const PRE_DEPLOY_VERSIONS: readonly { readonly release: LabReleaseName; readonly version: number }[] =
  [
    { release: "old", version: 1 },
    { release: "prior", version: 2 },
    { release: "current", version: 3 },
  ];

/**
 * A query over the lab's tables and what it answers when the database holds exactly the
 * migrations' data at `version` (0: no lab table at all). Any other answer — an extra
 * row, a changed value, a missing column — means the data is not the lab's.
 */
export function labContentCheck(version: number): { readonly sql: string; readonly expected: string } {
  if (version === 0)
    return {
      sql: "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
      expected: "0",
    };
  const duration = version >= 4 ? "duration_ms" : "duration_s";
  const factor = version >= 4 ? 1000 : 1;
  const parts = [
    {
      sql: `(SELECT string_agg(id || ',' || title || ',' || ${duration}, ';' ORDER BY id) FROM tracks)`,
      expected: TRACKS.map((t) => `${t.id},${t.title},${t.seconds * factor}`).join(";"),
    },
  ];
  if (version >= 2)
    parts.push({
      sql: "(SELECT string_agg(id || ',' || name, ';' ORDER BY id) FROM playlists)",
      expected: PLAYLISTS.map((p) => `${p.id},${p.name}`).join(";"),
    });
  if (version >= 3)
    parts.push({
      sql: "(SELECT string_agg(playlist_id || ',' || track_id || ',' || position, ';' ORDER BY playlist_id, position) FROM playlist_tracks)",
      expected: PLAYLIST_TRACKS.map((p) => `${p.playlist},${p.track},${p.position}`).join(";"),
    });
  return {
    sql: `SELECT concat_ws(' | ', ${parts.map((p) => p.sql).join(", ")})`,
    expected: parts.map((p) => p.expected).join(" | "),
  };
}
