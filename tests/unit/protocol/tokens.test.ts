import { generateKeyPairSync } from "node:crypto";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import {
  BLIND_RSA_TOKEN_LENGTH,
  beginIssuance,
  createTokenVerifier,
  DecodeError,
  finishIssuance,
  fromHex,
  parseRsaSpki,
  Token,
  TokenChallenge,
  TokenRequest,
  TokenResponse,
  toHex,
  toPssSpki,
  toRsaEncryptionSpki,
  VerificationError,
} from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { BlindSigner, generateTokenKey } from "../../../functions/issuer/index.js";
import rfc9577 from "../../vectors/rfc9577-token.json" with { type: "json" };
import rfc9578 from "../../vectors/rfc9578-type2-issuance.json" with { type: "json" };

/*
 * RFC 9577 token authenticator inputs and RFC 9578 type 0x0002 issuance through our client, every intermediate
 * value asserted; the wire structs' decoders under random and mutated bytes; verification under bit flips.
 */

const text = (hex: string) => new TextDecoder().decode(fromHex(hex));

describe("RFC 9577 token vectors", () => {
  it.each(rfc9577.map((v, i) => [i, v] as const))("vector %i: token_authenticator_input", async (_i, v) => {
    const challenge = new TokenChallenge({
      tokenType: Number.parseInt(v.token_type, 16),
      issuerName: text(v.issuer_name),
      redemptionContext: fromHex(v.redemption_context),
      originInfo: v.origin_info === "" ? [] : text(v.origin_info).split(","),
    });
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", challenge.encode()));
    const input = toHex(new Uint8Array([0, 2, ...fromHex(v.nonce), ...digest, ...fromHex(v.token_key_id)]));
    expect(input).toBe(v.token_authenticator_input);
  });
});

describe("RFC 9578 type 0x0002 issuance through our client", () => {
  it.each(rfc9578.map((v, i) => [i, v] as const))("vector %i: TokenRequest and Token", async (_i, v) => {
    const { request, pending } = await beginIssuance({
      challenge: fromHex(v.token_challenge),
      tokenKey: fromHex(v.pkS),
      nonce: fromHex(v.nonce),
      salt: fromHex(v.salt),
      blind: fromHex(v.blind),
    });
    expect(toHex(request.encode())).toBe(v.token_request);
    const token = await finishIssuance(pending, TokenResponse.decode(fromHex(v.token_response)));
    expect(toHex(token.encode())).toBe(v.token);
    // and a site verifies it, on both verifiers
    for (const make of [createTokenVerifier, createNodeTokenVerifier]) {
      const verifier = await make([{ spki: fromHex(v.pkS), meta: "k" }]);
      expect((await verifier.verify(token, { challenge: fromHex(v.token_challenge) })).meta).toBe("k");
    }
  });
});

describe("wire structs", () => {
  const decoders = {
    TokenRequest: (b: Uint8Array) => TokenRequest.decode(b),
    TokenResponse: (b: Uint8Array) => TokenResponse.decode(b),
    Token: (b: Uint8Array) => Token.decode(b),
  };

  it("random and mutated bytes only ever give a DecodeError", () => {
    const valid = fromHex(rfc9578[0]!.token);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          fc
            .tuple(fc.nat(valid.length), fc.nat(valid.length))
            .map(([a, b]) => valid.subarray(0, Math.min(a, b))),
          fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => new Uint8Array([...valid, ...extra])),
        ),
        (bytes) => {
          for (const decode of Object.values(decoders)) {
            try {
              decode(bytes);
            } catch (e) {
              expect(e).toBeInstanceOf(DecodeError);
            }
          }
        },
      ),
    );
  });

  it("decode from a subarray of a larger buffer, and round-trip", () => {
    for (const v of rfc9578) {
      for (const [hex, decode] of [
        [v.token_request, decoders.TokenRequest],
        [v.token_response, decoders.TokenResponse],
        [v.token, decoders.Token],
      ] as const) {
        const bytes = fromHex(hex);
        const big = new Uint8Array(bytes.length + 20);
        big.set(bytes, 7);
        expect(toHex(decode(big.subarray(7, 7 + bytes.length)).encode())).toBe(hex);
        expect(() => decode(big.subarray(7, 8 + bytes.length))).toThrow(DecodeError);
      }
    }
    expect(fromHex(rfc9578[0]!.token).length).toBe(BLIND_RSA_TOKEN_LENGTH);
  });
});

describe("verification", () => {
  let spki: Uint8Array;
  let token: Token;
  const challenge = TokenChallenge.crossOrigin("issuer.example").encode();
  beforeAll(async () => {
    const key = await generateTokenKey();
    spki = key.spki;
    const { request, pending } = await beginIssuance({ challenge, tokenKey: spki });
    token = await finishIssuance(
      pending,
      new TokenResponse(BlindSigner.fromPkcs8(key.pkcs8).sign(request.blindedMsg)),
    );
  });

  it("a flipped bit anywhere in a token fails verification, on both verifiers", async () => {
    const verifiers = await Promise.all(
      [createTokenVerifier, createNodeTokenVerifier].map((m) => m([{ spki, meta: 1 }])),
    );
    const bytes = token.encode();
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length * 8 - 1), async (bit) => {
        const bad = bytes.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        for (const verifier of verifiers) {
          await expect(verifier.verify(bad, { challenge })).rejects.toSatisfy(
            (e) => e instanceof VerificationError || e instanceof DecodeError,
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it("refuses a token for another challenge and a key it does not know", async () => {
    const verifier = await createNodeTokenVerifier([{ spki, meta: 1 }]);
    await expect(
      verifier.verify(token, { challenge: TokenChallenge.crossOrigin("other.example").encode() }),
    ).rejects.toMatchObject({ code: "ERR_CHALLENGE_MISMATCH" });
    const other = await generateTokenKey();
    const stranger = await createNodeTokenVerifier([{ spki: other.spki, meta: 2 }]);
    await expect(stranger.verify(token, { challenge })).rejects.toMatchObject({ code: "ERR_UNKNOWN_KEY" });
  });

  it("converts an SPKI between rsaEncryption and RSASSA-PSS both ways", () => {
    const der = new Uint8Array(
      generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "der" }),
    );
    const pss = toPssSpki(der);
    expect(parseRsaSpki(der).kind).toBe("rsaEncryption");
    expect(parseRsaSpki(pss).kind).toBe("rsassa-pss");
    expect(toHex(toRsaEncryptionSpki(pss))).toBe(toHex(der));
    expect(toHex(toPssSpki(pss))).toBe(toHex(pss));
    expect(parseRsaSpki(pss).n).toBe(parseRsaSpki(der).n);
  });
});
