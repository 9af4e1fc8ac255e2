/**
 * Who the CLI is: the name it prints in usage, hints and suggested commands, and the tool
 * named in a lease's owner (`alice via backflip (alice@laptop pid 42)`).
 */
export interface Program {
  /** The command an operator types (`backflip`). */
  readonly name: string;
  /** The tool named in a lease's owner. */
  readonly tool: string;
}

/** The installed CLI, `backflip`. */
export const BACKFLIP: Program = { name: "backflip", tool: "backflip" };

/** A text of the CLI's own (a help text) with every `%prog` replaced by the program's name. */
export function withProgram(text: string, program: Program): string {
  return text.replaceAll("%prog", program.name);
}
