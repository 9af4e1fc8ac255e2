import type { DriverError, Lease, LeaseLock, LeaseStatus } from "@backflip/core";
import { ok, type ResultAsync } from "neverthrow";
import { type FleetRuntime, operation } from "./drivers/operation";

/**
 * The fleet's lease lock: core's in-memory lease lock on the fleet clock (leases expire
 * when the clock is advanced past them) behind the fault injector (`lock.*` ops).
 */
export class FleetLeaseLock implements LeaseLock {
  readonly name = "mock-lock";

  /** Wraps `inner`, which must use the fleet clock. */
  constructor(
    readonly inner: LeaseLock,
    readonly runtime: FleetRuntime,
  ) {}

  acquire(key: string, options: { owner: string; ttlMs: number }): ResultAsync<Lease, DriverError> {
    return operation(
      this.runtime,
      { op: "lock.acquire", target: () => key },
      () => ok(undefined),
      () => this.inner.acquire(key, options),
    );
  }

  renew(lease: Lease, ttlMs: number): ResultAsync<Lease, DriverError> {
    return operation(
      this.runtime,
      { op: "lock.renew", target: () => lease?.key },
      () => ok(undefined),
      () => this.inner.renew(lease, ttlMs),
    );
  }

  release(lease: Lease): ResultAsync<void, DriverError> {
    return operation(
      this.runtime,
      { op: "lock.release", target: () => lease?.key },
      () => ok(undefined),
      () => this.inner.release(lease),
    );
  }

  inspect(key: string): ResultAsync<LeaseStatus | null, DriverError> {
    return operation(
      this.runtime,
      { op: "lock.inspect", target: () => key },
      () => ok(undefined),
      () => this.inner.inspect(key),
    );
  }

  breakStale(key: string): ResultAsync<Lease, DriverError> {
    return operation(
      this.runtime,
      { op: "lock.breakStale", target: () => key },
      () => ok(undefined),
      () => this.inner.breakStale(key),
    );
  }
}
