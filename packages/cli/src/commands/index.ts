import type { Command } from "../command";
import { COMMAND_TABLE } from "./table";

export type { CommandEntry, CommandName } from "./table";
export { COMMAND_TABLE } from "./table";

/**
 * Every subcommand, loaded, in the order `--help` lists them (for a program that embeds
 * the CLI's pieces; `backflip` itself loads only the command it runs, from {@link COMMAND_TABLE}).
 */
export const COMMANDS: readonly Command[] = await Promise.all(COMMAND_TABLE.map((c) => c.load()));
