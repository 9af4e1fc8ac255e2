import { runJournalConformance, runLeaseLockConformance } from "@backflip/core/testing";
import { skipEtcd, twoClients } from "./support/etcd-backend";

// Against the real 3-member cluster of `scripts/backends up etcd`, each test under its own
// prefix; the second client of the same prefix plays another machine.
runLeaseLockConformance({
  name: "etcd (real, 3 members)",
  skip: skipEtcd,
  async setup() {
    const store = twoClients("lock");
    return { port: store.a.lock, fixtures: { peer: store.b.lock }, teardown: store.teardown };
  },
});

runJournalConformance({
  name: "etcd (real, 3 members)",
  skip: skipEtcd,
  async setup() {
    const store = twoClients("journal");
    return {
      port: store.a.journal,
      fixtures: { lock: store.a.lock, reopen: () => store.b.journal },
      teardown: store.teardown,
    };
  },
});
