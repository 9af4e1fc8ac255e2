import { runJournalConformance, runLeaseLockConformance } from "@backflip/core/testing";
import { coordination, skipEtcd } from "./support/etcd-backend";

// Against the real 3-member cluster of `scripts/backends up etcd`, each test under its own prefix.
runLeaseLockConformance({
  name: "etcd (real, 3 members)",
  skip: skipEtcd,
  async setup() {
    const store = coordination({ label: "lock" });
    return { port: store.lock, fixtures: {}, teardown: () => store.close() };
  },
});

runJournalConformance({
  name: "etcd (real, 3 members)",
  skip: skipEtcd,
  async setup() {
    const store = coordination({ label: "journal" });
    return { port: store.journal, fixtures: {}, teardown: () => store.close() };
  },
});
