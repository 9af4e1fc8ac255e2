import { recordingShell } from "@backflip/core/testing";
import { describe, expect, it } from "vitest";
import { createNginxSwitch, type NginxSwitchOptions } from "../src/index";
import { paperOptions } from "./support/paper-options";

const OLD = "blue:-:run-0";
const NEW = "green:-:run-1";

/** A Shell whose curl answers, call after call, the given revisions (the last one forever). */
function statusShell(sequence: readonly string[]) {
  let n = 0;
  return recordingShell((argv) => {
    if (argv[0] !== "curl") return undefined;
    const answer = sequence[Math.min(n++, sequence.length - 1)] as string;
    return { stdout: `${answer}\n` };
  });
}

const options = (shell: NginxSwitchOptions["shell"], settleMs: number) =>
  paperOptions(shell, { settleMs, confirmTimeoutMs: 5000 });

describe("confirm after a reload, while old workers still answer", () => {
  // What nginx does: the new workers answer, and old ones too until the master stops them.
  const sequence = [OLD, NEW, OLD, NEW];

  it("with settleMs 0, the first answer of the new revision confirms (too early for nginx)", async () => {
    const shell = statusShell(sequence);
    (await createNginxSwitch(options(shell, 0))._unsafeUnwrap().confirm(NEW))._unsafeUnwrap();
    expect(shell.calls).toHaveLength(2);
  });

  it("with settleMs, an old answer after the first new one restarts the wait: it ends on new answers only", async () => {
    const shell = statusShell(sequence);
    (await createNginxSwitch(options(shell, 30))._unsafeUnwrap().confirm(NEW))._unsafeUnwrap();
    expect(shell.calls.length).toBeGreaterThan(4);
  });

  it("fails when nginx keeps serving the old revision (the master rejected the config)", async () => {
    const shell = statusShell([OLD]);
    const error = (
      await createNginxSwitch({ ...options(shell, 30), confirmTimeoutMs: 200 })
        ._unsafeUnwrap()
        .confirm(NEW)
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ driver: "nginx", op: "confirm", reason: "failed" });
    expect(error.details).toMatchObject({ expected: NEW, live: OLD });
  });
});
