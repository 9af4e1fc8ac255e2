import { expect, it, type TestContext } from "vitest";
import type { Shell, ShellFiles } from "../ports/shell";
import { errValue, okValue } from "./result-values";

/** A fresh path under the shell's `/tmp`. */
const tempPath = (what: string) =>
  `/tmp/bf-conformance-files-${what}-${process.pid}-${Math.random().toString(36).slice(2)}`;

/**
 * The {@link ShellFiles} contract, for a Shell that offers `files` (each test is skipped,
 * saying so, for one that does not; `rename`, `link`, `remove` and `list` are optional too): whole
 * files round-trip byte for byte, a write replaces the file, the Shell's commands see the
 * same files, a missing file is `not_found`, `link` makes a second name of a file (replacing
 * one that exists, the first name kept), `remove` of a missing file succeeds, `list`
 * names a directory's entries without `.` and `..`. Registered inside
 * `runShellConformance`'s describe.
 */
export function shellFilesTests(withShell: (use: (shell: Shell) => Promise<void>) => Promise<void>): void {
  /** Runs `use` with the shell's files, or skips the test when it has none (or not `method`). */
  const withFiles = (
    test: TestContext,
    use: (files: ShellFiles, shell: Shell) => Promise<void>,
    method?: "rename" | "link" | "remove" | "list",
  ) =>
    withShell(async (shell) => {
      if (!shell.files) return test.skip("this Shell has no files capability");
      if (method && !shell.files[method]) return test.skip(`this Shell's files have no ${method}`);
      await use(shell.files, shell);
    });

  it("files: writes and reads a whole file byte for byte, a write replacing it; commands see the same file", async (t) => {
    await withFiles(t, async (files, shell) => {
      const path = tempPath("round-trip");
      const bytes = new Uint8Array([0, 1, 2, 10, 13, 127, 128, 250, 255]);
      try {
        okValue(await files.writeFileAtomic(path, bytes));
        expect(Array.from(okValue(await files.readFile(path)))).toEqual(Array.from(bytes));
        okValue(await files.writeFileAtomic(path, "second ✓\n"));
        expect(new TextDecoder().decode(okValue(await files.readFile(path)))).toBe("second ✓\n");
        expect(okValue(await shell.run(["cat", path])).stdout).toBe("second ✓\n");
      } finally {
        await shell.run(["rm", "-f", path]);
      }
    });
  });

  it("files: reading a missing file is not_found", async (t) => {
    await withFiles(t, async (files) => {
      expect(errValue(await files.readFile(tempPath("missing"))).reason).toBe("not_found");
    });
  });

  it("files: rename moves a file over another", async (t) => {
    await withFiles(
      t,
      async (files, shell) => {
        const [from, to] = [tempPath("from"), tempPath("to")];
        try {
          okValue(await files.writeFileAtomic(from, "new\n"));
          okValue(await files.writeFileAtomic(to, "old\n"));
          okValue(await files.rename!(from, to));
          expect(new TextDecoder().decode(okValue(await files.readFile(to)))).toBe("new\n");
          expect(errValue(await files.readFile(from)).reason).toBe("not_found");
        } finally {
          await shell.run(["rm", "-f", from, to]);
        }
      },
      "rename",
    );
  });

  it("files: link makes a second name of a file, replacing one that exists; the first name stays", async (t) => {
    await withFiles(
      t,
      async (files, shell) => {
        const [from, to] = [tempPath("link-from"), tempPath("link-to")];
        const read = async (path: string) => new TextDecoder().decode(okValue(await files.readFile(path)));
        try {
          okValue(await files.writeFileAtomic(from, "kept\n"));
          okValue(await files.link!(from, to));
          expect(await read(to)).toBe("kept\n");
          okValue(await files.writeFileAtomic(to, "older\n"));
          okValue(await files.link!(from, to));
          expect(await read(to)).toBe("kept\n");
          expect(await read(from)).toBe("kept\n");
          expect(errValue(await files.link!(tempPath("link-missing"), to)).reason).toBe("not_found");
          expect(await read(to)).toBe("kept\n");
        } finally {
          await shell.run(["rm", "-f", from, to]);
        }
      },
      "link",
    );
  });

  it("files: remove deletes a file, and a missing one is not an error", async (t) => {
    await withFiles(
      t,
      async (files) => {
        const path = tempPath("remove");
        okValue(await files.writeFileAtomic(path, "x"));
        okValue(await files.remove!(path));
        expect(errValue(await files.readFile(path)).reason).toBe("not_found");
        okValue(await files.remove!(path));
      },
      "remove",
    );
  });

  it("files: list names a directory's entries with an mtime (or null), without . and ..", async (t) => {
    await withFiles(
      t,
      async (files, shell) => {
        const path = tempPath("list");
        try {
          okValue(await files.writeFileAtomic(path, "x"));
          const entries = okValue(await files.list!("/tmp"));
          const names = entries.map((e) => e.name);
          expect(names).toContain(path.slice("/tmp/".length));
          expect(names).not.toContain(".");
          expect(names).not.toContain("..");
          const mtime = entries.find((e) => `/tmp/${e.name}` === path)?.mtimeMs;
          expect(mtime === null || Number.isFinite(mtime)).toBe(true);
        } finally {
          await shell.run(["rm", "-f", path]);
        }
      },
      "list",
    );
  });
}
