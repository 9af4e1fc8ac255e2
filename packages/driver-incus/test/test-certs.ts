import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A throwaway key pair and self-signed certificate (PEM), made with openssl. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
}

/** Makes a self-signed EC certificate for `cn` (with `san`, e.g. `IP:127.0.0.1`). */
export async function makeCert(cn: string, san = `DNS:${cn}`): Promise<TestCert> {
  const dir = await mkdtemp(join(tmpdir(), "bf-incus-cert-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-addext",
      `subjectAltName=${san}`,
    ]);
    return { cert: await readFile(cert, "utf8"), key: await readFile(key, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
