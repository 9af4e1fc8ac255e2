/**
 * `pnpm bench:registry`: upload then download a generated 1 GiB artifact through the
 * Forgejo driver to the fake Forgejo on loopback, then the same bytes with
 * `curl --upload-file` / `curl -o`, in one run.
 *
 * What is measured, honestly:
 * - The fake runs in a **child process** (this file with `--serve`), streaming uploads to
 *   files and computing only sha256 (not md5/sha1/sha512), so its memory and CPU are not
 *   the driver's; driver and curl talk to the same fake. Its files go to /dev/shm when
 *   that tmpfs has room (printed as `fake_data=tmpfs`), so the fake's disk does not make
 *   the comparison noisy; the artifact and the downloads stay on the temp disk.
 * - `upload_MBps` / `curl_MBps`: 10^6 bytes per second of wall time per PUT, averaged
 *   over four rounds each: the ABBA block (driver, curl, curl, driver) twice, so a burst
 *   of other load on the machine weighs less on the ratio; the driver also hashes the
 *   file on the way (sha256, on a worker thread), curl does not. Each round also downloads (reported on
 *   the line before: the driver's download includes the listing lookup, sha256 and fsync).
 * - `rss_growth_MB`: this process's peak RSS during the driver's upload and download,
 *   sampled every 20 ms over all rounds, minus its RSS just before (MiB).
 * The last line is `registry upload_MBps=<n> curl_MBps=<n> ratio=<n> rss_growth_MB=<n>`.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, rm, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { vezaTopology } from "@backflip/core/recipes";
import { createForgejoRegistry } from "@backflip/driver-forgejo";
import { startFakeForgejo } from "@backflip/driver-forgejo/testing";

const SIZE = 1024 * 1024 * 1024;
/** ABBA blocks run: each tool uploads and downloads twice per block. */
const BLOCKS = 2;

async function serve(dataDir: string): Promise<void> {
  const fake = await startFakeForgejo({ dataDir, digests: ["sha256"] });
  process.stdout.write(`${JSON.stringify({ baseUrl: fake.baseUrl, token: fake.token })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    void fake.close().then(() => process.exit(0));
  });
}

async function generate(path: string): Promise<void> {
  const block = randomBytes(16 * 1024 * 1024);
  const handle = await open(path, "w");
  try {
    for (let written = 0; written < SIZE; written += block.length) await handle.write(block);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function run(argv: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve((performance.now() - started) / 1000)
        : reject(new Error(`${argv[0]} exited ${code}`)),
    );
  });
}

const mbps = (seconds: number) => SIZE / 1e6 / seconds;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "backflip-registry-bench-"));
  const shm = await statfs("/dev/shm").catch(() => null);
  const onTmpfs = shm !== null && shm.bavail * shm.bsize > 4 * SIZE;
  const dataDir = onTmpfs ? await mkdtemp("/dev/shm/backflip-registry-bench-") : join(dir, "fake-data");
  if (!onTmpfs) await mkdir(dataDir);
  const server = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--serve", dataDir],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  try {
    const info = await new Promise<{ baseUrl: string; token: string }>((resolve, reject) => {
      server.once("exit", (code) => reject(new Error(`fake server exited ${code}`)));
      server.stdout?.once("data", (chunk: Buffer) => resolve(JSON.parse(chunk.toString("utf8"))));
    });
    const artifact = join(dir, "artifact.tar.zst");
    await generate(artifact);
    const topology = vezaTopology("staging");
    const registry = createForgejoRegistry({
      baseUrl: info.baseUrl,
      token: info.token,
      topology,
    })._unsafeUnwrap();
    const sha = () => randomBytes(20).toString("hex");

    // warm up the connection pool and code paths with a small artifact
    const warm = join(dir, "warm.bin");
    await writeFile(warm, randomBytes(1024 * 1024));
    (await registry.upload({ component: "backend", sha: sha() }, { path: warm }))._unsafeUnwrap();
    globalThis.gc?.();
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 20);

    const headerFile = join(dir, "curl-headers");
    await writeFile(headerFile, `Authorization: token ${info.token}\n`, { mode: 0o600 });
    const totals = { driverUp: 0, driverDown: 0, curlUp: 0, curlDown: 0 };
    const ref = () => ({ component: "backend", sha: sha() });
    const driverRound = async () => {
      const r = ref();
      let started = performance.now();
      const uploaded = (await registry.upload(r, { path: artifact }))._unsafeUnwrap();
      totals.driverUp += (performance.now() - started) / 1000;
      const downloaded = join(dir, "download-driver.bin");
      started = performance.now();
      const got = (await registry.download(r, downloaded))._unsafeUnwrap();
      totals.driverDown += (performance.now() - started) / 1000;
      if (got.sha256 !== uploaded.sha256) throw new Error("the driver's round trip changed the bytes");
      await rm(downloaded);
      (await registry.deleteVersion(r))._unsafeUnwrap();
      return uploaded.sha256;
    };
    const curlRound = async () => {
      const r = ref();
      const url = `${info.baseUrl}/api/packages/talas/generic/veza-backend/${r.sha}/veza-backend-${r.sha}.tar.zst`;
      const auth = ["-H", `@${headerFile}`];
      totals.curlUp += await run([
        "curl",
        "-sS",
        "--fail",
        "-X",
        "PUT",
        ...auth,
        "--upload-file",
        artifact,
        url,
      ]);
      const downloaded = join(dir, "download-curl.bin");
      totals.curlDown += await run(["curl", "-sS", "--fail", ...auth, "-o", downloaded, url]);
      await rm(downloaded);
      (await registry.deleteVersion(r))._unsafeUnwrap();
    };
    // ABBA order, so page-cache and disk write-back effects fall on both tools alike
    let digest: string | undefined;
    for (let block = 0; block < BLOCKS; block++) {
      digest = await driverRound();
      await curlRound();
      await curlRound();
      await driverRound();
    }
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    const rounds = 2 * BLOCKS;
    const uploadSeconds = totals.driverUp / rounds;
    const downloadSeconds = totals.driverDown / rounds;
    const curlUpload = totals.curlUp / rounds;
    const curlDownload = totals.curlDown / rounds;

    const upload = mbps(uploadSeconds);
    const curl = mbps(curlUpload);
    const growth = (peak - baseline) / (1024 * 1024);
    console.log(
      `registry artifact=1GiB sha256=${digest} rounds=${Array(BLOCKS).fill("driver,curl,curl,driver").join(",")} fake_data=${onTmpfs ? "tmpfs" : "disk"}`,
    );
    console.log(
      `registry download_MBps=${fmt(mbps(downloadSeconds))} curl_download_MBps=${fmt(mbps(curlDownload))}`,
    );
    console.log(
      `registry upload_MBps=${fmt(upload)} curl_MBps=${fmt(curl)} ratio=${fmt(upload / curl, 2)} rss_growth_MB=${fmt(growth)}`,
    );
  } finally {
    server.stdin?.end();
    await new Promise((resolve) => {
      if (server.exitCode !== null) resolve(undefined);
      else server.once("exit", resolve);
    });
    await rm(dir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--serve") {
  void serve(process.argv[3] as string);
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
