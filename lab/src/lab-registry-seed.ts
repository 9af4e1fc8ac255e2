import type { ArtifactRegistry, DriverError, Topology } from "@backflip/core";
import { okAsync, type ResultAsync } from "neverthrow";
import { LAB_RELEASES, labArtifact } from "./lab-releases";

/** One artifact the lab's registry should hold. */
export interface LabArtifactRef {
  readonly component: string;
  readonly sha: string;
}

/** Every artifact of every lab release, for every component. */
export function labArtifactRefs(topology: Topology): LabArtifactRef[] {
  return Object.values(LAB_RELEASES).flatMap((sha) =>
    topology.containers.components.map((component) => ({ component, sha })),
  );
}

/**
 * Pushes every lab artifact the registry lacks (through the registry driver: a streamed
 * upload with its checksum); present ones are left alone. Returns how many were pushed.
 */
export function seedLabRegistry(
  registry: ArtifactRegistry,
  topology: Topology,
): ResultAsync<number, DriverError> {
  return labArtifactRefs(topology).reduce<ResultAsync<number, DriverError>>(
    (done, ref) =>
      done.andThen((pushed) =>
        registry.stat(ref).andThen((info) => {
          if (info !== null) return okAsync(pushed);
          const bytes = labArtifact(ref.component, ref.sha);
          return registry
            .upload(ref, {
              stream: (async function* () {
                yield bytes;
              })(),
              size: bytes.length,
            })
            .map(() => pushed + 1);
        }),
      ),
    okAsync(0),
  );
}
