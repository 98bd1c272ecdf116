/*
 * A minimal Reflect metadata API (the part of the reflect-metadata proposal that tsyringe, under @peculiar/x509,
 * uses), for tests that make certificates with @peculiar/x509. No such polyfill is installed in this repository;
 * import this module before @peculiar/x509. The provider itself never needs it (it reads certificates with
 * node:crypto).
 */

type Key = unknown;
const store = new WeakMap<object, Map<PropertyKey | undefined, Map<Key, unknown>>>();

function table(target: object, property: PropertyKey | undefined, create: boolean) {
  let byProperty = store.get(target);
  if (byProperty === undefined) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (entries === undefined && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

const api = {
  defineMetadata(key: Key, value: unknown, target: object, property?: PropertyKey) {
    table(target, property, true)?.set(key, value);
  },
  getOwnMetadata(key: Key, target: object, property?: PropertyKey) {
    return table(target, property, false)?.get(key);
  },
  hasOwnMetadata(key: Key, target: object, property?: PropertyKey) {
    return table(target, property, false)?.has(key) ?? false;
  },
  getMetadata(key: Key, target: object, property?: PropertyKey): unknown {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
      const entries = table(t, property, false);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  },
  hasMetadata(key: Key, target: object, property?: PropertyKey): boolean {
    return api.getMetadata(key, target, property) !== undefined;
  },
  metadata(key: Key, value: unknown) {
    return (target: object, property?: PropertyKey) => api.defineMetadata(key, value, target, property);
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
for (const [name, fn] of Object.entries(api)) if (typeof reflect[name] !== "function") reflect[name] = fn;
