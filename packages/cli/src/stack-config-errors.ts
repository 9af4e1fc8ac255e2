import { type DriverError, driverError } from "@backflip/core";
import { err, ok, type Result } from "neverthrow";

/** A driver's refusal of its config section, naming the file and the key (`target.<key>`). */
export function inConfig(file: string, key: string, error: DriverError): DriverError {
  return driverError({
    driver: "cli",
    op: "config",
    reason: error.reason,
    message: `${file}: target.${key}: ${error.message}`,
    hint: `fix target.${key} in ${file}`,
    cause: error,
  });
}

/**
 * A secret from the variable a config key (`target.<key>`, e.g. `forgejo.tokenEnv`)
 * names: the config holds the variable's name, never the secret. Unset is `invalid_input`
 * naming the file, the key and the variable, with `hint` saying what to export.
 */
export function fromEnv(file: string, key: string, name: string, hint: string): Result<string, DriverError> {
  const value = process.env[name];
  if (value) return ok(value);
  return err(
    driverError({
      driver: "cli",
      op: "config",
      reason: "invalid_input",
      message: `${file}: target.${key}: the variable ${name} is not set`,
      hint: `export ${name}=<${hint}>`,
    }),
  );
}
