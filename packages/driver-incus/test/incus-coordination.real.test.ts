import { runJournalConformance, runLeaseLockConformance, skipUnlessBackend } from "@backflip/core/testing";
import { describe } from "vitest";
import type { IncusCoordination } from "../src/create-incus-coordination";
import { coordination, removeAnchors, uniquePrefix } from "./coordination-lab";
import { incusAvailable } from "./incus-lab";

const skip = skipUnlessBackend(await incusAvailable(), "incus", "scripts/backends up incus");

describe("incus coordination store (real)", () => {
  runLeaseLockConformance({
    name: "incus anchor lease (real)",
    skip,
    async setup() {
      const prefix = uniquePrefix();
      const store = coordination(prefix);
      return {
        port: store.lock,
        fixtures: {},
        teardown: async () => {
          await store.close();
          await removeAnchors(prefix);
        },
      };
    },
  });

  runJournalConformance({
    name: "incus anchor journal (real)",
    skip,
    async setup() {
      const prefix = uniquePrefix();
      const store = coordination(prefix);
      const others: IncusCoordination[] = [];
      return {
        port: store.journal,
        fixtures: {
          lock: store.lock,
          reopen: () => {
            others.push(coordination(prefix));
            return others[others.length - 1]!.journal;
          },
        },
        teardown: async () => {
          for (const s of [store, ...others]) await s.close();
          await removeAnchors(prefix);
        },
      };
    },
  });
});
