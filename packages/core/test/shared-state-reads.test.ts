import { okAsync, ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import type { TrafficState, TrafficSwitch } from "../src/ports/traffic-switch";
import { sharedStateReads } from "../src/recipes/shared-state-reads";

const STATE: TrafficState = { activeColor: "blue", history: [] };

/** A switch (a class with a private field, as drivers may be) counting its state reads, each taking `ms`. */
class CountingSwitch {
  readonly name = "counting";
  reads = 0;
  readonly #ms: number;
  constructor(ms: number) {
    this.#ms = ms;
  }
  readState() {
    this.reads++;
    return ResultAsync.fromSafePromise(
      new Promise<TrafficState>((r) => setTimeout(() => r(STATE), this.#ms)),
    );
  }
  installedRevision() {
    return okAsync(`rev after ${this.#ms} ms`);
  }
}

describe("sharedStateReads", () => {
  it("serves calls made while a read is in flight with that read, and reads again once it is done", async () => {
    const inner = new CountingSwitch(30);
    const sw = sharedStateReads(inner as unknown as TrafficSwitch);
    const [a, b] = await Promise.all([sw.readState(), sw.readState()]);
    expect(a._unsafeUnwrap()).toEqual(STATE);
    expect(b._unsafeUnwrap()).toEqual(STATE);
    expect(inner.reads).toBe(1);
    (await sw.readState())._unsafeUnwrap();
    expect(inner.reads).toBe(2);
  });

  it("passes every other member through, bound to the switch", async () => {
    const sw = sharedStateReads(new CountingSwitch(5) as unknown as TrafficSwitch);
    expect(sw.name).toBe("counting");
    expect((await sw.installedRevision())._unsafeUnwrap()).toBe("rev after 5 ms");
  });
});
