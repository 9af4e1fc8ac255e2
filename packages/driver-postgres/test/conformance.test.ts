import { LocalShell } from "@backflip/core";
import { backendEnv, runDatabaseConformance, skipUnlessBackend } from "@backflip/core/testing";
import { SshShell } from "@backflip/driver-ssh";
import { afterAll } from "vitest";
import { createPgDatabase, createPsqlDatabase } from "../src/postgres-database";
import { conformanceFixtures, freshDatabase, pgHost, pgPort, postgres, postgresSkip } from "./pg-backend";

const psql = postgres?.PSQL ?? "psql";

runDatabaseConformance({
  name: "postgres wire client (pg) on real PostgreSQL 15",
  skip: postgresSkip,
  setup: async () => {
    const db = await freshDatabase();
    const port = createPgDatabase({
      host: pgHost,
      port: pgPort,
      user: "postgres",
      database: db.name,
    })._unsafeUnwrap();
    return { port, fixtures: conformanceFixtures(db.name), teardown: db.drop };
  },
});

runDatabaseConformance({
  name: "psql over the local Shell on real PostgreSQL 15",
  skip: postgresSkip,
  setup: async () => {
    const db = await freshDatabase();
    const port = createPsqlDatabase({
      shell: new LocalShell(),
      psqlCommand: [psql],
      host: pgHost,
      port: pgPort,
      user: "postgres",
      database: db.name,
    })._unsafeUnwrap();
    return { port, fixtures: conformanceFixtures(db.name), teardown: db.drop };
  },
});

const sshd = backendEnv("sshd");
const ssh =
  sshd === null
    ? undefined
    : SshShell.create({
        host: sshd.SSH_HOST ?? "",
        port: Number(sshd.SSH_PORT),
        username: sshd.SSH_USER ?? "",
        privateKeyPath: sshd.SSH_KEY ?? "",
        hostKey: { knownHostsFile: sshd.SSH_KNOWN_HOSTS ?? "" },
      })._unsafeUnwrap();
afterAll(async () => {
  await ssh?.close();
});

runDatabaseConformance({
  name: "psql over SSH (loopback OpenSSH) on real PostgreSQL 15",
  skip: skipUnlessBackend(
    postgres !== null && sshd !== null,
    "postgres+sshd",
    "scripts/backends up postgres sshd",
  ),
  setup: async () => {
    const db = await freshDatabase();
    const port = createPsqlDatabase({
      shell: ssh!,
      psqlCommand: [psql],
      host: pgHost,
      port: pgPort,
      user: "postgres",
      database: db.name,
    })._unsafeUnwrap();
    return { port, fixtures: conformanceFixtures(db.name), teardown: db.drop };
  },
});
