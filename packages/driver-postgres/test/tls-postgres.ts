import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { selfSignedCertificate } from "@backflip/core/testing";
import { postgres } from "./pg-backend";

/** A PostgreSQL 15 cluster of a test's own that accepts only TLS over TCP. */
export interface TlsPostgres {
  readonly port: number;
  /** The server certificate (self-signed, so also its CA), as a PEM file. */
  readonly caFile: string;
  /** Another self-signed certificate's PEM file: a CA that did not sign the server's. */
  readonly wrongCaFile: string;
  /** Stops the cluster and removes its directory. */
  stop(): void;
}

/** A free TCP port on every address (bound once, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * Starts a throwaway cluster with the binaries of `scripts/backends up postgres` (as the
 * `postgres` user, trust auth) listening on 127.0.0.1 and `extraAddress`, with `ssl=on`
 * and a certificate for `db.backflip.test`, `localhost`, 127.0.0.1 and `extraAddress`;
 * pg_hba refuses every TCP connection without TLS (`hostnossl … reject`).
 */
export async function startTlsPostgres(extraAddress: string): Promise<TlsPostgres> {
  const bin = postgres?.PG_BIN;
  if (!bin) throw new Error("PostgreSQL is not set up: scripts/backends up postgres");
  const dir = mkdtempSync("/var/tmp/backflip-pg-tls-");
  const data = join(dir, "data");
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
  chownSync(dir, uid, gid);
  const asPostgres = (argv: string[]) =>
    execFileSync("runuser", ["-u", "postgres", "--", ...argv], { stdio: ["ignore", "pipe", "pipe"] });
  asPostgres([join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres"]);

  const server = (
    await selfSignedCertificate(
      "db.backflip.test",
      `DNS:db.backflip.test,DNS:localhost,IP:127.0.0.1,IP:${extraAddress}`,
    )
  )._unsafeUnwrap();
  const wrong = (
    await selfSignedCertificate("db.backflip.test", "DNS:db.backflip.test,IP:127.0.0.1")
  )._unsafeUnwrap();
  const write = (name: string, text: string, mode: number) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    chownSync(path, uid, gid);
    return path;
  };
  write("server.crt", server.cert, 0o644);
  write("server.key", server.key, 0o600);
  const caFile = write("ca.pem", server.cert, 0o644);
  const wrongCaFile = write("wrong-ca.pem", wrong.cert, 0o644);
  write(
    "data/pg_hba.conf",
    ["local all all trust", "hostnossl all all 0.0.0.0/0 reject", "hostssl all all 0.0.0.0/0 trust", ""].join(
      "\n",
    ),
    0o600,
  );
  const port = await freePort();
  asPostgres([
    join(bin, "pg_ctl"),
    "-D",
    data,
    "-l",
    join(dir, "log"),
    "-w",
    "-t",
    "60",
    "-o",
    [
      `-p ${port} -k ${dir}`,
      `-c listen_addresses=127.0.0.1,${extraAddress}`,
      "-c ssl=on",
      `-c ssl_cert_file=${join(dir, "server.crt")}`,
      `-c ssl_key_file=${join(dir, "server.key")}`,
      "-c max_connections=20",
    ].join(" "),
    "start",
  ]);
  return {
    port,
    caFile,
    wrongCaFile,
    stop: () => {
      try {
        asPostgres([join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
