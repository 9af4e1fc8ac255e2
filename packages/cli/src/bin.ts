#!/usr/bin/env node
/** `backflip`: the rollback runbook as a command line (`backflip --help`). */
import { runMain } from "./run-main";

runMain();
