import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import { type TokenVerifier, toBase64Url, toHex, truncatedTokenKeyId } from "@blindgate/sdk/protocol";
import type { Deps } from "../runtime.js";
import type { KeyEventKind, KeyLogEntry, Stores, TokenKeyRecord } from "../stores/types.js";
import { BlindSigner } from "./blind-signer.js";
import type { KeyVault } from "./key-vault.js";
import { generateTokenKey } from "./token-key.js";

/*
 * The life of a token key, one per age threshold at a time:
 *
 *   publishAt ── next ──> notBefore ── current ──> issueUntil ── retired ──> validUntil ── expired
 *   (in the directory, ahead)  (issues tokens)            (checks only)          (removed)
 *
 * A key is published one epoch ahead of issuing, so wallets and sites see it before any token of it exists;
 * it issues for one epoch; its tokens are accepted for one token-validity period after that. rotateKeys keeps,
 * per threshold, one current and one next key; the directory lists exactly those (at most two per threshold).
 */

export type KeyState = "pending" | "next" | "current" | "retired" | "expired";

export function keyState(key: TokenKeyRecord, now: number): KeyState {
  if (now < key.publishAt) return "pending";
  if (now < key.notBefore) return "next";
  if (now < key.issueUntil) return "current";
  if (now < key.validUntil) return "retired";
  return "expired";
}

/** Keys of the directory: per threshold the current key then the next one, at most two, thresholds ascending. */
export function directoryKeys(keys: readonly TokenKeyRecord[], now: number): TokenKeyRecord[] {
  const out: TokenKeyRecord[] = [];
  const thresholds = [...new Set(keys.map((k) => k.threshold))].sort((a, b) => a - b);
  for (const threshold of thresholds) {
    const mine = keys.filter((k) => k.threshold === threshold);
    const current = mine
      .filter((k) => keyState(k, now) === "current")
      .sort((a, b) => b.notBefore - a.notBefore)[0];
    const next = mine.filter((k) => keyState(k, now) === "next").sort((a, b) => a.notBefore - b.notBefore)[0];
    if (current !== undefined) out.push(current);
    if (next !== undefined) out.push(next);
  }
  return out;
}

/** Keys that issue tokens at `now`. */
export function issuingKeys(keys: readonly TokenKeyRecord[], now: number): TokenKeyRecord[] {
  return keys.filter((k) => keyState(k, now) === "current");
}

/** Keys whose tokens are accepted at `now` (current or retired). */
export function checkingKeys(keys: readonly TokenKeyRecord[], now: number): TokenKeyRecord[] {
  return keys.filter((k) => {
    const state = keyState(k, now);
    return state === "current" || state === "retired";
  });
}

/**
 * The keys as one container sees them: the table is read at most every `refreshSeconds`, private keys are
 * opened (vault) and parsed (BlindSigner) once per key, and one token verifier is built per set of keys.
 */
export class KeyRing {
  #keys: TokenKeyRecord[] = [];
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<TokenKeyRecord[]> | undefined;
  readonly #signers = new Map<string, Promise<BlindSigner>>();
  #verifier: { ids: string; verifier: Promise<TokenVerifier<TokenKeyRecord>> } | undefined;

  constructor(
    private readonly stores: Stores,
    private readonly vault: KeyVault,
    private readonly refreshSeconds = 30,
  ) {}

  /** Every key in the table, at most `refreshSeconds` old (`force` reads now). */
  async all(now: number, force = false): Promise<TokenKeyRecord[]> {
    if (force || now - this.#readAt >= this.refreshSeconds || now < this.#readAt) {
      this.#reading ??= this.stores.keys.list().finally(() => {
        this.#reading = undefined;
      });
      this.#keys = await this.#reading;
      this.#readAt = now;
    }
    return this.#keys;
  }

  /** The blind signer of a key (its private key opened once per container). */
  signer(key: TokenKeyRecord): Promise<BlindSigner> {
    let signer = this.#signers.get(key.id);
    if (signer === undefined) {
      signer = this.vault.open(key.sealedPrivateKey, key.id).then((pkcs8) => {
        try {
          return BlindSigner.fromPkcs8(pkcs8);
        } finally {
          pkcs8.fill(0);
        }
      });
      signer.catch(() => this.#signers.delete(key.id));
      this.#signers.set(key.id, signer);
    }
    return signer;
  }

  /** A verifier over the keys whose tokens are accepted at `now`. */
  async verifier(now: number): Promise<TokenVerifier<TokenKeyRecord>> {
    const keys = checkingKeys(await this.all(now), now);
    const ids = keys
      .map((k) => k.id)
      .sort()
      .join(",");
    if (this.#verifier?.ids !== ids) {
      this.#verifier = {
        ids,
        verifier: createNodeTokenVerifier(keys.map((k) => ({ spki: k.spki, meta: k }))),
      };
    }
    return this.#verifier.verifier;
  }
}

/** What one run of {@link rotateKeys} did. */
export interface RotationReport {
  created: { keyId: string; threshold: number; notBefore: number }[];
  logged: { keyId: string; event: KeyEventKind }[];
  removed: string[];
}

/** Every entry of the key log, in order. */
export async function readKeyLog(stores: Stores): Promise<KeyLogEntry[]> {
  const entries: KeyLogEntry[] = [];
  for (;;) {
    const page = await stores.keyLog.list(entries.length, 500);
    entries.push(...page);
    if (page.length < 500) return entries;
  }
}

/**
 * Keep, for every threshold, a current key and a next key published ahead; log every key's events (created,
 * published, retired, expired) once; remove keys whose tokens have all expired. Idempotent: a second run at the
 * same time changes nothing. New keys never share a truncated id with a key still accepted or published.
 */
export async function rotateKeys(deps: Deps): Promise<RotationReport> {
  const { stores, config } = deps;
  const now = deps.now();
  const report: RotationReport = { created: [], logged: [], removed: [] };
  const keys = await stores.keys.list();
  const epoch = config.keyEpochSeconds;

  for (const threshold of config.thresholds) {
    const mine = keys.filter((k) => k.threshold === threshold);
    let current = mine.find((k) => keyState(k, now) === "current");
    if (current === undefined) {
      current = await createKey(deps, keys, threshold, now, now, now + epoch);
      report.created.push({ keyId: current.id, threshold, notBefore: current.notBefore });
    }
    const next = mine.find((k) => k.notBefore >= current.issueUntil && keyState(k, now) !== "expired");
    if (next === undefined) {
      const created = await createKey(
        deps,
        keys,
        threshold,
        current.notBefore, // published from the moment its predecessor starts issuing
        current.issueUntil,
        current.issueUntil + epoch,
      );
      report.created.push({ keyId: created.id, threshold, notBefore: created.notBefore });
    }
  }

  // Log the events each key has reached, once each, in lifecycle order.
  const logged = new Set((await readKeyLog(stores)).map((e) => `${e.keyId}/${e.event}`));
  const order: KeyEventKind[] = ["created", "published", "retired", "expired"];
  const reached = (k: TokenKeyRecord): KeyEventKind[] => {
    const state = keyState(k, now);
    const n = { pending: 1, next: 2, current: 2, retired: 3, expired: 4 }[state];
    return order.slice(0, n);
  };
  for (const key of (await stores.keys.list()).sort((a, b) => a.notBefore - b.notBefore)) {
    for (const event of reached(key)) {
      if (logged.has(`${key.id}/${event}`)) continue;
      await stores.keyLog.append({
        at: now,
        event,
        keyId: key.id,
        threshold: key.threshold,
        spki: toBase64Url(key.spki),
        notBefore: key.notBefore,
        issueUntil: key.issueUntil,
        validUntil: key.validUntil,
      });
      report.logged.push({ keyId: key.id, event });
    }
    if (keyState(key, now) === "expired") {
      // Its "expired" event is in the log (logged above if not before): the record can go.
      await stores.keys.remove(key.id);
      report.removed.push(key.id);
    }
  }
  return report;
}

async function createKey(
  deps: Deps,
  known: TokenKeyRecord[],
  threshold: number,
  publishAt: number,
  notBefore: number,
  issueUntil: number,
): Promise<TokenKeyRecord> {
  const now = deps.now();
  const taken = new Set(known.filter((k) => keyState(k, now) !== "expired").map((k) => k.truncatedId));
  for (let attempt = 0; attempt < 32; attempt++) {
    const generated = await generateTokenKey();
    const truncatedId = truncatedTokenKeyId(generated.tokenKeyId);
    if (taken.has(truncatedId)) {
      generated.pkcs8.fill(0);
      continue; // a live key has this truncated id: clients could not tell the two apart
    }
    const id = toHex(generated.tokenKeyId);
    const record: TokenKeyRecord = {
      id,
      truncatedId,
      threshold,
      spki: generated.spki,
      publishAt,
      notBefore,
      issueUntil,
      validUntil: issueUntil + deps.config.tokenValiditySeconds,
      sealedPrivateKey: await deps.vault.seal(generated.pkcs8, id),
      createdAt: now,
    };
    generated.pkcs8.fill(0);
    if (await deps.stores.keys.add(record)) {
      known.push(record);
      return record;
    }
  }
  throw new Error("rotate: could not create a key with a free truncated id");
}

const rings = new WeakMap<Deps, KeyRing>();

/** The KeyRing of a Deps value (one per container, shared by the routes). */
export function keyRingFor(deps: Deps): KeyRing {
  let ring = rings.get(deps);
  if (ring === undefined) {
    ring = new KeyRing(deps.stores, deps.vault);
    rings.set(deps, ring);
  }
  return ring;
}
