import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isKeyAnnounced,
  type KeyLogEntry,
  keyLogCanonical,
  verifyKeyLog,
} from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildWallet } from "../../../wallet/build.js";
import { afterOutcome, planProof, planTokens, readGrant, wantedThreshold } from "../../../wallet/src/plan.js";
import type { StoredToken } from "../../../wallet/src/store.js";

async function chain(n: number): Promise<KeyLogEntry[]> {
  const out: KeyLogEntry[] = [];
  let prev = "";
  for (let seq = 0; seq < n; seq++) {
    const e = {
      seq,
      at: 1000 + seq,
      event: seq % 2 === 0 ? ("created" as const) : ("published" as const),
      keyId: `key${seq >> 1}`,
      threshold: 18,
      spki: "AAAA",
      notBefore: 1000,
      issueUntil: 2000,
      validUntil: 3000,
      prevHash: prev,
    };
    // hashed independently of the SDK (node:crypto), over the documented canonical form
    const hash = createHash("sha256").update(keyLogCanonical(e)).digest("hex");
    out.push({ ...e, hash });
    prev = hash;
  }
  return out;
}

describe("key-log check (SDK, used by the wallet)", () => {
  it("accepts an intact chain and refuses any changed field, reordering or gap", async () => {
    const log = await chain(6);
    expect(await verifyKeyLog(log)).toBe(true);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(5),
        fc.constantFrom("at", "event", "keyId", "threshold", "spki", "validUntil", "hash"),
        async (i, field) => {
          const bad = log.map((e) => ({ ...e }));
          const entry = bad[i] as unknown as Record<string, unknown>;
          entry[field] = typeof entry[field] === "number" ? (entry[field] as number) + 1 : `${entry[field]}x`;
          expect(await verifyKeyLog(bad)).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
    expect(await verifyKeyLog([log[1] as KeyLogEntry, log[0] as KeyLogEntry, ...log.slice(2)])).toBe(false);
    expect(await verifyKeyLog([...log.slice(0, 2), ...log.slice(3)])).toBe(false);
  });

  it("knows announced keys until their validity ends, and forgets expired ones", async () => {
    const log = await chain(2);
    expect(isKeyAnnounced(log, "key0", 2999)).toBe(true);
    expect(isKeyAnnounced(log, "key0", 3000)).toBe(false);
    expect(isKeyAnnounced(log, "unknown", 1500)).toBe(false);
    expect(isKeyAnnounced([...log, { ...(log[0] as KeyLogEntry), event: "expired" }], "key0", 1500)).toBe(
      false,
    );
  });
});

describe("wallet token choice", () => {
  const t = (threshold: number, notAfter = 5000): StoredToken => ({
    threshold,
    token: "x",
    keyId: "k",
    notAfter,
  });
  const THRESHOLDS = [13, 15, 16, 18, 21];
  const SITE = "https://site.example";
  const all = () => true;

  it("hands the smallest threshold that is enough, so a 13 gate never learns 'over 18'", () => {
    const tokens = [t(18), t(13), t(21), t(15)];
    const plan = (minAge: number, usable: (x: StoredToken) => boolean = all) =>
      planProof(tokens, { minAge, origin: SITE }, THRESHOLDS, usable);
    expect(plan(13)).toEqual({ kind: "exact", token: t(13) });
    expect(plan(17)).toEqual({ kind: "exact", token: t(18) }); // 17 is answered by the 18 key: nothing more
    expect(plan(22)).toEqual({ kind: "none", wanted: 22 });
    expect(wantedThreshold(17, THRESHOLDS)).toBe(18);
    expect(wantedThreshold(14, [21, 15, 13])).toBe(15);
  });

  it("never reveals more than asked without the person: only higher tokens make a question, not an answer", () => {
    const plan = planProof([t(21), t(18)], { minAge: 16, origin: SITE }, THRESHOLDS, all);
    expect(plan).toEqual({ kind: "higher", token: t(18), wanted: 16 });
    const noTeen = planProof([t(21)], { minAge: 13, origin: SITE }, THRESHOLDS, (x) => x.threshold !== 13);
    expect(noTeen).toEqual({ kind: "higher", token: t(21), wanted: 13 });
    // property: whatever the wallet holds, an "exact" answer never exceeds the wanted threshold
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...THRESHOLDS), { maxLength: 12 }),
        fc.integer({ min: 1, max: 25 }),
        (held, minAge) => {
          const p = planProof(
            held.map((h) => t(h)),
            { minAge, origin: SITE },
            THRESHOLDS,
            all,
          );
          const wanted = wantedThreshold(minAge, THRESHOLDS);
          if (p.kind === "exact") expect(p.token.threshold).toBeLessThanOrEqual(wanted);
          if (p.kind === "higher") expect(p.token.threshold).toBeGreaterThan(wanted);
          if (p.kind !== "none") expect(p.token.threshold).toBeGreaterThanOrEqual(minAge);
          if (p.kind === "none") expect(held.every((h) => h < minAge)).toBe(true);
        },
      ),
    );
  });

  it("offers a token held for a site to that site only, and first", () => {
    const heldHere = { ...t(18), heldFor: SITE, token: "held" };
    const heldThere = { ...t(18), heldFor: "https://other.example", token: "other" };
    const fresh = t(18);
    expect(planProof([fresh, heldHere, heldThere], { minAge: 18, origin: SITE }, THRESHOLDS, all)).toEqual({
      kind: "exact",
      token: heldHere,
    });
    expect(
      planProof([heldHere, heldThere], { minAge: 18, origin: "https://third.example" }, THRESHOLDS, all),
    ).toEqual({ kind: "none", wanted: 18 });
  });

  it("forgets a token once the site accepted it or refused it on its merits, keeps it when the site could not check", () => {
    expect(afterOutcome({ ok: true })).toBe("forget");
    for (const code of ["ERR_TOKEN_REJECTED", "TOKEN_REJECTED", "ERR_INVALID_TOKEN", "ERR_KEY_EXPIRED"])
      expect(afterOutcome({ ok: false, code })).toBe("forget");
    for (const code of ["ERR_GATEWAY_UNAVAILABLE", "NETWORK", "HTTP_502", "ERR_INTERNAL", "ERR_BAD_REQUEST"])
      expect(afterOutcome({ ok: false, code })).toBe("keep");
    expect(afterOutcome({ ok: false })).toBe("keep");
  });

  it("spreads a grant over every threshold met, highest first when short", () => {
    expect([...planTokens([13, 15, 16, 18], 20)]).toEqual([
      [18, 5],
      [16, 5],
      [15, 5],
      [13, 5],
    ]);
    expect([...planTokens([13, 18], 1)]).toEqual([[18, 1]]);
    expect([...planTokens([13, 18], 100)]).toEqual([
      [18, 10],
      [13, 10],
    ]);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 6 }),
        fc.nat(200),
        (ts, max) => {
          const total = [...planTokens(ts, max).values()].reduce((a, b) => a + b, 0);
          expect(total).toBeLessThanOrEqual(max);
        },
      ),
    );
  });

  it("reads a grant's age_over and max_tokens, and nothing from garbage", () => {
    const payload = Buffer.from(JSON.stringify({ age_over: 18, max_tokens: 20 })).toString("base64url");
    expect(readGrant(`e30.${payload}.sig`)).toEqual({ ageOver: 18, maxTokens: 20 });
    expect(readGrant("garbage")).toBeUndefined();
    expect(readGrant("a.!!!.c")).toBeUndefined();
  });
});

describe("wallet build", () => {
  it("writes index.html, wallet.css, a favicon and a browser bundle with no Node import", async () => {
    const out = await mkdtemp(join(tmpdir(), "wallet-build-"));
    try {
      expect(await buildWallet(out)).toEqual([
        "index.html",
        "wallet.css",
        "wallet.js",
        "favicon.svg",
        "return.html",
        "return.js",
      ]);
      const js = await readFile(join(out, "wallet.js"), "utf8");
      expect(js.length).toBeGreaterThan(1000);
      expect(js).not.toMatch(/from\s*["']node:/);
      const html = await readFile(join(out, "index.html"), "utf8");
      expect(html).toContain('id="wallet-panel"');
      expect(html).toMatch(/<main>/);
      expect(html).toContain('rel="icon" href="favicon.svg"');
      expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script (CSP script-src 'self')
      expect(html).not.toMatch(/style="/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
