import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLocalHost } from "../src/pg-tls";
import { PgTransport } from "../src/pg-transport";
import { createPgDatabase, type PgDatabaseOptions } from "../src/postgres-database";
import { postgresSkip } from "./pg-backend";
import { startTlsPostgres, type TlsPostgres } from "./tls-postgres";

/** This machine's first non-loopback IPv4 address (TLS is on by default towards it). */
const outward = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === "IPv4" && !a.internal)?.address;

describe("the wire client's TLS option (issue 17 finding 10)", () => {
  it("loopback and socket directories are local; everything else is not", () => {
    for (const host of [
      "127.0.0.1",
      "127.8.9.10",
      "::1",
      "0:0:0:0:0:0:0:1",
      "localhost",
      "/var/run/postgresql",
    ])
      expect(isLocalHost(host), host).toBe(true);
    for (const host of [
      "10.0.0.7",
      "192.0.2.2",
      "db.example.org",
      "fe80::1",
      "::ffff:127.0.0.1",
      "localhost.evil",
    ])
      expect(isLocalHost(host), host).toBe(false);
  });

  it("refuses options that would skip verification or a CA file that is not one, without quoting it", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-pg-tls-"));
    const notPem = join(dir, "secret.conf");
    writeFileSync(notPem, "password = Canary-51e2\n");
    const fifo = join(dir, "ca.fifo");
    execFileSync("mkfifo", [fifo]);
    const base = { host: "db.example.org", user: "veza", database: "veza" };
    const bad: unknown[] = [
      { rejectUnauthorized: false },
      { caFile: "relative/ca.pem" },
      { caFile: join(dir, "missing.pem") },
      { caFile: dir },
      { caFile: fifo },
      { caFile: notPem },
      { servername: "db example" },
      { ca: "-----BEGIN CERTIFICATE-----" },
      "no-verify",
    ];
    for (const ssl of bad) {
      const result = createPgDatabase({ ...base, ssl } as PgDatabaseOptions);
      expect(result.isErr(), JSON.stringify(ssl)).toBe(true);
      expect(result._unsafeUnwrapErr().reason).toBe("invalid_input");
      expect(JSON.stringify(result._unsafeUnwrapErr())).not.toContain("Canary-51e2");
    }
  });
});

describe.skipIf(postgresSkip || !outward)(
  "the wire client over TLS, on a PostgreSQL 15 that only accepts TLS",
  () => {
    let server: TlsPostgres;
    beforeAll(async () => {
      server = await startTlsPostgres(outward ?? "");
    }, 120_000);
    afterAll(() => server?.stop());

    const options = (host: string, ssl?: PgDatabaseOptions["ssl"]): PgDatabaseOptions => ({
      host,
      port: server.port,
      user: "postgres",
      database: "postgres",
      connectTimeoutMs: 10_000,
      ...(ssl === undefined ? {} : { ssl }),
    });

    it("connects with the CA file, over TLS (the server says so), by IP and by a server name", async () => {
      for (const ssl of [
        { caFile: server.caFile },
        { caFile: server.caFile, servername: "db.backflip.test" },
      ]) {
        const db = createPgDatabase(options("127.0.0.1", ssl))._unsafeUnwrap();
        expect((await db.migrationState())._unsafeUnwrap()).toMatchObject({ managed: false });
      }
      const transport = new PgTransport({
        host: "127.0.0.1",
        port: server.port,
        user: "postgres",
        database: "postgres",
        connectTimeoutMs: 10_000,
        tls: { ca: readFileSync(server.caFile, "utf8") },
      });
      const rows = (
        await transport.queryRows("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
      )._unsafeUnwrap();
      expect(rows).toEqual([["true"]]);
    });

    it("refuses a server whose certificate a wrong CA did not sign, or that names another server", async () => {
      const cases: PgDatabaseOptions["ssl"][] = [
        { caFile: server.wrongCaFile },
        true,
        { caFile: server.caFile, servername: "other.backflip.test" },
      ];
      for (const ssl of cases) {
        const db = createPgDatabase(options("127.0.0.1", ssl))._unsafeUnwrap();
        const error = (await db.migrationState())._unsafeUnwrapErr();
        expect(error.reason, JSON.stringify(ssl)).toBe("unauthorized");
        expect(error.hint).toContain("ssl.caFile");
      }
    });

    it("is on by default towards a host that is not loopback: verified, so an unknown CA is refused", async () => {
      const byDefault = createPgDatabase(options(outward ?? ""))._unsafeUnwrap();
      const refused = (await byDefault.migrationState())._unsafeUnwrapErr();
      expect(refused.reason).toBe("unauthorized");
      expect(refused.message).toContain("certificate");
      expect(refused.hint).toContain("ssl.caFile");
      const trusted = createPgDatabase(options(outward ?? "", { caFile: server.caFile }))._unsafeUnwrap();
      expect((await trusted.migrationState())._unsafeUnwrap()).toMatchObject({ managed: false });
    });

    it("clear text only when asked for (the server refuses it here), whatever PGSSLMODE says", async () => {
      const plain = createPgDatabase(options(outward ?? "", false))._unsafeUnwrap();
      const refused = (await plain.migrationState())._unsafeUnwrapErr();
      expect(refused.message).toMatch(/no encryption|pg_hba/);
      const before = process.env.PGSSLMODE;
      process.env.PGSSLMODE = "no-verify";
      try {
        const local = createPgDatabase(options("127.0.0.1"))._unsafeUnwrap();
        expect((await local.migrationState())._unsafeUnwrapErr().message).toMatch(/no encryption|pg_hba/);
      } finally {
        if (before === undefined) delete process.env.PGSSLMODE;
        else process.env.PGSSLMODE = before;
      }
    });
  },
);
