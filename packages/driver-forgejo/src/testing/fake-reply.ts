import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { FakeFault } from "./fake-fault";

/** A response the fake's routes produce; faults may change it on the way out. */
export interface FakeReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Text, bytes, or a file streamed from disk. */
  readonly body?: string | Buffer | { readonly path: string; readonly size: number };
}

/** A plain-text reply, as `/api/packages` answers errors (`ctx.PlainText`). */
export const textReply = (status: number, text: string, headers: Record<string, string> = {}): FakeReply => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  body: text,
});

/** A JSON reply, as `/api/v1` answers (errors as `{"message", "url"}`). */
export const jsonReply = (
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): FakeReply => ({
  status,
  headers: { "content-type": "application/json;charset=utf-8", ...headers },
  body: JSON.stringify(value),
});

/** Reads and drops a request body (so an early answer does not race the upload). */
export async function drain(req: IncomingMessage): Promise<void> {
  try {
    for await (const _ of req) {
      // discarding
    }
  } catch {
    // the client went away
  }
}

async function* bodyChunks(body: NonNullable<FakeReply["body"]>, chunkBytes: number): AsyncIterable<Buffer> {
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    const bytes = Buffer.from(body);
    for (let at = 0; at < bytes.length; at += chunkBytes) yield bytes.subarray(at, at + chunkBytes);
    return;
  }
  for await (const chunk of createReadStream(body.path, { highWaterMark: chunkBytes })) yield chunk as Buffer;
}

const sizeOf = (body: FakeReply["body"]) =>
  body === undefined
    ? 0
    : typeof body === "string"
      ? Buffer.byteLength(body)
      : Buffer.isBuffer(body)
        ? body.length
        : body.size;

const drained = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });

/** Writes a reply, applying a response fault (status swap, reset, slow body). Returns the status sent, 0 on reset. */
export async function sendReply(res: ServerResponse, reply: FakeReply, fault?: FakeFault): Promise<number> {
  const action = fault?.action;
  if (action?.kind === "status") {
    const swapped = textReply(action.status, action.body ?? `injected ${action.status}`, {
      ...action.headers,
    });
    return sendReply(res, swapped);
  }
  if (action?.kind === "reset" && action.afterBytes === undefined) {
    res.socket?.destroy();
    return 0;
  }
  res.writeHead(reply.status, { ...reply.headers, "content-length": String(sizeOf(reply.body)) });
  if (reply.body === undefined) {
    res.end();
    return reply.status;
  }
  if (!action && typeof reply.body === "object" && !Buffer.isBuffer(reply.body)) {
    try {
      await pipeline(createReadStream(reply.body.path, { highWaterMark: 1 << 20 }), res);
    } catch {
      return 0;
    }
    return reply.status;
  }
  const chunkBytes = action?.kind === "slow" ? (action.chunkBytes ?? 16_384) : 1 << 20;
  let sent = 0;
  for await (const chunk of bodyChunks(reply.body, chunkBytes)) {
    if (res.destroyed) return 0;
    if (
      action?.kind === "reset" &&
      action.afterBytes !== undefined &&
      sent + chunk.length >= action.afterBytes
    ) {
      res.write(chunk.subarray(0, Math.max(0, action.afterBytes - sent)));
      await sleep(10);
      res.socket?.destroy();
      return 0;
    }
    if (!res.write(chunk)) await drained(res);
    sent += chunk.length;
    if (action?.kind === "slow") await sleep(action.delayMs);
  }
  res.end();
  return reply.status;
}
