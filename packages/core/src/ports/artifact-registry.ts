import type { ResultAsync } from "neverthrow";
import type { DriverError } from "../errors/driver-error";
import type { Action } from "../plan/action";

/** One component's build artifact for one SHA, e.g. `veza-backend-<sha>.tar.zst`. */
export interface ArtifactRef {
  /** The component, e.g. `backend`. */
  readonly component: string;
  /** The 40-hex release SHA. */
  readonly sha: string;
}

/** An artifact as the registry holds it. */
export interface ArtifactInfo extends ArtifactRef {
  /** The registry's package name, e.g. `veza-backend`. */
  readonly package: string;
  /** The package version (the SHA). */
  readonly version: string;
  /** The file name, e.g. `veza-backend-<sha>.tar.zst`. */
  readonly file: string;
  /** Size in bytes. */
  readonly size: number;
  /** Lower-case hex SHA-256, when the registry reports one. */
  readonly sha256?: string;
}

/** Where an upload reads from. */
export type ArtifactSource =
  | { readonly path: string }
  | { readonly stream: AsyncIterable<Uint8Array>; readonly size?: number };

/** One version of a package, as listed. */
export interface ArtifactVersion {
  readonly version: string;
  /** ISO-8601 creation time. */
  readonly createdAt: string;
}

/** An {@link ArtifactRegistry} call a dry run describes. */
export type ArtifactOperation =
  | { readonly op: "stat"; readonly ref: ArtifactRef }
  | { readonly op: "upload"; readonly ref: ArtifactRef; readonly path: string }
  | { readonly op: "download"; readonly ref: ArtifactRef };

/** Stores build artifacts: Path 2's "does the tarball still exist" and Path 3's push. */
export interface ArtifactRegistry {
  /** The driver's name, e.g. `forgejo`. */
  readonly name: string;
  /** The artifact's facts, or `null` when it is not (or no longer) in the registry. */
  stat(ref: ArtifactRef): ResultAsync<ArtifactInfo | null, DriverError>;
  /** Uploads streamed, checksum computed on the way; re-uploading identical bytes succeeds. */
  upload(ref: ArtifactRef, source: ArtifactSource): ResultAsync<ArtifactInfo, DriverError>;
  /** Downloads to a local file, verifying the checksum; on mismatch nothing is kept. */
  download(ref: ArtifactRef, destPath: string): ResultAsync<ArtifactInfo, DriverError>;
  /** A component's versions, newest first. */
  listVersions(component: string): ResultAsync<ArtifactVersion[], DriverError>;
  /** Deletes one artifact; `not_found` when absent. */
  delete(ref: ArtifactRef): ResultAsync<void, DriverError>;
  /** The dry run of one call: its HTTP requests with the real URLs (never a token). Optional: else a note. */
  describe?(operation: ArtifactOperation): readonly Action[];
}
