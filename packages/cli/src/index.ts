/**
 * `@backflip/cli`: the `backflip` command line, and its pieces for a program that embeds
 * it — {@link main} with extra target kinds, the commands, the coordination stores, the
 * exit codes, the printers.
 *
 * @module \@backflip/cli
 * @document ../README.md
 */
export type { Command, Globals } from "./command";
export { Session } from "./command";
export type { CommandEntry, CommandName } from "./commands";
export { COMMAND_TABLE, COMMANDS } from "./commands";
export type { BackflipConfig } from "./config";
export type { Coordination, CoordinationKind, CoordinationOptions } from "./coordination";
export { COORDINATION_KINDS, openCoordination } from "./coordination";
export type { ExitCode } from "./exit-codes";
export { EXIT, EXIT_CODES_HELP } from "./exit-codes";
export type { MainOptions } from "./main";
export { main } from "./main";
export { mainHelp } from "./main-help";
export type { Output } from "./output";
export { createOutput, escapeForTerminal } from "./output";
export type { Program } from "./program";
export { BACKFLIP } from "./program";
export type { Out } from "./progress";
export { runMain } from "./run-main";
export { FLEET_FILE, freshIncidentFleet } from "./simulated-target";
export type { Target, TargetKind, TargetOpener, TargetOpeners, TargetOptions } from "./target";
// The types the exports above are made of, public here so that a program's own declarations
// can name them (with only @backflip/cli installed, they live in no other package it can reach).
export type { DriverError, Journal, Lease, LeaseLock, Topology } from "@backflip/core";
export type { Drivers } from "@backflip/core/recipes";
export type { Fleet } from "@backflip/driver-mock";
export type { ResultAsync } from "neverthrow";
