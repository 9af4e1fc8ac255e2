/** The first line of an include file, naming the revision it stamps. */
const STAMP = /^# backflip-revision: ([A-Za-z0-9_.:-]+)[ \t]*$/;

/** A revision as the status location answers it: one word, then a newline. */
const ANSWER = /^([A-Za-z0-9_.:-]+)\r?\n?$/;

/** The revision an include file stamps on its first line; `null` when it has none. */
export function includeRevision(content: string): string | null {
  return STAMP.exec(content.split("\n", 1)[0] ?? "")?.[1] ?? null;
}

/** The revision in a status location's answer; `null` when the body is not one. */
export function answeredRevision(body: string): string | null {
  return ANSWER.exec(body)?.[1] ?? null;
}
