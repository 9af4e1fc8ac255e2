/**
 * Child process for the cross-process lock race: says `ready`, waits for a line on
 * stdin (the parent's "go", sent once every racer is ready), then tries to take the
 * lease and prints the outcome as one JSON line.
 * Usage: race-acquire.ts <dir> <key> <owner>
 */
import { once } from "node:events";
import { FileLeaseLock } from "../../src/lock/file-lease-lock";

const [dir, key, owner] = process.argv.slice(2) as [string, string, string];
const lock = new FileLeaseLock({ dir });
process.stdout.write("ready\n");
await once(process.stdin, "data");
const result = await lock.acquire(key, { owner, ttlMs: 60_000 });
process.stdout.write(
  `${JSON.stringify(result.isOk() ? { ok: true, token: result.value.token } : { ok: false, reason: result.error.reason, holder: result.error.details?.owner })}\n`,
);
process.exit(0);
