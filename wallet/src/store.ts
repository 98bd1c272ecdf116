/*
 * The wallet's tokens, in its own origin's IndexedDB ("blindgate-wallet"): one record per unused token, with its
 * threshold, key id and the key's end of validity. A token leaves the store when it is handed to a site.
 */

export interface StoredToken {
  id?: number;
  threshold: number;
  /** base64url Token. */
  token: string;
  /** hex token_key_id. */
  keyId: string;
  /** Epoch seconds after which the key's tokens are refused. */
  notAfter: number;
}

const DB = "blindgate-wallet";
const STORE = "tokens";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      store.createIndex("threshold", "threshold");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function addTokens(tokens: readonly StoredToken[]): Promise<void> {
  const db = await open();
  const tx = db.transaction(STORE, "readwrite");
  for (const t of tokens) tx.objectStore(STORE).add(t);
  await done(tx);
  db.close();
}

export async function allTokens(): Promise<StoredToken[]> {
  const db = await open();
  const tx = db.transaction(STORE, "readonly");
  const request = tx.objectStore(STORE).getAll();
  await done(tx);
  db.close();
  return request.result as StoredToken[];
}

export async function removeTokens(ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  const db = await open();
  const tx = db.transaction(STORE, "readwrite");
  for (const id of ids) tx.objectStore(STORE).delete(id);
  await done(tx);
  db.close();
}

/** The token to hand out for `minAge`: the smallest threshold >= minAge, among tokens `usable` accepts. */
export function pickToken(
  tokens: readonly StoredToken[],
  minAge: number,
  usable: (t: StoredToken) => boolean,
): StoredToken | undefined {
  return tokens
    .filter((t) => t.threshold >= minAge && usable(t))
    .sort((a, b) => a.threshold - b.threshold || a.notAfter - b.notAfter)[0];
}
