import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import type { JournalRecord } from "../src/index";
import { FileJournal, FileLeaseLock, MemoryJournal, MemoryLeaseLock } from "../src/index";
import { runJournalConformance } from "../src/testing/index";
import { RUN, record } from "./support/log-record";
import { tempDirs } from "./support/temp-dirs";

const tempDir = tempDirs("backflip-journal-");
afterEach(() => {
  vi.restoreAllMocks();
});

runJournalConformance({
  name: "file",
  setup: async () => {
    const dir = await tempDir();
    return { port: new FileJournal({ dir }), fixtures: { reopen: () => new FileJournal({ dir }) } };
  },
});

runJournalConformance({
  name: "file, fenced by a file lock",
  setup: async () => {
    const dir = await tempDir();
    const lock = new FileLeaseLock({ dir: join(dir, "locks") });
    const journal = () => new FileJournal({ dir: join(dir, "journal"), fencedBy: lock });
    return { port: journal(), fixtures: { lock, reopen: journal } };
  },
});

runJournalConformance({ name: "memory", setup: async () => ({ port: new MemoryJournal(), fixtures: {} }) });

runJournalConformance({
  name: "memory, fenced by a memory lock",
  setup: async () => {
    const lock = new MemoryLeaseLock();
    return { port: new MemoryJournal({ fencedBy: lock }), fixtures: { lock } };
  },
});

describe("FileJournal", () => {
  it("writes one JSON line per record and fsyncs each append before it returns", async () => {
    const dir = await tempDir();
    const journal = new FileJournal({ dir });
    // Appends are synchronous system calls: count fsyncSync (the named export follows the spy).
    const fs = (await import("node:fs")).default;
    const { syncBuiltinESMExports } = await import("node:module");
    const sync = vi.spyOn(fs, "fsyncSync");
    syncBuiltinESMExports();
    onTestFinished(() => {
      sync.mockRestore();
      syncBuiltinESMExports();
    });
    for (let seq = 0; seq < 3; seq++) {
      expect((await journal.append(RUN, record(seq))).isOk()).toBe(true);
      const lines = (await readFile(journal.pathOf(RUN), "utf8")).split("\n");
      expect(lines.at(-1)).toBe("");
      expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual(
        Array.from({ length: seq + 1 }, (_, i) => record(i)),
      );
    }
    // One fsync per record, plus one for the directory when the run's file was created.
    expect(sync).toHaveBeenCalledTimes(4);
  });

  it("reads past a torn last line, and the next append cuts it off", async () => {
    const dir = await tempDir();
    const journal = new FileJournal({ dir });
    for (let seq = 0; seq < 2; seq++) await journal.append(RUN, record(seq));
    const path = journal.pathOf(RUN);
    await writeFile(path, `${await readFile(path, "utf8")}{"seq":2,"event":{"type":"step.lo`);
    expect((await journal.read(RUN))._unsafeUnwrap()).toEqual([record(0), record(1)]);

    const fresh = new FileJournal({ dir });
    expect((await fresh.read(RUN))._unsafeUnwrap()).toHaveLength(2);
    expect((await fresh.append(RUN, record(2))).isOk()).toBe(true);
    expect((await fresh.read(RUN))._unsafeUnwrap()).toEqual([record(0), record(1), record(2)]);
    expect((await readFile(path, "utf8")).split("\n")).toHaveLength(4);
  });

  it("treats a complete but unreadable last line as torn too", async () => {
    const dir = await tempDir();
    const journal = new FileJournal({ dir });
    await journal.append(RUN, record(0));
    const path = journal.pathOf(RUN);
    await writeFile(path, `${await readFile(path, "utf8")}\u0000\u0000\u0000\n`);
    expect((await journal.read(RUN))._unsafeUnwrap()).toEqual([record(0)]);
  });

  it("reports a bad line before the end as corruption", async () => {
    const dir = await tempDir();
    const journal = new FileJournal({ dir });
    for (let seq = 0; seq < 3; seq++) await journal.append(RUN, record(seq));
    const path = journal.pathOf(RUN);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[1] = "garbage";
    await writeFile(path, lines.join("\n"));
    const read = (await journal.read(RUN))._unsafeUnwrapErr();
    expect(read.reason).toBe("failed");
    expect(read.message).toContain("line 2");
    expect((await new FileJournal({ dir }).append(RUN, record(3)))._unsafeUnwrapErr().reason).toBe("failed");
  });

  it("refuses records out of order (conflict), also from a second instance", async () => {
    const dir = await tempDir();
    const a = new FileJournal({ dir });
    await a.append(RUN, record(0));
    expect((await a.append(RUN, record(2)))._unsafeUnwrapErr().reason).toBe("conflict");
    const b = new FileJournal({ dir });
    expect((await b.append(RUN, record(0)))._unsafeUnwrapErr().reason).toBe("conflict");
    expect((await b.append(RUN, record(1))).isOk()).toBe(true);
    expect((await a.read(RUN))._unsafeUnwrap()).toHaveLength(2);
  });

  it("refuses a record that is not JSON-serialisable, writing nothing", async () => {
    const dir = await tempDir();
    const journal = new FileJournal({ dir });
    const bad = { seq: 0, event: { ...record(0).event, message: 10n } } as unknown as JournalRecord;
    expect((await journal.append(RUN, bad))._unsafeUnwrapErr().reason).toBe("invalid_input");
    expect((await journal.list())._unsafeUnwrap()).toEqual([]);
  });

  it("fails with a DriverError when the directory cannot be written", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "not-a-dir"), "");
    const journal = new FileJournal({ dir: join(dir, "not-a-dir") });
    const error = (await journal.append(RUN, record(0)))._unsafeUnwrapErr();
    expect(error).toMatchObject({ _tag: "DriverError", driver: "file-journal", op: "append" });
  });
});

describe("MemoryJournal", () => {
  it("refuses records out of order", async () => {
    const journal = new MemoryJournal();
    await journal.append(RUN, record(0));
    expect((await journal.append(RUN, record(0)))._unsafeUnwrapErr().reason).toBe("conflict");
  });
});
