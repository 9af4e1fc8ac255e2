import { createConnection } from "node:net";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One request on an HAProxy unix socket (stats socket or master CLI), done directly with
 * `node:net`: connect, write `<line>;quit`, read until HAProxy closes. Rejects on a
 * socket error (e.g. while a reload replaces the worker).
 */
export function haproxySocket(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection({ path });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`${path}: timed out`)));
    socket.on("connect", () => socket.write(`${line};quit\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}

/** Asks `get var proc.cfg_rev` every millisecond until the running worker reports `revision`. */
export async function waitCfgRev(statsSocket: string, revision: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await haproxySocket(statsSocket, "get var proc.cfg_rev").catch(() => "");
    if (reply.includes(`value=<${revision}>`)) return;
    if (Date.now() > deadline)
      throw new Error(`HAProxy did not report revision ${revision} in ${timeoutMs} ms`);
    await sleep(1);
  }
}

/** `config` with its stamped revision (`set-var proc.cfg_rev str(…)`) replaced by `revision`. */
export function withCfgRev(config: string, revision: string): string {
  const stamped = config.replace(
    /set-var proc\.cfg_rev str\([^)]*\)/,
    `set-var proc.cfg_rev str(${revision})`,
  );
  if (stamped === config) throw new Error("the config stamps no proc.cfg_rev");
  return stamped;
}

/** The value of `key` in a `show map <file>` reply (lines `<ptr> <key> <value>`). */
export function mapValue(showMap: string, key: string): string | undefined {
  for (const line of showMap.split("\n")) {
    const [, k, v] = line.trim().split(/\s+/);
    if (k === key) return v;
  }
  return undefined;
}
