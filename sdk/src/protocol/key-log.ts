import { fromBase64Url, toHex } from "./bytes.js";

/*
 * The gateway's key log (GET /v1/key-log): an append-only, hash-chained list of key events, for key consistency.
 * Every key a token can be issued under is announced there; the wallet checks the chain and the announcement
 * before using a key, so an issuer cannot single a person out with a key nobody else saw.
 *
 *   hash = hex SHA-256 of JSON [seq, at, event, keyId, threshold, spki, notBefore, issueUntil, validUntil, prevHash]
 *          (kind after seq for credit and report keys; ageBelow appended last for band keys only, so the entry of a
 *          threshold key hashes exactly as it did before bands existed)
 *   prevHash of seq 0 = ""
 */

export type KeyEventKind = "created" | "published" | "retired" | "expired";

/**
 * What a logged key is for: "token" (a type 0x0002 token key, the default when absent) or "credit" (an ACT credit
 * credential key: `spki` then holds the ACT public key, base64url), or "report" (the gateway's report key, an ECDSA
 * P-256 SPKI that signs the daily transparency reports; its threshold is 0). Key consistency is checked per kind.
 */
export type LoggedKeyKind = "token" | "credit" | "report";

/** One entry of the key log. Times are epoch seconds; `spki` is base64url; ids and hashes are hex. */
export interface KeyLogEntry {
  readonly seq: number;
  /** Absent for token keys (entries written before kinds existed hash as they did). */
  readonly kind?: LoggedKeyKind | undefined;
  readonly at: number;
  readonly event: KeyEventKind;
  readonly keyId: string;
  readonly threshold: number;
  /** Band keys only: the upper end (exclusive) of the key's age interval [threshold, ageBelow). */
  readonly ageBelow?: number | undefined;
  readonly spki: string;
  readonly notBefore: number;
  readonly issueUntil: number;
  readonly validUntil: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** The canonical text an entry's hash covers (every field but the hash, in a fixed order). */
export function keyLogCanonical(e: Omit<KeyLogEntry, "hash">): string {
  // A token key's entry has no kind in its hash input (the log's first form); other kinds follow seq.
  const kind = e.kind !== undefined && e.kind !== "token" ? [e.kind] : [];
  const band = e.ageBelow === undefined ? [] : [e.ageBelow];
  return JSON.stringify([
    e.seq,
    ...kind,
    e.at,
    e.event,
    e.keyId,
    e.threshold,
    e.spki,
    e.notBefore,
    e.issueUntil,
    e.validUntil,
    e.prevHash,
    ...band,
  ]);
}

/** An entry's hash (WebCrypto SHA-256, hex). */
export async function keyLogHash(e: Omit<KeyLogEntry, "hash">): Promise<string> {
  return toHex(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(keyLogCanonical(e)))),
  );
}

/**
 * True when the entries form one unbroken chain from seq 0: consecutive sequence numbers, each linked to the
 * previous hash, each hash right.
 *
 * @example
 * ```ts
 * const { entries } = await (await fetch(`${gateway}/v1/key-log`)).json();
 * if (!(await verifyKeyLog(entries))) throw new Error("key log tampered with");
 * ```
 */
export async function verifyKeyLog(entries: readonly KeyLogEntry[]): Promise<boolean> {
  let prev = "";
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as KeyLogEntry;
    if (e.seq !== i || e.prevHash !== prev) return false;
    if ((await keyLogHash(e)) !== e.hash) return false;
    prev = e.hash;
  }
  return true;
}

/** True when the key was announced ("created" or "published"), has not expired, and `now` is before its end. */
export function isKeyAnnounced(entries: readonly KeyLogEntry[], keyIdHex: string, now: number): boolean {
  const mine = entries.filter((e) => e.keyId === keyIdHex);
  if (!mine.some((e) => e.event === "created" || e.event === "published")) return false;
  if (mine.some((e) => e.event === "expired")) return false;
  return mine.every((e) => now < e.validUntil);
}

/*
 * Daily transparency reports (GET /v1/report, schema in gateway-api.ts), chained like the log:
 *
 *   canonical = JSON of the report body with every object's keys sorted (arrays keep their order)
 *   hash      = hex SHA-256 of canonical;   body.prevHash = the previous day's hash ("" on the first day)
 *   signature = ECDSA P-256 SHA-256 over canonical by the report key, r || s, base64url
 */

/** The canonical text a report's hash and signature cover: JSON with object keys sorted, recursively. */
export function reportCanonical(body: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map((k) => [k, sort(o[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(body));
}

/** A report body's hash (WebCrypto SHA-256 of its canonical text, hex). */
export async function reportHash(body: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(reportCanonical(body));
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/**
 * True when `signature` (base64url r || s) is the report key's ECDSA P-256 signature of the body's canonical text.
 * `reportKeySpki` is the key-log entry's `spki` (base64url SPKI); any malformed input gives false.
 *
 * @example
 * ```ts
 * const { report, signature } = reportAnswerSchema.parse(await (await fetch(url)).json());
 * const ok = await verifyReportSignature(report, signature, entry.spki);
 * ```
 */
export async function verifyReportSignature(
  body: unknown,
  signature: string,
  reportKeySpki: string,
): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey(
      "spki",
      fromBase64Url(reportKeySpki) as Uint8Array<ArrayBuffer>,
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
    return await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      fromBase64Url(signature) as Uint8Array<ArrayBuffer>,
      new TextEncoder().encode(reportCanonical(body)),
    );
  } catch {
    return false;
  }
}

/** Most live keys a key set may hold per age interval and kind: the current key and the next one. */
export const MAX_LIVE_KEYS = 2;
/** Default shortest key epoch (issueUntil - notBefore) {@link checkKeySet} accepts, in seconds: one hour. */
export const DEFAULT_MIN_KEY_EPOCH_SECONDS = 3600;

/** The kinds of key {@link checkKeySet} bounds: the keys a person's tokens and credentials are issued under. */
export const BOUNDED_KEY_KINDS: readonly LoggedKeyKind[] = ["token", "credit"];

/** Options of {@link checkKeySet}. */
export interface KeySetOptions {
  /** Shortest issuance epoch accepted, in seconds (default {@link DEFAULT_MIN_KEY_EPOCH_SECONDS}). */
  minEpochSeconds?: number;
  /** Most live keys per threshold and kind (default {@link MAX_LIVE_KEYS}). */
  maxLiveKeys?: number;
}

/** Why {@link checkKeySet} refused a key set. */
export type KeySetProblem = "too-many-live-keys" | "short-epoch" | "inconsistent-key";

/**
 * The verdict of {@link checkKeySet}: ok, or the first problem found with the interval ([threshold, ageBelow)) and
 * kind it concerns.
 */
export type KeySetVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly problem: KeySetProblem;
      readonly kind: LoggedKeyKind;
      readonly threshold: number;
      /** Band keys only: the upper end (exclusive) of the interval at fault. */
      readonly ageBelow?: number;
      /** The keys at fault (hex ids): the live keys of that threshold and kind, or the short-epoch key. */
      readonly keyIds: readonly string[];
      /** A sentence for logs; it names no key bytes. */
      readonly message: string;
    };

/**
 * Key consistency, bounded: refuse a key log that could partition its users. A gateway that announces many live
 * keys for one threshold (or rotates every few minutes) can hand each group of people its own key and tell them
 * apart when they prove their age, hash chain intact or not. Counts, per age interval (a threshold, or a band
 * [threshold, ageBelow): each band is its own group) and kind ("token" when absent;
 * the kinds of {@link BOUNDED_KEY_KINDS}, not the gateway's report key),
 * the keys that are live at `nowSeconds`: announced ("created" or "published"), neither "retired" nor "expired",
 * and not past their `issueUntil`; more than `maxLiveKeys` (2: current and next) is refused. Every key whose tokens
 * are still valid must have issued for at least `minEpochSeconds` (`issueUntil - notBefore`): many short epochs in a
 * row partition people by time as well. A key whose events disagree on its threshold or window is refused too. The
 * wallet and the site gate call it on the same log; check the chain first with {@link verifyKeyLog}.
 *
 * @example
 * ```ts
 * const verdict = checkKeySet(entries, Math.floor(Date.now() / 1000), { minEpochSeconds: 3600 });
 * if (!verdict.ok) throw new Error(verdict.message);
 * ```
 */
export function checkKeySet(
  entries: readonly KeyLogEntry[],
  nowSeconds: number,
  options: KeySetOptions = {},
): KeySetVerdict {
  const minEpoch = options.minEpochSeconds ?? DEFAULT_MIN_KEY_EPOCH_SECONDS;
  const maxLive = options.maxLiveKeys ?? MAX_LIVE_KEYS;
  // Per key: its announced window and whether it stopped issuing, from every entry that names it.
  const keys = new Map<
    string,
    {
      kind: LoggedKeyKind;
      threshold: number;
      ageBelow: number | undefined;
      notBefore: number;
      issueUntil: number;
      validUntil: number;
      ended: boolean;
      expired: boolean;
    }
  >();
  for (const e of entries) {
    const kind = e.kind ?? "token";
    if (!BOUNDED_KEY_KINDS.includes(kind)) continue;
    const id = `${kind} ${e.keyId}`;
    const known = keys.get(id);
    const ended = e.event === "retired" || e.event === "expired";
    if (known === undefined) {
      keys.set(id, {
        kind,
        threshold: e.threshold,
        ageBelow: e.ageBelow,
        notBefore: e.notBefore,
        issueUntil: e.issueUntil,
        validUntil: e.validUntil,
        ended,
        expired: e.event === "expired",
      });
      continue;
    }
    // Every event of a key repeats its interval and window: one that differs could hide a key behind another.
    if (
      known.threshold !== e.threshold ||
      known.ageBelow !== e.ageBelow ||
      known.notBefore !== e.notBefore ||
      known.issueUntil !== e.issueUntil ||
      known.validUntil !== e.validUntil
    ) {
      return refusal("inconsistent-key", kind, known, [e.keyId], "a key's events disagree");
    }
    known.ended ||= ended;
    known.expired ||= e.event === "expired";
  }
  const live = new Map<string, { key: { threshold: number; ageBelow: number | undefined }; ids: string[] }>();
  for (const [id, key] of keys) {
    const keyId = id.slice(id.indexOf(" ") + 1);
    // Keys whose tokens are all dead are history: a past fault does not condemn the log forever.
    const dead = key.expired || nowSeconds >= key.validUntil;
    if (!dead && key.issueUntil - key.notBefore < minEpoch) {
      return refusal(
        "short-epoch",
        key.kind,
        key,
        [keyId],
        `a ${key.kind} key of ${describe(key)} issues for ${key.issueUntil - key.notBefore} s, less than ${minEpoch} s`,
      );
    }
    if (key.ended || nowSeconds >= key.issueUntil) continue;
    const group = `${key.kind} ${key.threshold} ${key.ageBelow ?? ""}`;
    const entry = live.get(group) ?? { key, ids: [] };
    entry.ids.push(keyId);
    live.set(group, entry);
  }
  for (const [group, { key, ids }] of live) {
    if (ids.length <= maxLive) continue;
    const kind = group.slice(0, group.indexOf(" ")) as LoggedKeyKind;
    return refusal(
      "too-many-live-keys",
      kind,
      key,
      ids,
      `${ids.length} live ${kind} keys for ${describe(key)}, more than ${maxLive}`,
    );
  }
  return { ok: true };
}

/** "threshold 18" or "band 13-16" (the interval's id, as intervalKey writes it). */
function describe(key: { threshold: number; ageBelow: number | undefined }): string {
  return key.ageBelow === undefined ? `threshold ${key.threshold}` : `band ${key.threshold}-${key.ageBelow}`;
}

function refusal(
  problem: KeySetProblem,
  kind: LoggedKeyKind,
  key: { threshold: number; ageBelow: number | undefined },
  keyIds: readonly string[],
  message: string,
): KeySetVerdict {
  return {
    ok: false,
    problem,
    kind,
    threshold: key.threshold,
    ...(key.ageBelow === undefined ? {} : { ageBelow: key.ageBelow }),
    keyIds,
    message: `key log: ${message}`,
  };
}
