/**
 * Orders by `name` in code-unit order, as Incus lists its instances. Not `localeCompare`:
 * the names are ASCII, and its first call loads ICU's collator (about 10 ms of a cold
 * `backflip status`).
 */
export const byName = (a: { readonly name: string }, b: { readonly name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
