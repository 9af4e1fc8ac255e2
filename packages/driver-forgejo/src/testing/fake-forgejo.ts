import { randomBytes, timingSafeEqual } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunStatus } from "@backflip/core";
import { FakeActions, type FakeRun, type FakeWorkflow } from "./fake-actions";
import { actionsRoute } from "./fake-actions-routes";
import {
  type FakeContext,
  type FakePackageLimits,
  type FakeSettings,
  type FakeToken,
  sign,
} from "./fake-context";
import { type ArmedFault, type FakeFault, takeFault } from "./fake-fault";
import { fileReply, packageApiRoute, packageRoute } from "./fake-package-routes";
import {
  type FakeCleanupRule,
  type FakeDigest,
  FakePackageStore,
  type FakeStoredFile,
} from "./fake-package-store";
import { drain, type FakeReply, jsonReply, sendReply, textReply } from "./fake-reply";
import { DEFAULT_FAKE_VERSION, type FakeForgejoVersion, fakeVersionProfile } from "./fake-version";

/** How to start a {@link FakeForgejo}. Every field is optional. */
export interface FakeForgejoOptions {
  /** Users/orgs that exist. Default `["talas"]`. */
  readonly owners?: readonly string[];
  /** Repositories with Actions, as `owner/repo`. Default `["talas/veza"]`. */
  readonly repos?: readonly string[];
  /** Accepted tokens. Default: one random token with every scope (see {@link FakeForgejo.token}). */
  readonly tokens?: Readonly<Record<string, FakeToken>>;
  /** Let requests without credentials read packages (a public owner). Default false. */
  readonly allowAnonymousRead?: boolean;
  /** Serve downloads by redirecting to a second "storage" origin with a signed URL. Default false. */
  readonly redirectDownloads?: boolean;
  /** The redirect status (unverified in Forgejo: 303 is Gitea's `ctx.Redirect` default). Default 303. */
  readonly redirectStatus?: 301 | 302 | 303 | 307 | 308;
  /**
   * The server version played (see `FAKE_FORGEJO_VERSIONS`): switches the Actions routes,
   * `return_run_info`, run filters, cancel, `HEAD`, the 413 quota and `/api/v1/version`.
   * Default the newest, `16.0.0`.
   */
  readonly version?: FakeForgejoVersion;
  /** The file listing's size key. Default `Size`, the untagged Go field every Forgejo (and Gitea 1.22) sends; current Gitea sends `size`. */
  readonly sizeKey?: "size" | "Size";
  /** A duplicate upload's status: Forgejo's 409, or older Gitea's 400. Default 409. */
  readonly duplicateStatus?: 400 | 409;
  /** Page size when none is asked (`default_paging_num`). Default 30. */
  readonly defaultPageSize?: number;
  /** Largest page (`max_response_items`). Default 50. */
  readonly maxPageSize?: number;
  /** Digests computed per stored file. Default all four (md5, sha1, sha256, sha512). */
  readonly digests?: readonly FakeDigest[];
  /** Reject uploads once an owner stores this many bytes. */
  readonly quotaBytes?: number;
  /**
   * The quota status: 413 `quota exceeded` (Forgejo ≥ 9's quota, checked before names), or
   * 403 `maximum allowed package storage quota exceeded` (`LIMIT_TOTAL_OWNER_SIZE`).
   * Default 413 from Forgejo 9, else 403.
   */
  readonly quotaStatus?: 403 | 413;
  /** Per-file and per-owner package limits (403 with Forgejo's texts). */
  readonly limits?: FakePackageLimits;
  /** Workflows by file name. Default: `rollback.yml` and `cleanup-failed.yml`, both succeeding. */
  readonly workflows?: Readonly<Record<string, FakeWorkflow>>;
  /** `run-info`: honour `return_run_info` with 201 (when the version has it, Forgejo ≥ 11); `no-content`: always 204. Default `run-info`. */
  readonly dispatchReply?: "run-info" | "no-content";
  /** Reads of a run before it moves to its next scripted status. Default 1. */
  readonly pollsPerStatus?: number;
  /** Run listings a new run stays invisible to (the lag after a 204 dispatch). Default 0. */
  readonly runHiddenForListings?: number;
  /** Whether `POST …/runs/{id}/cancel` exists. Default: from Forgejo 16. */
  readonly cancelEndpoint?: boolean;
  /** A hostile server that echoes the `Authorization` header into error bodies. Default false. */
  readonly echoAuthorization?: boolean;
  /** Serve HTTPS with this key and certificate (both origins). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** The clock (ms since the epoch). Default `Date.now`. */
  readonly clock?: () => number;
  /** Where blobs are written. Default: a new temp directory, removed on close. */
  readonly dataDir?: string;
}

/** One request the fake received. Never holds credentials. */
export interface FakeRequestRecord {
  readonly origin: "api" | "storage";
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  /** Whether an `Authorization` header came with it. */
  readonly authorization: boolean;
  /** The status answered; 0 when the connection was reset. */
  status: number;
}

/**
 * A running fake Forgejo (see {@link startFakeForgejo}). It is **not Forgejo**: it models
 * the documented behaviours of the generic package registry and the Actions API listed in
 * the package README, on 127.0.0.1, for tests and benchmarks.
 */
export interface FakeForgejo {
  /** The API origin, e.g. `http://127.0.0.1:41234`. */
  readonly baseUrl: string;
  /** The storage origin downloads are redirected to (when `redirectDownloads`). */
  readonly storageUrl: string;
  /** A token with every scope (the first of `tokens`). */
  readonly token: string;
  /** Every request received, in order (API and storage). */
  readonly requests: readonly FakeRequestRecord[];
  /** Every run started. */
  readonly runs: readonly FakeRun[];
  /** Arms a fault for the next matching request(s). */
  injectFault(fault: FakeFault): void;
  /** Disarms every fault. */
  clearFaults(): void;
  /** Adds an owner cleanup rule (applied by {@link FakeForgejo.runCleanup}). */
  addCleanupRule(rule: FakeCleanupRule): void;
  /** Runs the cleanup rules as Forgejo's `cleanup_packages` cron would; returns removed `package/version`s. */
  runCleanup(): Promise<string[]>;
  /** Flips a byte of a stored file (its listed digests unchanged). False when absent. */
  corrupt(owner: string, pkg: string, version: string, file: string): Promise<boolean>;
  /** A stored file, when present. */
  storedFile(owner: string, pkg: string, version: string, file: string): FakeStoredFile | undefined;
  /** Forces a run's status (e.g. `blocked`, `unknown`). */
  setRunStatus(id: number, status: RunStatus): void;
  /** Stops both servers and removes the temp data. */
  close(): Promise<void>;
}

const DEFAULT_WORKFLOWS: Record<string, FakeWorkflow> = {
  "rollback.yml": { statuses: ["waiting", "running", "success"], jobs: ["rollback"] },
  "cleanup-failed.yml": { statuses: ["waiting", "running", "success"], jobs: ["cleanup"] },
};

const listen = (server: Server) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

function segments(url: URL): string[] | null {
  try {
    return url.pathname.split("/").slice(1).map(decodeURIComponent);
  } catch {
    return null;
  }
}

/**
 * Starts a fake Forgejo on 127.0.0.1 (port 0) plus a second "storage" origin, following
 * the protocol facts in PROTOCOLS.md §1–2. It is a fake, for tests and benchmarks only.
 */
export async function startFakeForgejo(options: FakeForgejoOptions = {}): Promise<FakeForgejo> {
  const defaultToken = `fake-${randomBytes(12).toString("hex")}`;
  const tokens = options.tokens ?? { [defaultToken]: {} };
  const firstToken = Object.keys(tokens)[0] ?? defaultToken;
  const now = options.clock ?? Date.now;
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "fake-forgejo-")));
  const profile = fakeVersionProfile(options.version ?? DEFAULT_FAKE_VERSION);
  const settings: FakeSettings = {
    profile,
    limits: options.limits ?? {},
    owners: options.owners ?? ["talas"],
    repos: options.repos ?? ["talas/veza"],
    tokens,
    allowAnonymousRead: options.allowAnonymousRead ?? false,
    redirectDownloads: options.redirectDownloads ?? false,
    redirectStatus: options.redirectStatus ?? 303,
    sizeKey: options.sizeKey ?? "Size",
    duplicateStatus: options.duplicateStatus ?? 409,
    defaultPageSize: options.defaultPageSize ?? 30,
    maxPageSize: options.maxPageSize ?? 50,
    digests: options.digests ?? ["md5", "sha1", "sha256", "sha512"],
    quotaBytes: options.quotaBytes,
    quotaStatus: options.quotaStatus ?? (profile.quota413 ? 413 : 403),
    dispatchReply: options.dispatchReply ?? "run-info",
    cancelEndpoint: options.cancelEndpoint ?? profile.cancel,
    echoAuthorization: options.echoAuthorization ?? false,
  };
  const ctx: FakeContext = {
    settings,
    store: new FakePackageStore(dataDir, settings.digests, now),
    actions: new FakeActions(
      options.workflows ?? DEFAULT_WORKFLOWS,
      options.pollsPerStatus ?? 1,
      options.runHiddenForListings ?? 0,
      now,
    ),
    baseUrl: "",
    storageUrl: "",
    signingKey: randomBytes(16).toString("hex"),
    now,
  };
  const faults: ArmedFault[] = [];
  const requests: FakeRequestRecord[] = [];
  const rules: FakeCleanupRule[] = [];

  const apiRoute = async (req: IncomingMessage, url: URL): Promise<FakeReply> => {
    const segs = segments(url);
    if (!segs) {
      await drain(req);
      return textReply(400, "invalid path encoding");
    }
    if (segs[0] === "api" && segs[1] === "packages") return packageRoute(ctx, req, url, segs.slice(2));
    if (url.pathname === "/api/v1/version" && req.method === "GET") {
      return jsonReply(200, { version: profile.versionText });
    }
    if (segs[0] === "api" && segs[1] === "v1" && segs[2] === "packages") {
      return packageApiRoute(ctx, req, url, segs.slice(3));
    }
    if (segs[0] === "api" && segs[1] === "v1" && segs[2] === "repos" && segs[5] === "actions") {
      return actionsRoute(ctx, req, url, segs[3] ?? "", segs[4] ?? "", segs.slice(6));
    }
    await drain(req);
    return textReply(404, "404 page not found");
  };

  const storageRoute = async (req: IncomingMessage, url: URL): Promise<FakeReply> => {
    await drain(req);
    const match = /^\/blobs\/(\d+)$/.exec(url.pathname);
    const file = match ? ctx.store.fileById(Number(match[1])) : undefined;
    if (req.headers.authorization) {
      return textReply(
        400,
        "InvalidArgument: Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
      );
    }
    const expires = Number(url.searchParams.get("expires"));
    const given = Buffer.from(url.searchParams.get("signature") ?? "");
    const wanted = file ? Buffer.from(sign(ctx, file.id, expires)) : Buffer.alloc(0);
    if (
      !file ||
      given.length !== wanted.length ||
      !timingSafeEqual(given, wanted) ||
      expires * 1000 < now()
    ) {
      return textReply(403, "AccessDenied: Request has expired or the signature does not match");
    }
    return fileReply(file);
  };

  const handler =
    (origin: "api" | "storage", route: (req: IncomingMessage, url: URL) => Promise<FakeReply>) =>
    async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://fake.invalid");
      const method = (req.method ?? "GET").toUpperCase();
      const record: FakeRequestRecord = {
        origin,
        method,
        path: url.pathname,
        authorization: req.headers.authorization !== undefined,
        status: 0,
      };
      requests.push(record);
      try {
        const before = takeFault(faults, origin, "before", method, url.pathname);
        if (before?.action.kind === "delay") await sleep(before.action.ms);
        if (before?.action.kind === "reset") {
          req.socket.destroy();
          return;
        }
        if (before?.action.kind === "status") {
          await drain(req);
          record.status = await sendReply(res, { status: 0 }, before);
          return;
        }
        const reply = await route(req, url);
        const after = takeFault(faults, origin, "after", method, url.pathname);
        if (after?.action.kind === "delay") await sleep(after.action.ms);
        const slow = before?.action.kind === "slow" ? before : undefined;
        record.status = await sendReply(res, reply, after ?? slow);
      } catch {
        if (!res.headersSent) record.status = await sendReply(res, textReply(500, ""));
        else res.destroy();
      }
    };

  const make = (h: ReturnType<typeof handler>) =>
    options.tls ? createHttpsServer(options.tls, h) : createHttpServer(h);
  const api = make(handler("api", apiRoute));
  const storage = make(handler("storage", storageRoute));
  const scheme = options.tls ? "https" : "http";
  ctx.baseUrl = `${scheme}://127.0.0.1:${await listen(api)}`;
  ctx.storageUrl = `${scheme}://127.0.0.1:${await listen(storage)}`;

  return {
    baseUrl: ctx.baseUrl,
    storageUrl: ctx.storageUrl,
    token: firstToken,
    requests,
    runs: ctx.actions.runs,
    injectFault(fault) {
      faults.push({ fault, remaining: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    addCleanupRule(rule) {
      rules.push(rule);
    },
    runCleanup() {
      return ctx.store.cleanup(rules);
    },
    corrupt(owner, pkg, version, file) {
      return ctx.store.corrupt(owner, pkg, version, file);
    },
    storedFile(owner, pkg, version, file) {
      return ctx.store.file(owner, pkg, version, file);
    },
    setRunStatus(id, status) {
      const run = ctx.actions.runs.find((r) => r.id === id);
      if (run) run.override = status;
    },
    async close() {
      await Promise.all([close(api), close(storage)]);
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
