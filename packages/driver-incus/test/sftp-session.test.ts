/**
 * The SFTP client's wire behaviour against a scripted SFTP v3 server on a stream pair:
 * what it sends (one attribute per FSETSTAT, pipelined writes, posix-rename) and how it
 * reads replies (EOF ends a read, STATUS codes become SftpFailure, a broken stream fails
 * every pending request). The real Incus server is exercised in incus-host.real.test.ts.
 */
import { Duplex, PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { SftpFailure, SftpSession } from "../src/sftp-session";

type Sent = { type: number; fields: Buffer };

/** A scripted server: `answer` returns the reply body (after the id) and type for each request. */
function pair(answer: (type: number, fields: Buffer) => { type: number; body: Buffer } | null) {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const sent: Sent[] = [];
  let buffered = Buffer.alloc(0);
  toServer.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const len = buffered.readUInt32BE(0);
      const type = buffered[4] as number;
      const payload = buffered.subarray(5, 4 + len);
      buffered = buffered.subarray(4 + len);
      if (type === 1) {
        const ext = Buffer.concat([
          str("posix-rename@openssh.com"),
          str("1"),
          str("hardlink@openssh.com"),
          str("1"),
        ]);
        toClient.write(frame(2, Buffer.concat([u32(3), ext])));
        continue;
      }
      const id = payload.subarray(0, 4);
      sent.push({ type, fields: payload.subarray(4) });
      const reply = answer(type, payload.subarray(4));
      if (reply) toClient.write(frame(reply.type, Buffer.concat([id, reply.body])));
    }
  });
  const stream = Duplex.from({ readable: toClient, writable: toServer });
  return { stream, sent, server: toClient };
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (s: string | Buffer) => {
  const b = typeof s === "string" ? Buffer.from(s) : s;
  return Buffer.concat([u32(b.length), b]);
};
const frame = (type: number, body: Buffer) =>
  Buffer.concat([u32(body.length + 1), Buffer.from([type]), body]);
const status = (code: number, message = "") => ({
  type: 101,
  body: Buffer.concat([u32(code), str(message), str("")]),
});

describe("SftpSession (scripted server)", () => {
  it("creates a file: exclusive open, pipelined writes, owner then mode in separate FSETSTATs, close", async () => {
    const { stream, sent } = pair((type) => (type === 3 ? { type: 102, body: str("h1") } : status(0)));
    const s = await SftpSession.open(stream);
    const data = Buffer.alloc(70_000, 7);
    await s.createFile("/etc/a.tmp", data, { mode: 0o640, uid: 0, gid: 33 });
    expect(sent.map((x) => x.type)).toEqual([3, 6, 6, 6, 10, 10, 4]);
    const open = sent[0]!.fields;
    expect(open.subarray(4, 4 + open.readUInt32BE(0)).toString()).toBe("/etc/a.tmp");
    const pflags = open.readUInt32BE(4 + open.readUInt32BE(0));
    expect(pflags & 0x20).toBe(0x20); // EXCL: a temp name is never written twice
    const written = sent
      .filter((x) => x.type === 6)
      .reduce((sum, x) => sum + x.fields.readUInt32BE(4 + 2 + 8), 0);
    expect(written).toBe(70_000);
    // FSETSTAT: handle, then flags 0x2 (uid, gid) alone, then 0x4 (permissions) alone.
    const attrs = sent.filter((x) => x.type === 10).map((x) => x.fields.subarray(4 + 2));
    expect(attrs[0]!.readUInt32BE(0)).toBe(0x2);
    expect([attrs[0]!.readUInt32BE(4), attrs[0]!.readUInt32BE(8)]).toEqual([0, 33]);
    expect(attrs[1]!.readUInt32BE(0)).toBe(0x4);
    expect(attrs[1]!.readUInt32BE(4)).toBe(0o640);
    s.end();
  });

  it("reads a file until EOF, renames with posix-rename, and maps STATUS codes", async () => {
    let reads = 0;
    const { stream, sent } = pair((type, fields) => {
      if (type === 3) return { type: 102, body: str("h") };
      if (type === 5) return ++reads <= 2 ? { type: 103, body: str(`part${reads}`) } : status(1);
      if (type === 17)
        return fields.includes(Buffer.from("/missing")) ? status(2, "no such file") : status(4);
      if (type === 13) return status(2, "gone");
      return status(0);
    });
    const s = await SftpSession.open(stream);
    expect((await s.readFile("/proc/1/cmdline")).toString()).toBe("part1part2");
    await s.rename("/a", "/b");
    const ext = sent.find((x) => x.type === 200)!.fields;
    expect(ext.subarray(4, 4 + ext.readUInt32BE(0)).toString()).toBe("posix-rename@openssh.com");
    const missing = await s.stat("/missing").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SftpFailure);
    expect((missing as SftpFailure).code).toBe(2);
    await expect(s.remove("/already-gone")).resolves.toBeUndefined();
    s.end();
  });

  it("links over a file with hardlink then posix-rename sent at once, and keeps the link's failure", async () => {
    // Nothing is answered until both requests have arrived: a client waiting for the first would hang.
    const { stream, sent, server } = pair(() => null);
    const s = await SftpSession.open(stream);
    const answerBoth = (code: number) => {
      for (const i of [0, 1]) {
        const id = sent.length - 1 + i; // ids count from 1, in the order sent
        server.write(frame(101, Buffer.concat([u32(id), status(code).body])));
      }
    };
    const name = (fields: Buffer) => fields.subarray(4, 4 + fields.readUInt32BE(0)).toString();
    const linked = s.link("/etc/live", "/etc/live.prev", "/etc/.live.prev.tmp");
    await new Promise((r) => setImmediate(r));
    expect(sent.map((x) => name(x.fields))).toEqual(["hardlink@openssh.com", "posix-rename@openssh.com"]);
    answerBoth(0);
    await expect(linked).resolves.toBeUndefined();
    const failed = s.link("/etc/gone", "/etc/live.prev", "/etc/.live.prev.tmp2").catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    answerBoth(2);
    const error = await failed;
    expect(error).toBeInstanceOf(SftpFailure);
    expect((error as SftpFailure).code).toBe(2);
    s.end();
  });

  it("fails every pending request when the stream breaks, and says so once ended", async () => {
    const { stream, server } = pair(() => null);
    const s = await SftpSession.open(stream);
    let ended = false;
    s.onEnd(() => {
      ended = true;
    });
    const pending = s.stat("/x").catch((e: unknown) => e);
    server.destroy(new Error("connection reset"));
    const e = (await pending) as SftpFailure;
    expect(e).toBeInstanceOf(SftpFailure);
    expect(e.code).toBe(-1);
    expect(ended).toBe(true);
    await expect(s.stat("/y")).rejects.toMatchObject({ code: -1 });
  });
});
