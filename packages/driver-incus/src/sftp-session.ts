import type { Duplex } from "node:stream";

/** File attributes of SFTP v3 (only those the driver uses). */
export interface SftpAttrs {
  readonly size?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** The full `st_mode` (file type bits included) when read; permission bits when written. */
  readonly mode?: number;
  /** Last modification, in seconds since the epoch (read only). */
  readonly mtime?: number;
}

/** One entry of a directory, as READDIR lists it. */
export interface SftpEntry {
  readonly name: string;
  readonly attrs: SftpAttrs;
}

/** An SFTP `STATUS` other than OK, or a broken session: `code` is the SFTP status code (`-1`: the session ended). */
export class SftpFailure extends Error {
  /** The SFTP status code: 2 no such file, 3 permission denied, 4 failure, 8 unsupported; -1 the session ended. */
  readonly code: number;

  /** A failure with SFTP status `code` and the server's message. */
  constructor(code: number, message: string) {
    super(message);
    this.name = "SftpFailure";
    this.code = code;
  }
}

const T = {
  init: 1,
  version: 2,
  open: 3,
  close: 4,
  read: 5,
  write: 6,
  fstat: 8,
  fsetstat: 10,
  opendir: 11,
  readdir: 12,
  remove: 13,
  stat: 17,
  extended: 200,
  status: 101,
  handle: 102,
  data: 103,
  name: 104,
  attrs: 105,
} as const;
const FLAG = { size: 0x1, uidgid: 0x2, permissions: 0x4, acmodtime: 0x8, extended: 0x80000000 } as const;
/** Open flags: read, write, create, truncate, exclusive. */
const PFLAG = { read: 0x1, write: 0x2, creat: 0x8, trunc: 0x10, excl: 0x20 } as const;
const STATUS = { ok: 0, eof: 1 } as const;
/** The payload of one WRITE or READ (well under every server's 32 KiB + header limit). */
const CHUNK = 32 * 1024;
/** A server silent this long on a request (or on INIT) ends the session: every pending request fails. */
const TIMEOUT_MS = 30_000;

type Reply = { readonly type: number; readonly body: Buffer };

/** Encodes SFTP fields: uint32, uint64, string. */
class Packet {
  readonly #parts: Buffer[] = [];

  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.#parts.push(b);
    return this;
  }

  u64(n: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    this.#parts.push(b);
    return this;
  }

  str(s: string | Uint8Array): this {
    const bytes =
      typeof s === "string" ? Buffer.from(s, "utf8") : Buffer.from(s.buffer, s.byteOffset, s.length);
    this.u32(bytes.length);
    this.#parts.push(bytes);
    return this;
  }

  attrs(a: SftpAttrs): this {
    const uidgid = a.uid !== undefined && a.gid !== undefined;
    this.u32((uidgid ? FLAG.uidgid : 0) | (a.mode !== undefined ? FLAG.permissions : 0));
    if (uidgid) this.u32(a.uid as number).u32(a.gid as number);
    if (a.mode !== undefined) this.u32(a.mode);
    return this;
  }

  /** The framed packet: length, type, body. */
  frame(type: number): Buffer {
    const body = Buffer.concat(this.#parts);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(body.length + 1);
    head[4] = type;
    return Buffer.concat([head, body]);
  }
}

/** Decodes SFTP fields from a reply body. */
class Reader {
  #at = 0;
  constructor(readonly buf: Buffer) {}

  u32(): number {
    const n = this.buf.readUInt32BE(this.#at);
    this.#at += 4;
    return n;
  }

  u64(): number {
    const n = Number(this.buf.readBigUInt64BE(this.#at));
    this.#at += 8;
    return n;
  }

  bytes(): Buffer {
    const len = this.u32();
    const b = this.buf.subarray(this.#at, this.#at + len);
    this.#at += len;
    return b;
  }

  attrs(): SftpAttrs {
    const flags = this.u32();
    const size = flags & FLAG.size ? this.u64() : undefined;
    const ids = flags & FLAG.uidgid ? { uid: this.u32(), gid: this.u32() } : {};
    const mode = flags & FLAG.permissions ? this.u32() : undefined;
    let mtime: number | undefined;
    if (flags & FLAG.acmodtime) {
      this.u32(); // atime
      mtime = this.u32();
    }
    if (flags & FLAG.extended) for (let n = this.u32() * 2; n > 0; n--) this.bytes();
    return {
      ...(size === undefined ? {} : { size }),
      ...ids,
      ...(mode === undefined ? {} : { mode }),
      ...(mtime === undefined ? {} : { mtime }),
    };
  }
}

/**
 * A minimal SFTP v3 client (draft-ietf-secsh-filexfer-02) over one byte stream — Incus's
 * `/1.0/instances/{name}/sftp` upgrade. It keeps one session open so every file operation
 * costs one round trip instead of an exec; requests are pipelined by id. Only what
 * atomic file replacement needs: stat, open/read/write/close, fsetstat, remove,
 * `posix-rename@openssh.com` (rename over an existing file) and `hardlink@openssh.com`. Methods reject with
 * {@link SftpFailure}; the driver turns those into values.
 */
export class SftpSession {
  readonly #stream: Duplex;
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #buffered: Buffer = Buffer.alloc(0);
  #ended: SftpFailure | null = null;
  #extensions = new Set<string>();
  #versionWaiter: ((r: Reply) => void) | null = null;
  readonly #endListeners: (() => void)[] = [];

  private constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on("data", (chunk: Buffer) => this.#onData(chunk));
    const end = (why: string) => this.#fail(new SftpFailure(-1, why));
    stream.on("error", (e) => end(`the SFTP session broke: ${e.message}`));
    stream.on("close", () => end("the SFTP session closed"));
  }

  /** Starts a session on `stream` (INIT, VERSION 3). `head`: bytes already read past the upgrade. */
  static async open(stream: Duplex, head: Buffer = Buffer.alloc(0)): Promise<SftpSession> {
    const session = new SftpSession(stream);
    const version = new Promise<Reply>((resolve) => {
      session.#versionWaiter = resolve;
    });
    if (head.length > 0) session.#onData(head);
    stream.write(new Packet().u32(3).frame(T.init));
    const timer = session.#deadline("the SFTP server did not answer INIT");
    const reply = await Promise.race([version, session.#endedPromise()]).finally(() => clearTimeout(timer));
    const r = new Reader(reply.body);
    const v = r.u32();
    if (v !== 3) throw new SftpFailure(8, `the server speaks SFTP version ${v}, not 3`);
    while (r.buf.length - 4 > 0) {
      try {
        const name = r.bytes().toString("utf8");
        r.bytes();
        session.#extensions.add(name);
      } catch {
        break;
      }
    }
    return session;
  }

  /** Calls `listener` once the session has ended or broken (at once if it already has). */
  onEnd(listener: () => void): void {
    if (this.#ended) listener();
    else this.#endListeners.push(listener);
  }

  /** The file's attributes, following symlinks. */
  async stat(path: string): Promise<SftpAttrs> {
    const r = await this.#request(T.stat, (p) => p.str(path), T.attrs);
    return new Reader(r.body).attrs();
  }

  /**
   * Reads a whole file. The first READ goes out with an FSTAT of the open handle: once the
   * bytes read reach a non-zero size, that is the whole file; otherwise (pseudo-files
   * report size 0) it reads on until EOF. `inspect` sees the file's attributes before any
   * byte is used and may throw to refuse it (e.g. a directory): no separate STAT first.
   */
  async readFile(path: string, inspect?: (attrs: SftpAttrs) => void): Promise<Buffer> {
    const handle = await this.#open(path, PFLAG.read, {});
    const read = (offset: number) =>
      this.#request(T.read, (p) => p.str(handle).u64(offset).u32(CHUNK), T.data, true).then((r) =>
        r === null ? null : Buffer.from(new Reader(r.body).bytes()),
      );
    const parts: Buffer[] = [];
    try {
      const [attrs, first] = await Promise.all([
        this.#request(T.fstat, (p) => p.str(handle), T.attrs)
          .then((r) => new Reader(r.body).attrs())
          .catch((): SftpAttrs => ({})),
        // A failed first read (a directory's EISDIR) is judged after `inspect`.
        read(0).then(
          (data) => ({ data }),
          (error: unknown) => ({ error }),
        ),
      ]);
      inspect?.(attrs);
      if ("error" in first) throw first.error;
      const size = attrs.size ?? 0;
      for (let data = first.data, offset = 0; data !== null; data = await read(offset)) {
        parts.push(data);
        offset += data.length;
        if (size > 0 && offset === size) break;
      }
    } finally {
      // Not awaited: the server closes handles in order, and a failed close changes nothing read.
      void this.#close(handle);
    }
    return Buffer.concat(parts);
  }

  /**
   * Creates `path` (it must not exist, mode 0600 until set) with `data`, then sets the
   * owner and mode of `attrs`, which may still be on its way (e.g. a STAT sent together
   * with this OPEN). After the OPEN, the writes, both FSETSTATs and the CLOSE are sent at
   * once (the server finishes a handle's writes before closing it); any failed reply, or
   * `attrs` rejecting, fails the whole call.
   */
  async createFile(path: string, data: Uint8Array, attrs: SftpAttrs | Promise<SftpAttrs>): Promise<void> {
    const wanted = Promise.resolve(attrs).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const handle = await this.#open(path, PFLAG.write | PFLAG.creat | PFLAG.excl | PFLAG.trunc, {
      mode: 0o600,
    });
    const replies: Promise<unknown>[] = [];
    for (let offset = 0; offset < data.length; offset += CHUNK) {
      const chunk = data.subarray(offset, offset + CHUNK);
      replies.push(this.#request(T.write, (p) => p.str(handle).u64(offset).str(chunk), T.status));
    }
    const got = await wanted;
    if ("value" in got) {
      // Owner, then mode, explicitly (the umask applied to OPEN's mode). One attribute per
      // FSETSTAT: some servers (Incus's) read a combined one's fields in a non-standard order.
      const { uid, gid, mode } = got.value;
      if (uid !== undefined && gid !== undefined)
        replies.push(this.#request(T.fsetstat, (p) => p.str(handle).attrs({ uid, gid }), T.status));
      if (mode !== undefined)
        replies.push(this.#request(T.fsetstat, (p) => p.str(handle).attrs({ mode }), T.status));
    }
    replies.push(this.#request(T.close, (p) => p.str(handle), T.status));
    const failed = (await Promise.allSettled(replies)).find((r) => r.status === "rejected");
    if ("error" in got) throw got.error;
    if (failed) throw failed.reason;
  }

  /** Renames `from` over `to` atomically (`posix-rename@openssh.com`). */
  async rename(from: string, to: string): Promise<void> {
    if (!this.#extensions.has("posix-rename@openssh.com")) {
      throw new SftpFailure(8, "the SFTP server has no posix-rename@openssh.com (atomic rename over a file)");
    }
    await this.#request(T.extended, (p) => p.str("posix-rename@openssh.com").str(from).str(to), T.status);
  }

  /**
   * Makes `to` a second name of `from`'s file, replacing `to` atomically: a hard link
   * (`hardlink@openssh.com`) at `temp`, a sibling of `to` that does not exist, renamed over
   * `to` (`posix-rename@openssh.com`). Both requests go out at once (the server runs them
   * in order): one round trip. When the link fails, the rename finds no `temp` and `to`
   * is left as it was.
   */
  async link(from: string, to: string, temp: string): Promise<void> {
    for (const ext of ["hardlink@openssh.com", "posix-rename@openssh.com"]) {
      if (!this.#extensions.has(ext)) throw new SftpFailure(8, `the SFTP server has no ${ext}`);
    }
    const linked = this.#request(
      T.extended,
      (p) => p.str("hardlink@openssh.com").str(from).str(temp),
      T.status,
    );
    const renamed = this.#request(
      T.extended,
      (p) => p.str("posix-rename@openssh.com").str(temp).str(to),
      T.status,
    );
    const [link, rename] = await Promise.allSettled([linked, renamed]);
    if (link.status === "rejected") throw link.reason;
    if (rename.status === "rejected") {
      await this.remove(temp).catch(() => undefined);
      throw rename.reason;
    }
  }

  /** The entries of directory `path` (`.` and `..` left out). */
  async list(path: string): Promise<SftpEntry[]> {
    const opened = await this.#request(T.opendir, (p) => p.str(path), T.handle);
    const handle = Buffer.from(new Reader(opened.body).bytes());
    const entries: SftpEntry[] = [];
    try {
      for (;;) {
        const r = await this.#request(T.readdir, (p) => p.str(handle), T.name, true);
        if (r === null) break;
        const reader = new Reader(r.body);
        for (let n = reader.u32(); n > 0; n--) {
          const name = reader.bytes().toString("utf8");
          reader.bytes(); // the longname, `ls -l` style
          const attrs = reader.attrs();
          if (name !== "." && name !== "..") entries.push({ name, attrs });
        }
      }
    } finally {
      void this.#close(handle);
    }
    return entries;
  }

  /** Removes a file; a missing file is not an error. */
  async remove(path: string): Promise<void> {
    try {
      await this.#request(T.remove, (p) => p.str(path), T.status);
    } catch (e) {
      if (!(e instanceof SftpFailure && e.code === 2)) throw e;
    }
  }

  /** Ends the session. */
  end(): void {
    this.#stream.destroy();
  }

  async #open(path: string, pflags: number, attrs: SftpAttrs): Promise<Buffer> {
    const r = await this.#request(T.open, (p) => p.str(path).u32(pflags).attrs(attrs), T.handle);
    return Buffer.from(new Reader(r.body).bytes());
  }

  async #close(handle: Buffer): Promise<void> {
    await this.#request(T.close, (p) => p.str(handle), T.status).catch(() => undefined);
  }

  /** Sends one request (`fields` after its id) and awaits its reply; a STATUS other than OK rejects. */
  #request(type: number, fields: (p: Packet) => Packet, expect: number): Promise<Reply>;
  #request(
    type: number,
    fields: (p: Packet) => Packet,
    expect: number,
    eofIsNull: true,
  ): Promise<Reply | null>;
  #request(
    type: number,
    fields: (p: Packet) => Packet,
    expect: number,
    eofIsNull = false,
  ): Promise<Reply | null> {
    if (this.#ended) return Promise.reject(this.#ended);
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) >>> 0 || 1;
    const out = fields(new Packet().u32(id)).frame(type);
    const timer = this.#deadline("the SFTP server did not answer");
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#stream.write(out);
    })
      .finally(() => clearTimeout(timer))
      .then((reply) => {
        if (reply.type === T.status) {
          const r = new Reader(reply.body);
          const code = r.u32();
          if (code === STATUS.ok && expect === T.status) return reply;
          if (code === STATUS.eof && eofIsNull) return null;
          const message = r.bytes().toString("utf8");
          throw new SftpFailure(code, message || `SFTP status ${code}`);
        }
        if (reply.type !== expect) throw new SftpFailure(5, `unexpected SFTP reply type ${reply.type}`);
        return reply;
      });
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    while (this.#buffered.length >= 4) {
      const len = this.#buffered.readUInt32BE(0);
      if (this.#buffered.length < 4 + len) return;
      const type = this.#buffered[4] as number;
      const payload = this.#buffered.subarray(5, 4 + len);
      this.#buffered = this.#buffered.subarray(4 + len);
      if (type === T.version) {
        this.#versionWaiter?.({ type, body: payload });
        this.#versionWaiter = null;
        continue;
      }
      const id = payload.readUInt32BE(0);
      const waiter = this.#pending.get(id);
      this.#pending.delete(id);
      waiter?.resolve({ type, body: payload.subarray(4) });
    }
  }

  /** A timer ending the session after {@link TIMEOUT_MS}. */
  #deadline(why: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.#fail(new SftpFailure(-1, `${why} within ${TIMEOUT_MS} ms`));
      this.#stream.destroy();
    }, TIMEOUT_MS);
    timer.unref();
    return timer;
  }

  #endedPromise(): Promise<never> {
    return new Promise((_, reject) => {
      const check = () => (this.#ended ? reject(this.#ended) : undefined);
      this.#stream.once("close", check);
      this.#stream.once("error", check);
      check();
    });
  }

  #fail(failure: SftpFailure): void {
    if (this.#ended) return;
    this.#ended = failure;
    for (const { reject } of this.#pending.values()) reject(failure);
    this.#pending.clear();
    for (const listener of this.#endListeners.splice(0)) listener();
  }
}
