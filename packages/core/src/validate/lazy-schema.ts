/**
 * A schema (or any object) built on first use, with the type of what `build` returns:
 * module-level zod schemas cost a process start time whether or not it ever validates
 * with them (a `backflip status` would build a thousand of them at import), so a module
 * keeps its `export const fooSchema = lazySchema(() => z.object(…))` and pays on the first
 * `parse`, `shape` or `optional()`. Every property is read from, and every method called
 * on, the built schema itself (`this` is the schema, not the stand-in), so zod's registries
 * and identity checks see one object.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = (): T => {
    built ??= build();
    return built;
  };
  const bound = new Map<PropertyKey, { of: unknown; fn: unknown }>();
  return new Proxy({} as T, {
    get(_, key) {
      const target = schema();
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      const seen = bound.get(key);
      if (seen?.of === value) return seen.fn;
      const fn = (value as (...args: unknown[]) => unknown).bind(target);
      bound.set(key, { of: value, fn });
      return fn;
    },
    set: (_, key, value) => Reflect.set(schema(), key, value),
    has: (_, key) => Reflect.has(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}
