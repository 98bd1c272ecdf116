import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkKeySet, isKeyAnnounced, verifyKeyLog } from "@blindgate/sdk/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../../functions/config.js";
import { checkingKeys, directoryKeys, issuingKeys, keyState } from "../../../functions/issuer/key-state.js";
import { createLocalKeyVault } from "../../../functions/issuer/key-vault.js";
import {
  ROTATION_LEASE,
  ROTATION_LEASE_SECONDS,
  readKeyLog,
  rotateKeys,
} from "../../../functions/issuer/rotation.js";
import { createDeps, type Deps } from "../../../functions/runtime.js";
import {
  createTables,
  dynamoStores,
  leaseId,
  localTableNames,
  type TokenKeyRecord,
} from "../../../functions/stores/index.js";
import { type DynamoServer, startDynalite } from "../../support/dynamo.js";

/*
 * The key lifecycle's rules, checked on what real rotations leave in a real table (dynalite) while a clock moves
 * through several epochs in random steps, with rotations run one at a time and two at once:
 *   - per threshold, at most one key issues at any instant, and while the chain runs exactly one does
 *   - a key is published (listed, and announced in the key log) before it issues
 *   - the directory lists at most two keys per threshold (current, next)
 *   - a key's tokens are accepted from its first issuance until its validUntil, and never after
 *   - live keys never share a truncated key id
 *   - two rotations at once make the keys of one (the other finds the lease taken)
 */

const E = 3600; // key epoch
const V = 1800; // token validity after the epoch
const THRESHOLDS = [13, 18];

let server: DynamoServer;
let dir: string;
let run = 0;

beforeAll(async () => {
  server = await startDynalite();
  dir = await mkdtemp(join(tmpdir(), "lifecycle-"));
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

async function freshDeps(clock: { now: number }): Promise<Deps> {
  const client = server.client();
  const tables = localTableNames(`lifecycle-${run++}`);
  await createTables(client, tables);
  const config: GatewayConfig = {
    issuerName: "gateway.example",
    issuerUrl: "https://gateway.example",
    tables,
    kmsKeyId: undefined,
    dataKeyFile: join(dir, "key"),
    thresholds: THRESHOLDS,
    bands: [],
    bandKeyEpochSeconds: E,
    bandTokenValiditySeconds: V,
    bandCreditEpochSeconds: E,
    bandCreditValiditySeconds: V,
    bandTokensPerGrant: 10,
    bandCreditsPerGrant: 30,
    keyEpochSeconds: E,
    tokenValiditySeconds: V,
    grantMaxTtlSeconds: 600,
    maxBatch: 100,
    creditEpochSeconds: 2 * E,
    creditValiditySeconds: 2 * E,
    creditsPerGrant: 60,
    refillMax: 10,
    reportFlushMs: 0,
    dynamoEndpoint: server.endpoint,
  };
  return createDeps({
    config,
    stores: dynamoStores(client, tables),
    vault: await createLocalKeyVault(join(dir, "key")),
    now: () => clock.now,
  });
}

function assertRules(keys: TokenKeyRecord[], now: number, chainStart: number): void {
  for (const [kind, t] of (["token", "credit"] as const).flatMap((kind) =>
    THRESHOLDS.map((t) => [kind, t] as const),
  )) {
    const mine = keys.filter((k) => k.kind === kind && k.threshold === t);
    const issuing = issuingKeys(mine, now, kind);
    expect(issuing.length).toBe(now >= chainStart ? 1 : 0);
    const listed = directoryKeys(mine, now, kind);
    expect(listed.length).toBeLessThanOrEqual(2);
    for (const k of mine) {
      expect(k.publishAt).toBeLessThanOrEqual(k.notBefore);
      expect(k.validUntil).toBe(k.issueUntil + (kind === "token" ? V : 2 * E));
      // accepted exactly inside [notBefore, validUntil)
      const accepted = checkingKeys([k], now, kind).length === 1;
      expect(accepted).toBe(now >= k.notBefore && now < k.validUntil);
    }
    // a next key is published before the current one stops issuing
    const [current] = issuing;
    if (current !== undefined) {
      const next = mine.find((k) => k.notBefore === current.issueUntil);
      expect(next).toBeDefined();
      expect(keyState(next!, now)).toBe("next");
    }
  }
  const live = keys.filter((k) => k.kind === "token" && keyState(k, now) !== "expired");
  expect(new Set(live.map((k) => k.truncatedId)).size).toBe(live.length);
}

describe("key lifecycle under rotation", () => {
  it("keeps every rule through random steps over six epochs, with overlapping rotations", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: E }), fc.boolean()), { minLength: 4, maxLength: 8 }),
        async (steps) => {
          const clock = { now: 1_800_000_000 };
          const start = clock.now;
          const deps = await freshDeps(clock);
          await rotateKeys(deps);
          for (const [step, twice] of steps) {
            clock.now += step;
            const reports = await Promise.all(
              twice ? [rotateKeys(deps), rotateKeys(deps)] : [rotateKeys(deps)],
            );
            if (twice) expect(reports.filter((r) => r.skipped).length).toBeLessThanOrEqual(1);
            const keys = await deps.stores.keys.list();
            assertRules(keys, clock.now, start);
            const log = await readKeyLog(deps.stores);
            expect(await verifyKeyLog(log)).toBe(true);
            for (const k of issuingKeys(keys, clock.now))
              expect(isKeyAnnounced(log, k.id, clock.now)).toBe(true);
          }
        },
      ),
      { numRuns: 3 },
    );
  });

  it("two rotations on clocks more than the lease apart leave one issuing key per threshold and kind", async () => {
    const clock = { now: 1_800_000_000 };
    const plain = await freshDeps(clock);
    // with a band too: a band key overlapping another of its interval is healed like a threshold key
    const a = createDeps({ ...plain, config: { ...plain.config, bands: [{ from: 13, below: 16 }] } });
    // the same tables, a rotation on a clock ahead by more than the lease: it finds the lease lapsed and runs too
    const ahead = { now: clock.now + ROTATION_LEASE_SECONDS + 100 };
    const b = createDeps({ ...a, now: () => ahead.now });
    const reports = await Promise.all([rotateKeys(a), rotateKeys(b)]);
    expect(reports.filter((r) => r.skipped)).toHaveLength(0);
    const keys = await a.stores.keys.list();
    expect(keys.some((k) => k.ageBelow === 16)).toBe(true);
    const log = await readKeyLog(a.stores);
    expect(await verifyKeyLog(log)).toBe(true);
    for (const now of [clock.now, ahead.now, clock.now + E, ahead.now + E - 1]) {
      for (const kind of ["token", "credit"] as const) {
        for (const [t, below] of [...THRESHOLDS.map((t) => [t, undefined] as const), [13, 16] as const]) {
          const mine = keys.filter((k) => k.kind === kind && k.threshold === t && k.ageBelow === below);
          expect(issuingKeys(mine, now, kind).length).toBeLessThanOrEqual(1);
          expect(directoryKeys(mine, now, kind).length).toBeLessThanOrEqual(2);
        }
      }
      expect(checkKeySet(log, now)).toEqual({ ok: true });
    }
    // a rotation whose clock is behind the keys another one made adds no key of its own meanwhile
    const behind = createDeps({ ...a, now: () => clock.now - ROTATION_LEASE_SECONDS - 100 });
    const late = await rotateKeys(behind);
    expect(late.created).toEqual([]);
    const after = await readKeyLog(a.stores);
    for (const now of [clock.now, ahead.now]) expect(checkKeySet(after, now)).toEqual({ ok: true });
  });

  it("two rotations at once on an empty table make one key set, not two", async () => {
    const clock = { now: 1_800_000_000 };
    const deps = await freshDeps(clock);
    const reports = await Promise.all([rotateKeys(deps), rotateKeys(deps), rotateKeys(deps)]);
    expect(reports.filter((r) => !r.skipped)).toHaveLength(1);
    const keys = await deps.stores.keys.list();
    expect(keys).toHaveLength(THRESHOLDS.length * 2 * 2); // current + next per threshold, token and credit keys
    assertRules(keys, clock.now, clock.now);
    // the lease is given back: the next scheduled run rotates again
    expect((await rotateKeys(deps)).skipped).toBe(false);
    const lease = { status: "leased", expiresAt: clock.now + 10 } as const;
    expect((await deps.stores.claims.claim(leaseId(ROTATION_LEASE), lease, clock.now)).claimed).toBe(true);
  });
});
