import { LocalShell } from "@backflip/core";

const local = new LocalShell();

/**
 * Test cleanup: `zfs destroy -r` a test dataset. zfs-fuse often answers "dataset is
 * busy" right after the unmount it does first (the FUSE release is lazy), so retry.
 */
export async function destroyDataset(dataset: string): Promise<void> {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const r = await local.run(["zfs", "destroy", "-r", dataset], { timeoutMs: 60_000 });
    if (r.isOk() && r.value.exitCode === 0) return;
    if (r.isOk() && /does not exist/.test(r.value.stderr)) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`could not destroy test dataset ${dataset}`);
}
