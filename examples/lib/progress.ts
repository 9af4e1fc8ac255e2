/** The examples print plans, progress and outcomes the way the CLI does: its printers. */
export * from "@backflip/cli/progress";
