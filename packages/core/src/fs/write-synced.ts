import { open } from "node:fs/promises";

/**
 * Writes `text` to `path` opened with `flag` (`"wx"` to create exclusively, `"a"` to
 * append) and fsyncs it before returning.
 */
export async function writeSynced(path: string, text: string, flag: "wx" | "a"): Promise<void> {
  const handle = await open(path, flag);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}
