import { describe, expect, it } from "vitest";
import {
  admitFence,
  FENCE_RECORD_LIMIT,
  type FenceRecord,
  fenceFileOf,
  formatFenceRecord,
  parseFenceRecord,
} from "../src/driver-kit/fence-record";

const source = { driver: "nginx", op: "record", path: "/var/lib/veza/active-color.fence" };
const LAPTOP = "file:laptop:/home/alice/.backflip/locks";

describe("the fence record beside a switch's state", () => {
  it("lives beside the active-color file and round-trips `<key> <token> [issuer]` lines in order", () => {
    expect(fenceFileOf("/var/lib/veza/active-color")).toBe("/var/lib/veza/active-color.fence");
    const record: FenceRecord = [
      { key: "staging", token: 12, issuer: "file:ci-runner:/var/lib/ci/my locks" },
      { key: "prod", token: 9007199254740991 },
    ];
    const text = formatFenceRecord(record);
    expect(text).toBe("staging 12 file:ci-runner:/var/lib/ci/my locks\nprod 9007199254740991\n");
    expect(parseFenceRecord(`\n${text}\n`, source)._unsafeUnwrap()).toEqual(record);
    expect(parseFenceRecord("", source)._unsafeUnwrap()).toEqual([]);
  });

  it("a line that is not `<key> <token> [issuer]` is failed naming the file and line, with what to do", () => {
    for (const bad of ["staging\n", "staging twelve\n", "staging -1\n", "staging 99999999999999999\n"]) {
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

  it("admits a first, equal or newer token, putting its entry first (null when already first and equal)", () => {
    const record: FenceRecord = [{ key: "staging", token: 7 }];
    expect(admitFence([], { key: "staging", token: 1 }, source)._unsafeUnwrap()).toEqual([
      { key: "staging", token: 1 },
    ]);
    expect(admitFence(record, { key: "staging", token: 7 }, source)._unsafeUnwrap()).toBeNull();
    expect(admitFence(record, { key: "staging", token: 8 }, source)._unsafeUnwrap()).toEqual([
      { key: "staging", token: 8 },
    ]);
    expect(admitFence(record, { key: "prod", token: 1 }, source)._unsafeUnwrap()).toEqual([
      { key: "prod", token: 1 },
      { key: "staging", token: 7 },
    ]);
    const equalNotFirst: FenceRecord = [{ key: "prod", token: 1 }, ...record];
    expect(admitFence(equalNotFirst, { key: "staging", token: 7 }, source)._unsafeUnwrap()).toEqual([
      { key: "staging", token: 7 },
      { key: "prod", token: 1 },
    ]);
    expect(record).toEqual([{ key: "staging", token: 7 }]);
  });

  it("refuses an older token of the same key and issuer as conflict, fenced, naming the newer token", () => {
    const error = admitFence(
      [{ key: "staging", token: 7, issuer: LAPTOP }],
      { key: "staging", token: 6, issuer: LAPTOP },
      source,
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({
      driver: "nginx",
      op: "record",
      reason: "conflict",
      details: { fenced: true, key: "staging", token: 6, current: 7, issuer: LAPTOP },
    });
    expect(error.message).toContain(`lease token 7 (issued by ${LAPTOP}), newer than this run's token 6`);
    expect(error.hint).toBe("this run's lease was broken by another run: do not retry; inspect with status");
  });

  it("compares tokens only within one issuer: another lock's lower token is admitted, kept apart", () => {
    const record: FenceRecord = [
      { key: "staging", token: 50, issuer: "file:ci:/ci/locks" },
      { key: "staging", token: 9 },
    ];
    const next = admitFence(record, { key: "staging", token: 3, issuer: LAPTOP }, source)._unsafeUnwrap();
    expect(next).toEqual([{ key: "staging", token: 3, issuer: LAPTOP }, ...record]);
    expect(admitFence(record, { key: "staging", token: 8 }, source)._unsafeUnwrapErr().details).toMatchObject(
      {
        current: 9,
      },
    );
  });

  it(`keeps the ${FENCE_RECORD_LIMIT} most recently written entries`, () => {
    let record: FenceRecord = [];
    for (let i = 0; i < FENCE_RECORD_LIMIT + 5; i++) {
      record =
        admitFence(record, { key: "lab", token: 1, issuer: `file:h:/tmp/${i}` }, source)._unsafeUnwrap() ??
        record;
    }
    expect(record).toHaveLength(FENCE_RECORD_LIMIT);
    expect(record[0]?.issuer).toBe(`file:h:/tmp/${FENCE_RECORD_LIMIT + 4}`);
    expect(record.at(-1)?.issuer).toBe("file:h:/tmp/5");
  });
});
