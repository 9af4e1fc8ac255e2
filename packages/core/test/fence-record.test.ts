import { describe, expect, it } from "vitest";
import { admitFence, fenceFileOf, formatFenceRecord, parseFenceRecord } from "../src/driver-kit/fence-record";

const source = { driver: "nginx", op: "record", path: "/var/lib/veza/active-color.fence" };

describe("the fence record beside a switch's state", () => {
  it("lives beside the active-color file and round-trips one `<key> <token>` line per key, sorted", () => {
    expect(fenceFileOf("/var/lib/veza/active-color")).toBe("/var/lib/veza/active-color.fence");
    const record = new Map([
      ["staging", 12],
      ["prod", 9007199254740991],
    ]);
    const text = formatFenceRecord(record);
    expect(text).toBe("prod 9007199254740991\nstaging 12\n");
    expect(parseFenceRecord(`\n${text}\n`, source)._unsafeUnwrap()).toEqual(record);
    expect(parseFenceRecord("", source)._unsafeUnwrap().size).toBe(0);
  });

  it("a line that is not `<key> <token>` is failed naming the file and line, with what to do", () => {
    for (const bad of ["staging\n", "staging 12 extra\n", "staging -1\n", "staging 99999999999999999\n"]) {
      const error = parseFenceRecord(`prod 1\n${bad}`, source)._unsafeUnwrapErr();
      expect(error).toMatchObject({
        driver: "nginx",
        op: "record",
        reason: "failed",
        details: { path: source.path, line: 2 },
      });
      expect(error.hint).toContain(source.path);
    }
  });

  it("admits a first, equal or newer token (the record to write back, null when unchanged), other keys apart", () => {
    const record = new Map([["staging", 7]]);
    expect(admitFence(new Map(), { key: "staging", token: 1 }, source)._unsafeUnwrap()).toEqual(
      new Map([["staging", 1]]),
    );
    expect(admitFence(record, { key: "staging", token: 7 }, source)._unsafeUnwrap()).toBeNull();
    expect(admitFence(record, { key: "staging", token: 8 }, source)._unsafeUnwrap()).toEqual(
      new Map([["staging", 8]]),
    );
    expect(admitFence(record, { key: "prod", token: 1 }, source)._unsafeUnwrap()).toEqual(
      new Map([
        ["staging", 7],
        ["prod", 1],
      ]),
    );
    expect(record).toEqual(new Map([["staging", 7]]));
  });

  it("refuses an older token of the same key as conflict, fenced, naming the newer token", () => {
    const error = admitFence(
      new Map([["staging", 7]]),
      { key: "staging", token: 6 },
      source,
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({
      driver: "nginx",
      op: "record",
      reason: "conflict",
      details: { fenced: true, key: "staging", token: 6, current: 7 },
    });
    expect(error.message).toContain("lease token 7, newer than this run's token 6");
    expect(error.hint).toBe("this run's lease was broken by another run: do not retry; inspect with status");
  });
});
