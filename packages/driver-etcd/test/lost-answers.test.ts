import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { JournalRecord } from "@backflip/core";
import { afterEach, describe, expect, it } from "vitest";
import { createEtcdCoordination } from "../src/index";
import { deletePrefix, ENDPOINTS, freshPrefix, skipEtcd } from "./support/etcd-backend";

/**
 * A proxy in front of one real member that forwards every request but, for the first
 * `/v3/kv/txn`, cuts the client's connection once etcd has answered: the write is applied
 * and its answer lost, as with a member that dies right after committing.
 */
async function answerLosingProxy(
  target: string,
): Promise<{ url: string; server: Server; dropped: () => number }> {
  let dropped = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const upstream = httpRequest(
        `${target}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (c: Buffer) => body.push(c));
          answer.on("end", () => {
            if (req.url === "/v3/kv/txn" && dropped === 0) {
              dropped++;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(body));
          });
        },
      );
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    dropped: () => dropped,
  };
}

const record = (seq: number): JournalRecord =>
  ({
    seq,
    event: {
      type: "step.log",
      runId: "r",
      at: new Date(0).toISOString(),
      elapsedMs: 0,
      stepId: "s",
      message: "m",
    },
  }) as JournalRecord;

describe.skipIf(skipEtcd)("a write whose answer was lost is retried on another member (real etcd)", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it("acquire: the retry recognises its own lease instead of reporting it held", async () => {
    const proxy = await answerLosingProxy(ENDPOINTS[0]!);
    server = proxy.server;
    const prefix = freshPrefix("lost");
    const store = createEtcdCoordination({ endpoints: [proxy.url, ENDPOINTS[1]!], prefix })._unsafeUnwrap();
    const lease = (await store.lock.acquire("staging", { owner: "alice", ttlMs: 60_000 }))._unsafeUnwrap();
    expect(proxy.dropped()).toBe(1);
    const status = (await store.lock.inspect("staging"))._unsafeUnwrap();
    expect(status).toEqual({ lease, stale: false });
    expect((await store.lock.renew(lease, 60_000)).isOk()).toBe(true);
    await store.close();
    await deletePrefix(prefix);
  });

  it("breakStale: the retry finds the key gone and reports the lease broken", async () => {
    const proxy = await answerLosingProxy(ENDPOINTS[0]!);
    server = proxy.server;
    const prefix = freshPrefix("lost");
    const direct = createEtcdCoordination({ endpoints: ENDPOINTS, prefix })._unsafeUnwrap();
    const store = createEtcdCoordination({ endpoints: [proxy.url, ENDPOINTS[1]!], prefix })._unsafeUnwrap();
    const dead = (await direct.lock.acquire("staging", { owner: "alice", ttlMs: 30 }))._unsafeUnwrap();
    await sleep(120);
    expect((await store.lock.breakStale("staging"))._unsafeUnwrap()).toEqual(dead);
    expect(proxy.dropped()).toBe(1);
    expect((await direct.lock.inspect("staging"))._unsafeUnwrap()).toBeNull();
    await Promise.all([store.close(), direct.close()]);
    await deletePrefix(prefix);
  });

  it("append: the retry finds its own record and succeeds; the run holds it once", async () => {
    const proxy = await answerLosingProxy(ENDPOINTS[0]!);
    server = proxy.server;
    const prefix = freshPrefix("lost");
    const store = createEtcdCoordination({ endpoints: [proxy.url, ENDPOINTS[1]!], prefix })._unsafeUnwrap();
    expect((await store.journal.append("r", record(0))).isOk()).toBe(true);
    expect(proxy.dropped()).toBe(1);
    expect((await store.journal.append("r", record(1))).isOk()).toBe(true);
    expect((await store.journal.read("r"))._unsafeUnwrap()).toEqual([record(0), record(1)]);
    await store.close();
    await deletePrefix(prefix);
  });
});
