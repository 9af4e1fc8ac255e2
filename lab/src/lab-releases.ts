import { createHash } from "node:crypto";

/** A release SHA the lab knows, like a commit of the Veza repository. */
const releaseSha = (label: string) => createHash("sha1").update(`veza-lab-release:${label}`).digest("hex");

/**
 * The releases the lab's registry holds, oldest first: `old` and `prior` are earlier
 * good releases, `current` is what blue runs after `lab up`, and `broken` starts fine
 * (RUNNING, release file written) but answers 503 on its health endpoint — the release
 * whose public probe fails.
 */
export const LAB_RELEASES = {
  old: releaseSha("old"),
  prior: releaseSha("prior"),
  current: releaseSha("current"),
  broken: releaseSha("broken"),
} as const;

/** The name of a lab release. */
export type LabReleaseName = keyof typeof LAB_RELEASES;

/**
 * The bytes of a lab artifact. **A stand-in, not a tarball**: a short manifest named like
 * `veza-{component}-{sha}.tar.zst`, which the lab's app server reads to learn whether the
 * release is healthy (`health=503` makes it answer 503).
 */
export function labArtifact(component: string, sha: string): Uint8Array {
  const health = sha === LAB_RELEASES.broken ? "503" : "ok";
  return new TextEncoder().encode(
    `veza lab artifact (a stand-in for a release tarball)\ncomponent=${component}\nsha=${sha}\nhealth=${health}\n`,
  );
}
