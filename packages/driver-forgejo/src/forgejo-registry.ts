import { isAbsolute, resolve } from "node:path";
import {
  type Action,
  type ArtifactInfo,
  type ArtifactOperation,
  type ArtifactRef,
  type ArtifactRegistry,
  type ArtifactSource,
  type ArtifactVersion,
  type DriverError,
  driverError,
} from "@backflip/core";
import {
  invalidInput,
  lazySchema,
  parseInput,
  quoteForShell,
  shaSchema,
  simpleNameSchema,
} from "@backflip/core/driver-kit";
import { err, ok, type Result, type ResultAsync } from "neverthrow";
import * as z from "zod";
import { type ArtifactNaming, fileFor, packageFor } from "./artifact-naming";
import { downloadToFile } from "./download-to-file";
import { httpAction, noteAction, refusedAction } from "./dry-run";
import { type ForgejoConfig, resolveForgejoConfig } from "./forgejo-config";
import { type Attempt, DRIVER, ForgejoHttp, failedAttempt, giveUp, malformedError } from "./forgejo-http";
import { fileNameSchema, packageNameSchema } from "./forgejo-names";
import { nextPage, type PackageEntry, parsePackageFiles, parsePackageList } from "./package-json";
import {
  type ComponentRetention,
  componentRetention,
  type RetentionReport,
  type RetentionRequest,
  retentionReport,
} from "./retention-report";
import { retryAfterMs } from "./retry-after";
import { isDuplicate } from "./status-reason";
import { UploadBody } from "./upload-body";

/** The registry names of one artifact. */
interface Names {
  readonly component: string;
  readonly sha: string;
  readonly package: string;
  readonly file: string;
}

const refSchema = lazySchema(() => z.object({ component: simpleNameSchema, sha: shaSchema }));
const sourceSchema = lazySchema(() =>
  z.union([
    z.object({
      path: z
        .string()
        .min(1, "expected a file path")
        .refine((p) => !p.includes("\0"), "path contains a NUL byte"),
    }),
    z.object({
      stream: z.custom<AsyncIterable<Uint8Array>>(
        (v) => typeof v === "object" && v !== null && Symbol.asyncIterator in v,
        "expected an AsyncIterable of bytes",
      ),
      size: z.number().int().min(0).optional(),
    }),
  ]),
);
const destSchema = lazySchema(() =>
  z
    .string()
    .min(1, "expected a destination path")
    .refine((p) => !p.includes("\0"), "path contains a NUL byte"),
);
const retentionSchema = lazySchema(() =>
  z.object({
    history: z.array(shaSchema).max(10_000),
    components: z.array(simpleNameSchema).min(1),
    keep: z.number().int().min(1).optional(),
    warnWithin: z.number().int().min(0).optional(),
  }),
);

const HINTS = {
  missing:
    "the tarball is not in the registry (a cleanup rule may have deleted it): rebuild and push it (Path 3), then re-deploy (Path 2)",
  mismatch:
    "the stored artifact does not match its listed checksum: do not deploy it; rebuild and push it again (Path 3) after deleting the version",
  conflict:
    "packages are immutable: a different artifact is already stored for this SHA; if it is wrong, delete the version (deleteVersion) and push again",
  unknownOutcome: "check with stat whether the artifact arrived before pushing again",
  hashFailed:
    "the upload's sha256 could not be computed, so its outcome is unverified: upload the same file again (an identical stored artifact is accepted) or check with stat",
} as const;

const PAGE_LIMIT = 50;
const MAX_PAGES = 10_000;

/**
 * `ArtifactRegistry` over Forgejo's generic package registry
 * (`/api/packages/{owner}/generic/{package}/{sha}/{file}`), plus a version delete and the
 * retention report. Build it with {@link createForgejoRegistry}.
 */
export class ForgejoRegistry implements ArtifactRegistry {
  /** The driver's name. */
  readonly name = DRIVER;
  readonly #http: ForgejoHttp;
  readonly #owner: string;
  readonly #naming: ArtifactNaming;

  /** Use {@link createForgejoRegistry}, which validates the config. */
  constructor(http: ForgejoHttp, owner: string, naming: ArtifactNaming) {
    this.#http = http;
    this.#owner = owner;
    this.#naming = naming;
  }

  /** The artifact's facts from the version's file listing, or `null` when it is absent. */
  stat(ref: ArtifactRef): ResultAsync<ArtifactInfo | null, DriverError> {
    return this.#run(async () => {
      const names = this.#names(ref, "stat");
      return names.isErr() ? err(names.error) : this.#stat(names.value, "stat");
    });
  }

  /**
   * Uploads from a file or a stream (never buffered whole; sha256 on the way). A 409 (or old
   * Gitea's 400 "duplicate") succeeds only when the stored sha256 equals ours. After a 5xx or
   * a cut connection the registry is asked what it stored: the same digest is success, an
   * absent file is retried when the bytes can be sent again (a file, or a stream not yet read).
   */
  upload(ref: ArtifactRef, source: ArtifactSource): ResultAsync<ArtifactInfo, DriverError> {
    return this.#run(async () => {
      const names = this.#names(ref, "upload");
      if (names.isErr()) return err(names.error);
      const parsed = parseInput(sourceSchema, source, { driver: DRIVER, op: "upload" });
      if (parsed.isErr()) return err(parsed.error);
      let body: UploadBody;
      try {
        body = await UploadBody.open(source);
      } catch (error) {
        return err(
          invalidInput(
            DRIVER,
            "upload",
            `cannot read the source: ${this.#http.redactor.cause(error).message}`,
          ),
        );
      }
      try {
        return await this.#upload(names.value, body);
      } finally {
        await body.close();
      }
    });
  }

  /** Downloads to `destPath` through a temp file, verifying size and sha256 against the listing. */
  download(ref: ArtifactRef, destPath: string): ResultAsync<ArtifactInfo, DriverError> {
    return this.#run(async () => {
      const names = this.#names(ref, "download");
      if (names.isErr()) return err(names.error);
      const dest = parseInput(destSchema, destPath, { driver: DRIVER, op: "download" });
      if (dest.isErr()) return err(dest.error);
      const info = await this.#stat(names.value, "download");
      if (info.isErr()) return err(info.error);
      if (info.value === null) return err(this.#missing(names.value, "download"));
      const expected = info.value;
      if (!expected.sha256) {
        return err(
          driverError({
            driver: DRIVER,
            op: "download",
            reason: "failed",
            message: `the registry lists ${expected.file} without a sha256, so the download cannot be verified`,
            hint: "refusing an unverified artifact: check the Forgejo version, or rebuild and push it (Path 3)",
          }),
        );
      }
      const target = isAbsolute(dest.value) ? dest.value : resolve(dest.value);
      const done = await downloadToFile(
        this.#http,
        "download",
        this.#fileUrl(names.value),
        target,
        { size: expected.size, sha256: expected.sha256 },
        { notFound: HINTS.missing, mismatch: HINTS.mismatch },
      );
      return done.map(() => expected);
    });
  }

  /** The component's versions, newest first (every page of the owner's listing). */
  listVersions(component: string): ResultAsync<ArtifactVersion[], DriverError> {
    return this.#run(async () => {
      const valid = parseInput(simpleNameSchema, component, { driver: DRIVER, op: "listVersions" });
      if (valid.isErr()) return err(valid.error);
      const pkg = this.#packageName(component, "listVersions");
      if (pkg.isErr()) return err(pkg.error);
      const entries = await this.#listPackage(pkg.value);
      return entries.map((list) => list.map((e) => ({ version: e.version, createdAt: e.createdAt })));
    });
  }

  /** Deletes the artifact's file (Forgejo drops the version with its last file); `not_found` when absent. */
  delete(ref: ArtifactRef): ResultAsync<void, DriverError> {
    return this.#run(async () => {
      const names = this.#names(ref, "delete");
      return names.isErr()
        ? err(names.error)
        : this.#delete("delete", this.#fileUrl(names.value), names.value.file);
    });
  }

  /** Deletes a whole version (every file of the component at that SHA); `not_found` when absent. */
  deleteVersion(ref: ArtifactRef): ResultAsync<void, DriverError> {
    return this.#run(async () => {
      const names = this.#names(ref, "deleteVersion");
      if (names.isErr()) return err(names.error);
      const { package: pkg, sha } = names.value;
      const url = this.#http.url(["api", "packages", this.#owner, "generic", pkg, sha]);
      return this.#delete("deleteVersion", url, `${pkg}@${sha}`);
    });
  }

  /**
   * Which history SHAs are still downloadable per component, and which rollback targets
   * are within `warnWithin` versions of falling out of the keep-N rule.
   */
  retentionReport(request: RetentionRequest): ResultAsync<RetentionReport, DriverError> {
    return this.#run(async () => {
      const parsed = parseInput(retentionSchema, request, { driver: DRIVER, op: "retentionReport" });
      if (parsed.isErr()) return err(parsed.error);
      const keep = parsed.value.keep ?? this.#naming.retention;
      const warnWithin = parsed.value.warnWithin ?? 3;
      const history = [...new Set(parsed.value.history)];
      const components: ComponentRetention[] = [];
      for (const component of parsed.value.components) {
        const pkg = this.#packageName(component, "retentionReport");
        if (pkg.isErr()) return err(pkg.error);
        const listed = await this.#listPackage(pkg.value);
        if (listed.isErr()) return err(listed.error);
        const versions = listed.value.map((e) => e.version);
        const present = new Set<string>();
        for (const sha of history.filter((s) => versions.includes(s))) {
          const names = this.#names({ component, sha }, "retentionReport");
          if (names.isErr()) return err(names.error);
          const info = await this.#stat(names.value, "retentionReport");
          if (info.isErr()) return err(info.error);
          if (info.value) present.add(sha);
        }
        components.push(
          componentRetention({
            component,
            package: pkg.value,
            versionsNewestFirst: versions,
            filePresent: present,
            history,
            keep,
            warnWithin,
          }),
        );
      }
      return ok(retentionReport(components, history, keep, warnWithin));
    });
  }

  /**
   * The dry run of a call: its requests with the real URLs (the token travels in a header,
   * never shown); an upload's body, the local file, is named quoted in a note. A call the
   * driver would refuse (a name Forgejo rejects) is a note saying why.
   */
  describe(operation: ArtifactOperation): readonly Action[] {
    const { op } = operation;
    const names = this.#names(operation.ref, op);
    if (names.isErr()) return [refusedAction(op, names.error)];
    const n = names.value;
    const listing = httpAction(this.#http.redactor, "GET", this.#filesUrl(n));
    switch (op) {
      case "stat":
        return [listing];
      case "download":
        return [
          listing,
          httpAction(this.#http.redactor, "GET", this.#fileUrl(n)),
          noteAction("the download is kept only when its size and sha256 match the listing"),
        ];
      case "upload": {
        const source = parseInput(sourceSchema, { path: operation.path }, { driver: DRIVER, op });
        if (source.isErr()) return [refusedAction(op, source.error)];
        return [
          httpAction(this.#http.redactor, "PUT", this.#fileUrl(n)),
          noteAction(
            `the PUT's body is the file ${quoteForShell(operation.path)}, streamed (sha256 computed on the way); a 409 counts as done only when the listing (GET …/files) shows the same sha256`,
          ),
        ];
      }
    }
  }

  #run<T>(work: () => Promise<Result<T, DriverError>>): ResultAsync<T, DriverError> {
    return this.#http.guarded("registry", work);
  }

  #packageName(component: string, op: string): Result<string, DriverError> {
    return parseInput(packageNameSchema, packageFor(this.#naming, component), {
      driver: DRIVER,
      op,
      hint: "the registry packagePattern yields a name Forgejo rejects",
    });
  }

  #names(ref: ArtifactRef, op: string): Result<Names, DriverError> {
    const valid = parseInput(refSchema, ref, { driver: DRIVER, op });
    if (valid.isErr()) return err(valid.error);
    const { component, sha } = valid.value;
    const pkg = this.#packageName(component, op);
    if (pkg.isErr()) return err(pkg.error);
    const file = parseInput(fileNameSchema, fileFor(this.#naming, component, sha), {
      driver: DRIVER,
      op,
      hint: "the registry filePattern yields a file name Forgejo rejects",
    });
    if (file.isErr()) return err(file.error);
    return ok({ component, sha, package: pkg.value, file: file.value });
  }

  #fileUrl(n: Names): URL {
    return this.#http.url(["api", "packages", this.#owner, "generic", n.package, n.sha, n.file]);
  }

  #filesUrl(n: Names): URL {
    return this.#http.url(["api", "v1", "packages", this.#owner, "generic", n.package, n.sha, "files"]);
  }

  #info(n: Names, size: number, sha256: string | undefined): ArtifactInfo {
    return {
      component: n.component,
      sha: n.sha,
      package: n.package,
      version: n.sha,
      file: n.file,
      size,
      ...(sha256 ? { sha256 } : {}),
    };
  }

  #missing(n: Names, op: string): DriverError {
    return driverError({
      driver: DRIVER,
      op,
      reason: "not_found",
      message: `${n.package}/${n.sha}/${n.file} is not in ${this.#owner}'s registry`,
      hint: HINTS.missing,
    });
  }

  async #stat(n: Names, op: string): Promise<Result<ArtifactInfo | null, DriverError>> {
    const got = await this.#http.getJson(op, this.#filesUrl(n), { notFoundIsNull: true });
    if (got.isErr()) return err(got.error);
    if (got.value === null) return ok(null);
    const files = parsePackageFiles(got.value.data);
    if (files === null) return err(malformedError(op, "the package file listing"));
    // Forgejo matches file names case-insensitively (`lower_name`): so does stat.
    const file = files.find((f) => f.name.toLowerCase() === n.file.toLowerCase());
    return ok(file ? this.#info(n, file.size, file.sha256) : null);
  }

  async #listPackage(pkg: string): Promise<Result<PackageEntry[], DriverError>> {
    const op = "listVersions";
    const found = new Map<string, PackageEntry>();
    for (let page = 1, pages = 0; pages < MAX_PAGES; pages++) {
      const url = this.#http.url(["api", "v1", "packages", this.#owner], {
        type: "generic",
        q: pkg,
        limit: PAGE_LIMIT,
        page,
      });
      const got = await this.#http.getJson(op, url, { notFoundIsNull: true });
      if (got.isErr()) return err(got.error);
      if (got.value === null) break;
      const entries = parsePackageList(got.value.data);
      if (entries === null) return err(malformedError(op, "the package listing"));
      for (const e of entries)
        if (e.type === "generic" && e.name.toLowerCase() === pkg.toLowerCase()) found.set(e.version, e);
      const next = nextPage(got.value.headers, page, entries.length);
      if (next === null) break;
      page = next;
    }
    const list = [...found.values()].sort(
      (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id,
    );
    return ok(list);
  }

  async #delete(op: string, url: URL, what: string): Promise<Result<void, DriverError>> {
    let maybeDone = false;
    return this.#http.retrying(op, async (n): Promise<Attempt<void>> => {
      const res = await this.#http.send({ op, method: "DELETE", url, attempt: n });
      if (res.kind === "transport") {
        maybeDone ||= !res.notSent;
        return this.#http.transportAttempt(op, "DELETE", url, res);
      }
      if (res.status === 204 || res.status === 200) {
        await res.body.dump();
        return { ok: true, value: undefined };
      }
      if (res.status === 404 && maybeDone) {
        await res.body.dump();
        return { ok: true, value: undefined };
      }
      if (res.status >= 500) maybeDone = true;
      const hint =
        res.status === 404 ? `${what} is not in ${this.#owner}'s registry: nothing to delete` : undefined;
      return this.#http.statusAttempt(op, "DELETE", res, hint);
    });
  }

  async #upload(n: Names, body: UploadBody): Promise<Result<ArtifactInfo, DriverError>> {
    const op = "upload";
    const url = this.#fileUrl(n);
    return this.#http.retrying(op, async (attempt): Promise<Attempt<ArtifactInfo>> => {
      const res = await this.#http.send({
        op,
        method: "PUT",
        url,
        attempt,
        headers: {
          "content-type": "application/octet-stream",
          ...(body.size === undefined ? {} : { "content-length": String(body.size) }),
        },
        body: body.attempt(),
      });
      const { sourceError, hashError } = body.progress;
      if (hashError !== undefined) {
        if (res.kind === "response") await res.body.dump();
        return giveUp(this.#hashFailed(hashError));
      }
      if (sourceError !== undefined) {
        if (res.kind === "response") await res.body.dump();
        const cause = this.#http.redactor.cause(sourceError);
        return failedAttempt(
          op,
          `reading the upload's source failed: ${cause.message}`,
          HINTS.unknownOutcome,
          {
            cause,
          },
        );
      }
      if (res.kind === "transport") {
        const error = this.#http.transportError(op, "PUT", url, res);
        if (res.aborted || res.tls) return giveUp(error);
        if (res.notSent && body.replayable) return { ok: false, error, retryable: res.transient };
        if (res.code === "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH") {
          return giveUp(
            invalidInput(DRIVER, op, `the stream's declared size ${body.size} does not match its bytes`),
          );
        }
        return this.#settleUnknown(n, body, error, res.transient);
      }
      if (res.status === 201 || res.status === 200) {
        await res.body.dump();
        const mine = await this.#digest(body);
        if (mine.isErr()) return giveUp(mine.error);
        return { ok: true, value: this.#info(n, mine.value.size, mine.value.sha256) };
      }
      const text = await this.#http.text(res);
      const error = this.#http.httpError(op, "PUT", url, res.status, text);
      if (res.status === 409 || (res.status === 400 && isDuplicate(text)))
        return this.#settleConflict(n, body, error);
      if (res.status >= 500) return this.#settleUnknown(n, body, error, true);
      const after = retryAfterMs(res.status, res.headers);
      if (res.status === 429 && body.replayable) {
        return { ok: false, error, retryable: true, ...(after === undefined ? {} : { retryAfterMs: after }) };
      }
      return giveUp(error);
    });
  }

  /** The body's digest; a failed hashing worker is a `failed` error, other failures throw as before. */
  async #digest(body: UploadBody): Promise<Result<{ sha256: string; size: number }, DriverError>> {
    try {
      return ok(await body.digest());
    } catch (error) {
      const { hashError } = body.progress;
      if (hashError === undefined) throw error;
      return err(this.#hashFailed(hashError));
    }
  }

  #hashFailed(hashError: unknown): DriverError {
    const cause = this.#http.redactor.cause(hashError);
    return driverError({
      driver: DRIVER,
      op: "upload",
      reason: "failed",
      message: `hashing the upload on a worker thread failed: ${cause.message}`,
      hint: HINTS.hashFailed,
      cause,
    });
  }

  /** A 409: success only when the stored file has our digest. */
  async #settleConflict(n: Names, body: UploadBody, conflict: DriverError): Promise<Attempt<ArtifactInfo>> {
    const digest = await this.#digest(body);
    if (digest.isErr()) return giveUp(digest.error);
    const mine = digest.value;
    const stored = await this.#stat(n, "upload");
    if (stored.isOk() && stored.value?.sha256 === mine.sha256) return { ok: true, value: stored.value };
    const theirs = stored.isOk() && stored.value?.sha256 ? stored.value.sha256 : "unknown";
    return giveUp({
      ...conflict,
      reason: "conflict",
      message: `${n.file} already exists with sha256 ${theirs}; this upload's sha256 is ${mine.sha256} (${conflict.message})`,
      hint: HINTS.conflict,
      details: { ...conflict.details, storedSha256: theirs, uploadSha256: mine.sha256 },
    });
  }

  /**
   * A 5xx or a cut connection: the server may or may not have stored the upload. Ask it.
   * Same digest → success; different → conflict; absent → retry if the bytes can be re-sent.
   */
  async #settleUnknown(
    n: Names,
    body: UploadBody,
    failure: DriverError,
    transient: boolean,
  ): Promise<Attempt<ArtifactInfo>> {
    if (!body.isFile && body.replayable) return { ok: false, error: failure, retryable: transient };
    const replayable = body.replayable;
    const digest = await this.#digest(body);
    if (digest.isErr()) return giveUp(digest.error);
    const mine = digest.value;
    const stored = await this.#stat(n, "upload");
    if (stored.isErr()) {
      return giveUp({
        ...failure,
        message: `${failure.message}; whether it was stored is unknown`,
        hint: HINTS.unknownOutcome,
      });
    }
    if (stored.value?.sha256 === mine.sha256) return { ok: true, value: stored.value };
    if (stored.value) {
      return giveUp({
        ...failure,
        reason: "conflict",
        message: `${failure.message}; the registry now holds ${n.file} with sha256 ${stored.value.sha256 ?? "unknown"}, not ours (${mine.sha256})`,
        hint: HINTS.conflict,
      });
    }
    if (replayable) return { ok: false, error: failure, retryable: transient };
    return giveUp({
      ...failure,
      message: `${failure.message}; nothing was stored`,
      hint: "a stream cannot be sent twice: upload again from a file path or a fresh stream",
    });
  }
}

/** Builds a {@link ForgejoRegistry}; needs `owner` (or a topology) and the naming. */
export function createForgejoRegistry(config: ForgejoConfig): Result<ForgejoRegistry, DriverError> {
  const resolved = resolveForgejoConfig(config, "createRegistry");
  if (resolved.isErr()) return err(resolved.error);
  const { owner, naming } = resolved.value;
  if (!owner || !naming) {
    return err(
      invalidInput(
        DRIVER,
        "createRegistry",
        "owner and naming: give a topology, or owner plus naming patterns",
      ),
    );
  }
  return ok(new ForgejoRegistry(new ForgejoHttp(resolved.value), owner, naming));
}
