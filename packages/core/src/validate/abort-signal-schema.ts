import * as z from "zod";
import { lazySchema } from "./lazy-schema";

/** An `AbortSignal` (checked by shape, so a signal from another realm passes too). */
export const abortSignalSchema = lazySchema(() =>
  z.custom<AbortSignal>(
    (v) =>
      typeof v === "object" &&
      v !== null &&
      typeof (v as AbortSignal).aborted === "boolean" &&
      typeof (v as AbortSignal).addEventListener === "function" &&
      typeof (v as AbortSignal).removeEventListener === "function",
    "expected an AbortSignal",
  ),
);
