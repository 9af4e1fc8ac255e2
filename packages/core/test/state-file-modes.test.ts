import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileJournal, FileLeaseLock } from "../src/index";
import { RUN, record } from "./support/log-record";
import { tempDirs } from "./support/temp-dirs";

const tempDir = tempDirs("backflip-modes-");
const mode = (path: string) => statSync(path).mode & 0o7777;
const isRoot = process.geteuid?.() === 0;

describe("state files are owner-only (issue 17 finding 1)", () => {
  it("the journal creates its directories 0700 and its files 0600", async () => {
    const dir = join(await tempDir(), "state", "journal");
    const journal = new FileJournal({ dir });
    (await journal.append(RUN, record(0)))._unsafeUnwrap();
    expect(mode(join(dir, ".."))).toBe(0o700);
    expect(mode(dir)).toBe(0o700);
    expect(mode(journal.pathOf(RUN))).toBe(0o600);
  });

  it("the journal tightens a directory and a run file an earlier version left 0755 / 0644", async () => {
    const dir = await tempDir();
    chmodSync(dir, 0o755);
    const journal = new FileJournal({ dir });
    writeFileSync(journal.pathOf(RUN), "", { mode: 0o644 });
    (await journal.append(RUN, record(0)))._unsafeUnwrap();
    expect(mode(dir)).toBe(0o700);
    expect(mode(journal.pathOf(RUN))).toBe(0o600);
  });

  it.skipIf(!isRoot)("the journal refuses a directory another user owns, writing nothing", async () => {
    const dir = join(await tempDir(), "theirs");
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, 65534, 65534);
    const error = (await new FileJournal({ dir }).append(RUN, record(0)))._unsafeUnwrapErr();
    expect(error.reason).toBe("unauthorized");
    expect(error.message).toContain("uid 65534");
    expect(readdirSync(dir)).toEqual([]);
    expect(mode(dir)).toBe(0o755);
  });

  it("the journal and the lock refuse a shared directory (group- or world-writable, sticky) and leave it as it is", async () => {
    for (const shared of [0o1777, 0o775, 0o757]) {
      const dir = join(await tempDir(), "shared");
      mkdirSync(dir);
      chmodSync(dir, shared);
      const error = (await new FileJournal({ dir }).append(RUN, record(0)))._unsafeUnwrapErr();
      expect(error.reason).toBe("unauthorized");
      expect(error.message).toContain("of its own");
      const lockError = (
        await new FileLeaseLock({ dir }).acquire("staging", { owner: "alice", ttlMs: 60_000 })
      )._unsafeUnwrapErr();
      expect(lockError.reason).toBe("unauthorized");
      expect(readdirSync(dir)).toEqual([]);
      expect(mode(dir)).toBe(shared);
    }
  });

  it("the lease lock creates its directory, fence directory, lock file and markers owner-only", async () => {
    const dir = join(await tempDir(), "locks");
    const lock = new FileLeaseLock({ dir });
    const lease = (await lock.acquire("staging", { owner: "alice", ttlMs: 60_000 }))._unsafeUnwrap();
    (await lock.renew(lease, 60_000))._unsafeUnwrap();
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "staging.lock"))).toBe(0o600);
    const fence = join(dir, "staging.fence");
    expect(mode(fence)).toBe(0o700);
    for (const marker of readdirSync(fence)) expect(mode(join(fence, marker))).toBe(0o600);
  });

  it("the lease lock tightens directories an earlier version left 0755", async () => {
    const dir = await tempDir();
    mkdirSync(join(dir, "staging.fence"), { mode: 0o755 });
    chmodSync(dir, 0o755);
    (await new FileLeaseLock({ dir }).acquire("staging", { owner: "alice", ttlMs: 60_000 }))._unsafeUnwrap();
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "staging.fence"))).toBe(0o700);
  });

  it.skipIf(!isRoot)("the lease lock refuses a directory another user owns", async () => {
    const dir = join(await tempDir(), "theirs");
    mkdirSync(dir, { mode: 0o777 });
    chownSync(dir, 65534, 65534);
    const error = (
      await new FileLeaseLock({ dir }).acquire("staging", { owner: "alice", ttlMs: 60_000 })
    )._unsafeUnwrapErr();
    expect(error.reason).toBe("unauthorized");
    expect(existsSync(join(dir, "staging.lock"))).toBe(false);
  });
});
