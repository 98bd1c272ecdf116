import {
  checkKeySet,
  DEFAULT_MIN_KEY_EPOCH_SECONDS,
  isKeyAnnounced,
  type KeyEventKind,
  type KeyLogEntry,
  keyLogHash,
  type LoggedKeyKind,
  verifyKeyLog,
} from "@blindgate/sdk/protocol/internal";
import { describe, expect, it } from "vitest";

/* Key consistency, bounded: checkKeySet over hash-chained logs built the way the gateway writes them. */

const NOW = 1_800_000_000;
const HOUR = 3600;
const WEEK = 7 * 24 * HOUR;

interface KeySpec {
  id: number;
  threshold: number;
  kind?: LoggedKeyKind;
  notBefore: number;
  issueUntil: number;
  validUntil?: number;
  events?: KeyEventKind[];
}

const keyId = (n: number) => n.toString(16).padStart(64, "0");

/** A correctly hash-chained log: every key's events in order, as rotateKeys appends them. */
async function chain(keys: readonly KeySpec[]): Promise<KeyLogEntry[]> {
  const entries: KeyLogEntry[] = [];
  let prevHash = "";
  for (const k of keys) {
    for (const event of k.events ?? (["created", "published"] as const)) {
      const entry = {
        seq: entries.length,
        ...(k.kind === undefined || k.kind === "token" ? {} : { kind: k.kind }),
        at: k.notBefore - HOUR,
        event,
        keyId: keyId(k.id),
        threshold: k.threshold,
        spki: "AAAA",
        notBefore: k.notBefore,
        issueUntil: k.issueUntil,
        validUntil: k.validUntil ?? k.issueUntil + WEEK,
        prevHash,
      };
      const hash = await keyLogHash(entry);
      entries.push({ ...entry, hash });
      prevHash = hash;
    }
  }
  return entries;
}

/** What an honest gateway's log holds: per threshold a retired, a current and a next key, token and credit. */
function honest(): KeySpec[] {
  const keys: KeySpec[] = [];
  let id = 1;
  for (const kind of ["token", "credit"] as const) {
    const epoch = kind === "token" ? WEEK : 30 * 24 * HOUR;
    for (const threshold of [13, 15, 16, 18, 21]) {
      const start = NOW - epoch / 2;
      keys.push({
        id: id++,
        kind,
        threshold,
        notBefore: start - epoch,
        issueUntil: start,
        events: ["created", "published", "retired"],
      });
      keys.push({ id: id++, kind, threshold, notBefore: start, issueUntil: start + epoch });
      keys.push({ id: id++, kind, threshold, notBefore: start + epoch, issueUntil: start + 2 * epoch });
    }
  }
  return keys;
}

describe("checkKeySet", () => {
  it("accepts an honest rotation: a retired, a current and a next key per threshold and kind", async () => {
    const entries = await chain(honest());
    expect(await verifyKeyLog(entries)).toBe(true);
    expect(checkKeySet(entries, NOW)).toEqual({ ok: true });
  });

  it("refuses a partitioning log: 50 concurrent keys for threshold 18, every hash right", async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({
      id: 1000 + i,
      threshold: 18,
      notBefore: NOW - HOUR,
      issueUntil: NOW + WEEK,
    }));
    const entries = await chain([...honest(), ...many]);
    // The chain alone cannot tell: it verifies, and every one of the 50 keys is "announced".
    expect(await verifyKeyLog(entries)).toBe(true);
    expect(many.every((k) => isKeyAnnounced(entries, keyId(k.id), NOW))).toBe(true);
    const verdict = checkKeySet(entries, NOW);
    expect(verdict).toMatchObject({ ok: false, problem: "too-many-live-keys", kind: "token", threshold: 18 });
    expect(verdict.ok ? [] : verdict.keyIds).toHaveLength(52); // the honest current and next, and the 50
  });

  it("refuses a third live key, counting next keys as live and retired ones as not", async () => {
    const keys: KeySpec[] = [
      { id: 1, threshold: 18, notBefore: NOW - HOUR, issueUntil: NOW + WEEK },
      { id: 2, threshold: 18, notBefore: NOW + WEEK, issueUntil: NOW + 2 * WEEK },
    ];
    expect(checkKeySet(await chain(keys), NOW).ok).toBe(true);
    const third = { id: 3, threshold: 18, notBefore: NOW + 2 * WEEK, issueUntil: NOW + 3 * WEEK };
    expect(checkKeySet(await chain([...keys, third]), NOW)).toMatchObject({
      ok: false,
      problem: "too-many-live-keys",
      threshold: 18,
      keyIds: [keyId(1), keyId(2), keyId(3)],
    });
    const retired = { ...third, notBefore: NOW - 2 * WEEK, issueUntil: NOW - HOUR };
    expect(checkKeySet(await chain([...keys, retired]), NOW).ok).toBe(true);
    const retiredEarly: KeySpec = { ...third, events: ["created", "published", "retired"] };
    expect(checkKeySet(await chain([...keys, retiredEarly]), NOW).ok).toBe(true);
  });

  it("counts per kind and per threshold: two token and two credit keys of 18, two keys of 21, pass", async () => {
    const keys: KeySpec[] = [];
    let id = 1;
    for (const kind of ["token", "credit"] as const) {
      for (const threshold of [18, 21]) {
        keys.push({ id: id++, kind, threshold, notBefore: NOW - HOUR, issueUntil: NOW + WEEK });
        keys.push({ id: id++, kind, threshold, notBefore: NOW + WEEK, issueUntil: NOW + 2 * WEEK });
      }
    }
    expect(checkKeySet(await chain(keys), NOW).ok).toBe(true);
    const extra: KeySpec = { id: 99, kind: "credit", threshold: 21, notBefore: NOW, issueUntil: NOW + WEEK };
    expect(checkKeySet(await chain([...keys, extra]), NOW)).toMatchObject({
      ok: false,
      kind: "credit",
      threshold: 21,
    });
  });

  it("refuses epochs shorter than the minimum (partitioning by time), but not in keys long dead", async () => {
    const short: KeySpec = { id: 7, threshold: 16, notBefore: NOW, issueUntil: NOW + 600 };
    expect(checkKeySet(await chain([short]), NOW)).toMatchObject({
      ok: false,
      problem: "short-epoch",
      threshold: 16,
      keyIds: [keyId(7)],
    });
    expect(checkKeySet(await chain([short]), NOW, { minEpochSeconds: 600 }).ok).toBe(true);
    expect(DEFAULT_MIN_KEY_EPOCH_SECONDS).toBe(HOUR);
    const dead: KeySpec = {
      id: 8,
      threshold: 16,
      notBefore: NOW - 9 * WEEK,
      issueUntil: NOW - 9 * WEEK + 60,
    };
    expect(checkKeySet(await chain([dead]), NOW).ok).toBe(true);
  });

  it("refuses a key whose events disagree on its window", async () => {
    const entries = await chain([{ id: 5, threshold: 18, notBefore: NOW - HOUR, issueUntil: NOW + WEEK }]);
    const [created] = entries;
    const moved = { ...created!, seq: 1, event: "published" as const, issueUntil: NOW + 2 * WEEK };
    const tail = { ...moved, prevHash: created!.hash };
    const log = [created!, { ...tail, hash: await keyLogHash(tail) }];
    expect(await verifyKeyLog(log)).toBe(true);
    expect(checkKeySet(log, NOW)).toMatchObject({ ok: false, problem: "inconsistent-key" });
  });

  it("bounds token and credit keys only: the gateway's report keys are not age keys", async () => {
    const reports: KeySpec[] = [1, 2, 3].map((i) => ({
      id: 500 + i,
      kind: "report",
      threshold: 0,
      notBefore: NOW - HOUR,
      issueUntil: NOW + WEEK,
    }));
    expect(checkKeySet(await chain(reports), NOW)).toEqual({ ok: true });
  });

  it("an empty log is a consistent (if useless) key set", () => {
    expect(checkKeySet([], NOW)).toEqual({ ok: true });
  });
});
