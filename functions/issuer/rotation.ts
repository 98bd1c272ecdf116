import {
  type AgeInterval,
  contains,
  type LoggedKeyKind,
  sameInterval,
  toBase64Url,
  toHex,
  truncatedTokenKeyId,
} from "@blindgate/sdk/protocol";
import type { Deps } from "../runtime.js";
import {
  type KeyEventKind,
  type KeyLogEntry,
  type Stores,
  type TokenKeyRecord,
  withLease,
} from "../stores/index.js";
import { generateCreditKey } from "./credit-key.js";
import { keyInterval } from "./intervals.js";
import { type KeyKind, keyState } from "./key-state.js";
import { currentKeyWindow, healOverlaps } from "./rotation-heal.js";
import { generateTokenKey } from "./token-key.js";

/** What one run of {@link rotateKeys} did. */
export interface RotationReport {
  /** True when another rotation held the lease: this run changed nothing. */
  skipped: boolean;
  created: { keyId: string; kind: KeyKind; threshold: number; ageBelow?: number; notBefore: number }[];
  logged: { keyId: string; event: KeyEventKind }[];
  removed: string[];
  /** Keys retired early because they overlapped a key another rotation made (rotation-heal.ts). */
  healed: string[];
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
 * Keep, for every age interval (each threshold, each band) and kind, a current key and a next key published ahead; log every key's events (created,
 * published, retired, expired) once; remove keys whose tokens have all expired. Idempotent: a second run at the
 * same time changes nothing. New keys never share a truncated id with a key still accepted or published.
 */
export async function rotateKeys(deps: Deps): Promise<RotationReport> {
  const now = deps.now();
  // One rotation at a time, everywhere (the schedule and an operator's `keys rotate` may overlap); the report
  // key's announcement takes the same lease, so key events are logged by one writer at a time.
  const run = await withLease(deps.stores.claims, ROTATION_LEASE, ROTATION_LEASE_SECONDS, now, () =>
    rotateHoldingLease(deps, now),
  );
  return run.held ? run.value : { skipped: true, created: [], logged: [], removed: [], healed: [] };
}

/** Name of the key lifecycle's lease (stores/lease.ts): rotation, and the report key's announcement. */
export const ROTATION_LEASE = "rotate-keys";
/** Longest a rotation may hold its lease (a run creates at most two RSA keys per threshold). */
export const ROTATION_LEASE_SECONDS = 300;

/** What the key log says of a key, whatever its kind. */
export interface LoggableKey {
  readonly kind: LoggedKeyKind;
  readonly id: string;
  readonly threshold: number;
  /** Band keys only: the upper end of the key's interval (hashed in its entries). */
  readonly ageBelow?: number;
  readonly spki: Uint8Array;
  readonly notBefore: number;
  readonly issueUntil: number;
  readonly validUntil: number;
}

/** Append one event of a key to the key log (token keys keep the entry form that has no kind). */
export async function logKeyEvent(
  stores: Stores,
  key: LoggableKey,
  event: KeyEventKind,
  now: number,
): Promise<void> {
  await stores.keyLog.append({
    ...(key.kind === "token" ? {} : { kind: key.kind }),
    at: now,
    event,
    keyId: key.id,
    threshold: key.threshold,
    ...(key.ageBelow === undefined ? {} : { ageBelow: key.ageBelow }),
    spki: toBase64Url(key.spki),
    notBefore: key.notBefore,
    issueUntil: key.issueUntil,
    validUntil: key.validUntil,
  });
}

async function rotateHoldingLease(deps: Deps, now: number): Promise<RotationReport> {
  const { stores, config } = deps;
  const report: RotationReport = { skipped: false, created: [], logged: [], removed: [], healed: [] };
  const keys = await stores.keys.list();
  // Band keys live short lives: a band token or credential must die before its holder's birthday (intervals.ts).
  const lives: Record<KeyKind, Record<"threshold" | "band", { epoch: number; validity: number }>> = {
    token: {
      threshold: { epoch: config.keyEpochSeconds, validity: config.tokenValiditySeconds },
      band: { epoch: config.bandKeyEpochSeconds, validity: config.bandTokenValiditySeconds },
    },
    credit: {
      threshold: { epoch: config.creditEpochSeconds, validity: config.creditValiditySeconds },
      band: { epoch: config.bandCreditEpochSeconds, validity: config.bandCreditValiditySeconds },
    },
  };
  const intervals: AgeInterval[] = [...config.thresholds.map((from) => ({ from })), ...config.bands];
  // A band credential is sold under the narrowest band that fits (services/credential.ts) and buys every band around it,
  // so a band that holds another one (13–17 holds 13–15) would get no credential: it has no credit key, and the
  // key set stays as small as it can (a key nobody uses would single out whoever does).
  const creditIntervals = intervals.filter(
    (i) => i.below === undefined || !config.bands.some((b) => !sameInterval(b, i) && contains(i, b)),
  );

  for (const kind of ["token", "credit"] as const) {
    for (const interval of kind === "token" ? intervals : creditIntervals) {
      const { epoch, validity } = lives[kind][interval.below === undefined ? "threshold" : "band"];
      const threshold = interval.from;
      const band = interval.below === undefined ? {} : { ageBelow: interval.below };
      const mine = keys.filter((k) => k.kind === kind && sameInterval(keyInterval(k), interval));
      let current = mine.find((k) => keyState(k, now) === "current");
      if (current === undefined) {
        const window = currentKeyWindow(mine, now, epoch);
        if (window === undefined) continue; // a key another rotation made starts soon: no second one
        current = await createKey(deps, keys, {
          kind,
          threshold,
          ...band,
          publishAt: now,
          notBefore: window.notBefore,
          issueUntil: window.issueUntil,
          validity,
        });
        report.created.push({ keyId: current.id, kind, threshold, ...band, notBefore: current.notBefore });
      }
      const next = mine.find(
        (k) =>
          k.notBefore >= current.issueUntil && keyState(k, now) !== "expired" && k.retiredAt === undefined,
      );
      if (next === undefined) {
        const created = await createKey(deps, keys, {
          kind,
          threshold,
          ...band,
          publishAt: current.notBefore, // published from the moment its predecessor starts issuing
          notBefore: current.issueUntil,
          issueUntil: current.issueUntil + epoch,
          validity,
        });
        report.created.push({ keyId: created.id, kind, threshold, ...band, notBefore: created.notBefore });
      }
    }
  }

  // Keys made by another rotation on a skewed clock may overlap these: keep one per window, retire the others.
  report.healed.push(...(await healOverlaps(stores, await stores.keys.list(), now)));

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
      await logKeyEvent(stores, key, event, now);
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
  want: {
    kind: KeyKind;
    threshold: number;
    ageBelow?: number;
    publishAt: number;
    notBefore: number;
    issueUntil: number;
    validity: number;
  },
): Promise<TokenKeyRecord> {
  const now = deps.now();
  const taken = new Set(
    known.filter((k) => k.kind === "token" && keyState(k, now) !== "expired").map((k) => k.truncatedId),
  );
  for (let attempt = 0; attempt < 32; attempt++) {
    const generated = want.kind === "token" ? await generateTokenKey() : await generateCreditKey();
    const truncatedId = truncatedTokenKeyId(generated.tokenKeyId);
    if (want.kind === "token" && taken.has(truncatedId)) {
      generated.pkcs8.fill(0);
      continue; // a live key has this truncated id: clients could not tell the two apart
    }
    const id = toHex(generated.tokenKeyId);
    const record: TokenKeyRecord = {
      kind: want.kind,
      id,
      truncatedId,
      threshold: want.threshold,
      ...(want.ageBelow === undefined ? {} : { ageBelow: want.ageBelow }),
      spki: generated.spki,
      publishAt: want.publishAt,
      notBefore: want.notBefore,
      issueUntil: want.issueUntil,
      validUntil: want.issueUntil + want.validity,
      sealedPrivateKey: await deps.vault.seal(generated.pkcs8, id),
      createdAt: now,
    };
    generated.pkcs8.fill(0);
    if (await deps.stores.keys.add(record)) {
      known.push(record);
      return record;
    }
  }
  throw new RangeError("rotate: could not create a key with a free truncated id");
}
