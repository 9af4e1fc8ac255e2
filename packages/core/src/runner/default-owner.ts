import { hostname, userInfo } from "node:os";

/** The default lease and journal owner: `user@host pid N`. */
export function defaultOwner(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? "unknown";
  }
  return `${user}@${hostname()} pid ${process.pid}`;
}
