import type { Shell, ShellResult } from "@backflip/core";
import { okAsync } from "neverthrow";

/** One scripted answer: stdout, stderr and exit code of a command. */
export type Answer = Partial<Pick<ShellResult, "stdout" | "stderr" | "exitCode">>;

/** A Shell that records every argv (and stdin) and answers from a script; no process is started. */
export interface RecordingShell extends Shell {
  readonly calls: { argv: readonly string[]; stdin?: string }[];
}

/** Builds a {@link RecordingShell}; `answer` picks the reply to each argv (default: exit 0, no output). */
export function recordingShell(answer: (argv: readonly string[]) => Answer = () => ({})): RecordingShell {
  const calls: { argv: readonly string[]; stdin?: string }[] = [];
  return {
    name: "recording",
    calls,
    run(argv, options) {
      calls.push({ argv, ...(typeof options?.stdin === "string" ? { stdin: options.stdin } : {}) });
      const a = answer(argv);
      return okAsync({
        exitCode: a.exitCode ?? 0,
        signal: null,
        stdout: a.stdout ?? "",
        stderr: a.stderr ?? "",
        truncated: false,
        durationMs: 0,
      });
    },
  };
}
