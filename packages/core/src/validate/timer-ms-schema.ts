import * as z from "zod";
import { lazySchema } from "./lazy-schema";

/** The longest delay a Node timer honours (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** A timeout or deadline in milliseconds: a positive integer a timer can honour. */
export const timerMsSchema = lazySchema(() =>
  z
    .number()
    .int("expected whole milliseconds")
    .positive("expected a positive number of milliseconds")
    .max(MAX_TIMER_MS, `expected at most ${MAX_TIMER_MS} ms`),
);
