/**
 * The lab's registry process: a **fake Forgejo** (`@backflip/driver-forgejo/testing`,
 * not Forgejo, which cannot be installed here) on 127.0.0.1, seeded with every lab
 * artifact, writing `{ pid, baseUrl, token }` to the file named by its first argument
 * (mode 0600: the token is a secret of this fake). `lab up` starts it detached; SIGTERM
 * stops it.
 * @module
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { createForgejoRegistry } from "@backflip/driver-forgejo";
import { startFakeForgejo } from "@backflip/driver-forgejo/testing";
import { seedLabRegistry } from "./lab-registry-seed";
import { labTopology } from "./lab-settings";

const stateFile = process.argv[2];
if (!stateFile) {
  console.error("usage: fake-registry-daemon <state-file>");
  process.exit(2);
}

const fake = await startFakeForgejo();
const registry = createForgejoRegistry({ baseUrl: fake.baseUrl, token: fake.token, topology: labTopology() });
if (registry.isErr()) {
  console.error(`fake registry: ${registry.error.message}`);
  await fake.close();
  process.exit(1);
}
const seeded = await seedLabRegistry(registry.value, labTopology());
if (seeded.isErr()) {
  console.error(`fake registry: seeding failed: ${seeded.error.message}`);
  await fake.close();
  process.exit(1);
}
const tmp = `${stateFile}.tmp-${process.pid}`;
await writeFile(tmp, `${JSON.stringify({ pid: process.pid, baseUrl: fake.baseUrl, token: fake.token })}\n`, {
  mode: 0o600,
});
await rename(tmp, stateFile);
console.log(`fake registry on ${fake.baseUrl} (pid ${process.pid}), ${seeded.value} artifacts seeded`);

const stop = async () => {
  // Only our own state file: a newer registry may have replaced it.
  const current = await readFile(stateFile, "utf8").catch(() => "");
  if (current.includes(`"pid":${process.pid},`)) await rm(stateFile, { force: true });
  await fake.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
