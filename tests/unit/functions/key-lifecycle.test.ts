import { describe, expect, it } from "vitest";
import { keyState } from "../../../functions/issuer/key-state.js";
import type { TokenKeyRecord } from "../../../functions/stores/index.js";

/* The states of one key along its windows; the rules over many keys are tested on real rotations in
 * tests/integration/gateway/key-lifecycle.test.ts. */

const E = 3600;
const V = 1800;

function key(threshold: number, notBefore: number, id = `${threshold}-${notBefore}`): TokenKeyRecord {
  return {
    kind: "token",
    id,
    truncatedId: 0,
    threshold,
    spki: new Uint8Array(),
    publishAt: notBefore - E,
    notBefore,
    issueUntil: notBefore + E,
    validUntil: notBefore + E + V,
    sealedPrivateKey: new Uint8Array(),
    createdAt: notBefore - E,
  };
}

describe("token key lifecycle", () => {
  const k = key(18, 10 * E);
  it.each([
    [k.publishAt - 1, "pending"],
    [k.publishAt, "next"],
    [k.notBefore, "current"],
    [k.issueUntil - 1, "current"],
    [k.issueUntil, "retired"],
    [k.validUntil - 1, "retired"],
    [k.validUntil, "expired"],
  ] as const)("at %i the key is %s", (now, state) => {
    expect(keyState(k, now)).toBe(state);
  });
});
