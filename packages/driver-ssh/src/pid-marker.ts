/** The line the remote shell prints on stderr before the command: `\x1ebackflip-pid:<pid>\n`. */
const MARKER = Buffer.from("\x1ebackflip-pid:");
/** Stderr held back while looking for the marker; past this, it is passed on untouched. */
const MAX_HELD_BYTES = 64 * 1024;
/** Linux's largest possible pid (`PID_MAX_LIMIT`, 2^22). */
const PID_MAX = 4_194_304;

/** The shell text that prints the marker (no user input in it). */
export const PID_MARKER_COMMAND = `printf '\\036backflip-pid:%s\\n' "$$" >&2`;

/**
 * Takes the remote command's process id out of its stderr: holds stderr back until the
 * marker line shows up (login noise before it is kept), removes that line and passes
 * everything else through unchanged.
 */
export class PidMarker {
  #held: Buffer = Buffer.alloc(0);
  #done = false;
  #pid: number | undefined;

  /** The remote process id (also its process group), once seen; never 0, 1 or beyond pid_max. */
  get pid(): number | undefined {
    return this.#pid;
  }

  /** Feeds a stderr chunk; returns the bytes that belong to the command's stderr. */
  push(chunk: Buffer): Buffer {
    if (this.#done) return chunk;
    this.#held = Buffer.concat([this.#held, chunk]);
    const start = this.#held.indexOf(MARKER);
    const end = start < 0 ? -1 : this.#held.indexOf(0x0a, start);
    if (end >= 0) {
      const digits = this.#held.subarray(start + MARKER.length, end).toString("latin1");
      this.#pid = parsePid(digits);
      return this.#release(Buffer.concat([this.#held.subarray(0, start), this.#held.subarray(end + 1)]));
    }
    return this.#held.length > MAX_HELD_BYTES ? this.#release(this.#held) : Buffer.alloc(0);
  }

  /** Whatever is still held back when the stream ends. */
  flush(): Buffer {
    return this.#done ? Buffer.alloc(0) : this.#release(this.#held);
  }

  #release(bytes: Buffer): Buffer {
    this.#done = true;
    this.#held = Buffer.alloc(0);
    return bytes;
  }
}

/**
 * A pid worth signalling: 2 to pid_max in plain digits. 0 and 1 are refused, since a
 * timeout sends `kill -<pid>` to the group and `-1` would mean every process the user owns.
 */
function parsePid(digits: string): number | undefined {
  if (!/^[1-9]\d{0,6}$/.test(digits)) return undefined;
  const pid = Number(digits);
  return pid > 1 && pid <= PID_MAX ? pid : undefined;
}
