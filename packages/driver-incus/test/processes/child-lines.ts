import { createInterface } from "node:readline";

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

/** The next line the parent wrote to this child's stdin (`null` once stdin closed). */
export async function nextLine(): Promise<string | null> {
  const next = await lines.next();
  return next.done ? null : next.value;
}
