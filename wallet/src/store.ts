/*
 * The wallet's memory, in its own origin's IndexedDB ("blindgate-wallet"):
 * - "tokens": one record per unused token, with its threshold, key id and the key's end of validity. A token handed
 *   to a site is held for that site's origin (`heldFor`) until the site's page reports that its proof endpoint
 *   accepted it; a token the site could not check is offered again to that origin only, never to another site
 *   (two sites holding the same token could link the visit).
 * - "facts": the person's last age check (the threshold the provider attested, and when), so that a 15-year-old is
 *   told "your check says 15 or older" at an 18 gate instead of being sent to a provider at every attempt.
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
  /** The origin this token was handed to, while its proof's outcome is not known. */
  heldFor?: string;
}

/** The last age check: the threshold a provider attested (0: under the lowest), at epoch seconds `at`. */
export interface AgeCheck {
  ageOver: number;
  at: number;
}

const DB = "blindgate-wallet";
const TOKENS = "tokens";
const FACTS = "facts";
const LAST_CHECK = "last-check";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 2);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) {
        const store = db.createObjectStore(TOKENS, { keyPath: "id", autoIncrement: true });
        store.createIndex("threshold", "threshold");
      }
      if (event.oldVersion < 2) db.createObjectStore(FACTS);
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

async function write(store: string, act: (s: IDBObjectStore) => void): Promise<void> {
  const db = await open();
  try {
    const tx = db.transaction(store, "readwrite");
    act(tx.objectStore(store));
    await done(tx);
  } finally {
    db.close();
  }
}

async function read<T>(store: string, act: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    const tx = db.transaction(store, "readonly");
    const request = act(tx.objectStore(store));
    await done(tx);
    return request.result as T;
  } finally {
    db.close();
  }
}

export function addTokens(tokens: readonly StoredToken[]): Promise<void> {
  return write(TOKENS, (s) => {
    for (const t of tokens) s.add(t);
  });
}

export function allTokens(): Promise<StoredToken[]> {
  return read<StoredToken[]>(TOKENS, (s) => s.getAll());
}

export function removeTokens(ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return Promise.resolve();
  return write(TOKENS, (s) => {
    for (const id of ids) s.delete(id);
  });
}

/** Hold a token for the origin it is handed to (kept until the site reports its outcome). */
export function holdToken(token: StoredToken, origin: string): Promise<void> {
  return write(TOKENS, (s) => s.put({ ...token, heldFor: origin }));
}

export function lastCheck(): Promise<AgeCheck | undefined> {
  return read<AgeCheck | undefined>(FACTS, (s) => s.get(LAST_CHECK));
}

export function recordCheck(check: AgeCheck): Promise<void> {
  return write(FACTS, (s) => s.put(check, LAST_CHECK));
}

/** Delete every token and fact. */
export async function forgetEverything(): Promise<void> {
  await write(TOKENS, (s) => s.clear());
  await write(FACTS, (s) => s.clear());
}
