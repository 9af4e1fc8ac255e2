import type { Action, DriverError } from "@backflip/core";
import type { HttpRequest } from "./forgejo-http";
import type { Redactor } from "./redactor";

/*
 * A dry run shows the requests the driver would send: the method and the full URL under
 * the configured base URL. The token travels in a header, never in a URL; the URL still
 * goes through the redactor so no secret can reach a plan.
 */

/** An `http` action: one request the driver would send. `url` may hold a `{id}` placeholder. */
export function httpAction(redactor: Redactor, method: HttpRequest["method"], url: URL | string): Action {
  const href = typeof url === "string" ? url : url.href;
  return { kind: "http", method, url: redactor.text(href, Number.POSITIVE_INFINITY) };
}

/** A `note` action from the driver, e.g. what a request's body is. */
export function noteAction(text: string): Action {
  return { kind: "note", text: `forgejo: ${text}` };
}

/** The dry run of a call the driver would refuse before sending anything: why, as a note. */
export function refusedAction(op: string, error: DriverError): Action {
  return noteAction(`${op} would be refused, nothing sent: ${error.message}`);
}
