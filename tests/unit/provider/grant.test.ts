import {
  exportGrantJwks,
  exportGrantPrivateJwk,
  type GrantInput,
  generateGrantKey,
  importGrantKey,
  MAX_GRANT_TTL_SECONDS,
  ProviderError,
  signGrant,
} from "@blindgate/sdk/provider";
import fc from "fast-check";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";

const input: GrantInput = { issuer: "gateway.example", providerId: "acme-id", ageOver: 18, maxTokens: 40 };

let key: Awaited<ReturnType<typeof generateGrantKey>>;
beforeAll(async () => {
  key = await generateGrantKey();
});

async function rejects(p: Promise<unknown>, code: ProviderError["code"]): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  expect((e as ProviderError).code).toBe(code);
}

describe("signGrant", () => {
  it("signs exactly iss, aud, iat, exp, jti, age_over, max_tokens, verifiable with the exported JWKS", async () => {
    const before = Math.floor(Date.now() / 1000);
    const grant = await signGrant(key, input);
    const after = Math.floor(Date.now() / 1000);
    const jwks = createLocalJWKSet(await exportGrantJwks(key));
    const { payload, protectedHeader } = await jwtVerify(grant, jwks, {
      algorithms: ["ES256"],
      audience: "gateway.example",
      issuer: "acme-id",
    });
    expect(Object.keys(payload).sort()).toEqual([
      "age_over",
      "aud",
      "exp",
      "iat",
      "iss",
      "jti",
      "max_tokens",
    ]);
    expect(protectedHeader).toEqual({ alg: "ES256", kid: key.kid });
    expect(payload.age_over).toBe(18);
    expect(payload.max_tokens).toBe(40);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(after);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("draws a fresh jti for every grant", async () => {
    const jtis = new Set<unknown>();
    for (let i = 0; i < 20; i++) jtis.add(decodeJwt(await signGrant(key, input)).jti);
    expect(jtis.size).toBe(20);
  });

  it("honours ttlSeconds within 1..600 and refuses anything outside", async () => {
    for (const ttl of [1, 60, MAX_GRANT_TTL_SECONDS]) {
      const p = decodeJwt(await signGrant(key, { ...input, ttlSeconds: ttl }));
      expect((p.exp ?? 0) - (p.iat ?? 0)).toBe(ttl);
    }
    for (const ttl of [0, -1, 601, 3600, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await rejects(signGrant(key, { ...input, ttlSeconds: ttl }), "INVALID_GRANT_INPUT");
    }
  });

  it("refuses any field it does not know, so no identity or site can ride along", async () => {
    for (const extra of ["sub", "email", "site", "origin", "birthdate", "name", "claims"]) {
      const bad = { ...input, [extra]: "x" } as GrantInput;
      await rejects(signGrant(key, bad), "INVALID_GRANT_INPUT");
    }
  });

  it("refuses out-of-range values with a message naming the field, not its value", async () => {
    const cases: Partial<GrantInput>[] = [
      { ageOver: 0 },
      { ageOver: 151 },
      { ageOver: 17.5 },
      { maxTokens: 0 },
      { maxTokens: 1001 },
      { issuer: "https://gateway.example/" },
      { issuer: "" },
      { providerId: "" },
      { providerId: "has space" },
    ];
    for (const c of cases) {
      const e = await signGrant(key, { ...input, ...c }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ProviderError);
      expect((e as ProviderError).code).toBe("INVALID_GRANT_INPUT");
      expect((e as Error).message).toContain(Object.keys(c)[0]);
    }
  });

  it("property: arbitrary extra or wrong-typed input only ever gives INVALID_GRANT_INPUT", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 12 }), fc.anything(), { maxKeys: 4 }),
        async (noise) => {
          const bad = { ...input, ...noise } as GrantInput;
          const known = Object.keys(noise).every((k) => k in input || k === "ttlSeconds");
          const result = await signGrant(key, bad).then(
            (jwt) => ({ ok: true as const, jwt }),
            (e: unknown) => ({ ok: false as const, e }),
          );
          if (result.ok) {
            expect(known).toBe(true);
            expect(Object.keys(decodeJwt(result.jwt)).length).toBe(7);
          } else {
            expect(result.e).toBeInstanceOf(ProviderError);
            expect((result.e as ProviderError).code).toBe("INVALID_GRANT_INPUT");
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses a public key or a key of another algorithm", async () => {
    await rejects(signGrant({ kid: key.kid, privateKey: key.publicKey }, input), "INVALID_KEY");
    const hmac = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    await rejects(signGrant({ kid: "k", privateKey: hmac }, input), "INVALID_KEY");
  });
});

describe("grant keys", () => {
  it("uses the RFC 7638 thumbprint as kid and publishes public JWKs only", async () => {
    const jwks = await exportGrantJwks(key);
    expect(jwks.keys).toHaveLength(1);
    const [jwk] = jwks.keys;
    expect(Object.keys(jwk ?? {}).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    expect(jwk?.kid).toBe(key.kid);
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("exports several keys for rotation and refuses duplicate kids", async () => {
    const next = await generateGrantKey({ kid: "next-2026" });
    const jwks = await exportGrantJwks([key, next]);
    expect(jwks.keys.map((k) => k.kid)).toEqual([key.kid, "next-2026"]);
    await rejects(exportGrantJwks([key, key]), "INVALID_KEY");
    await rejects(exportGrantJwks({ kid: "x", publicKey: key.privateKey }), "INVALID_KEY");
  });

  it("round-trips through a private JWK and signs grants the old JWKS verifies", async () => {
    const stored = await exportGrantPrivateJwk(key);
    expect(stored.kid).toBe(key.kid);
    const loaded = await importGrantKey(JSON.parse(JSON.stringify(stored)));
    expect(loaded.kid).toBe(key.kid);
    const grant = await signGrant(loaded, input);
    expect(decodeProtectedHeader(grant).kid).toBe(key.kid);
    await jwtVerify(grant, createLocalJWKSet(await exportGrantJwks(key)));
  });

  it("refuses a non-extractable key on export and a public JWK on import", async () => {
    const locked = await generateGrantKey({ extractable: false });
    await rejects(exportGrantPrivateJwk(locked), "INVALID_KEY");
    const [pub] = (await exportGrantJwks(key)).keys;
    await rejects(importGrantKey({ ...pub }), "INVALID_KEY");
    await rejects(generateGrantKey({ kid: "" }), "INVALID_KEY");
  });
});
