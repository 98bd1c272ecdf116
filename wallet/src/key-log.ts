/*
 * Key consistency, wallet side: the gateway's key log is an append-only hash chain of key events. Before handing
 * out a token, the wallet checks that the chain is intact and that the token's key was announced there (so the
 * gateway showed this key to everyone, not only to this person) and is still valid.
 */

export interface KeyLogEntry {
  seq: number;
  at: number;
  event: string;
  keyId: string;
  threshold: number;
  spki: string;
  notBefore: number;
  issueUntil: number;
  validUntil: number;
  prevHash: string;
  hash: string;
}

function canonical(e: KeyLogEntry): string {
  return JSON.stringify([
    e.seq,
    e.at,
    e.event,
    e.keyId,
    e.threshold,
    e.spki,
    e.notBefore,
    e.issueUntil,
    e.validUntil,
    e.prevHash,
  ]);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when the entries form one unbroken chain from seq 0: consecutive, linked, each hash right. */
export async function verifyKeyLog(entries: readonly KeyLogEntry[]): Promise<boolean> {
  let prev = "";
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as KeyLogEntry;
    if (e.seq !== i || e.prevHash !== prev) return false;
    if ((await sha256Hex(canonical(e))) !== e.hash) return false;
    prev = e.hash;
  }
  return true;
}

/** True when the key was announced in the log and its tokens are still valid at `now` (epoch seconds). */
export function isKeyAnnounced(entries: readonly KeyLogEntry[], keyIdHex: string, now: number): boolean {
  const mine = entries.filter((e) => e.keyId === keyIdHex);
  if (!mine.some((e) => e.event === "created" || e.event === "published")) return false;
  if (mine.some((e) => e.event === "expired")) return false;
  return mine.every((e) => now < e.validUntil);
}
