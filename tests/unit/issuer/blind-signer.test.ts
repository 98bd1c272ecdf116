import { constants, createPrivateKey, createPublicKey, verify } from "node:crypto";
import { createNodeTokenVerifier } from "@blindgate/sdk/node";
import {
  beginIssuance,
  finishIssuance,
  fromHex,
  i2osp,
  modInverse,
  modPow,
  os2ip,
  parseRsaSpki,
  TOKEN_AUTHENTICATOR_INPUT_LENGTH,
  TokenChallenge,
  TokenRequest,
  TokenResponse,
  toBase64Url,
  toHex,
  tokenKeyId,
} from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { BlindSigner, generateTokenKey, IssuerError } from "../../../functions/issuer/index.js";
import rfc9474 from "../../vectors/rfc9474-blind-rsa.json" with { type: "json" };
import rfc9578 from "../../vectors/rfc9578-type2-issuance.json" with { type: "json" };

/*
 * The issuer's BlindSign on node:crypto against the published vectors (RFC 9474 Appendix A, RFC 9578 type 2),
 * then end to end with our client and plain node:crypto RSA-PSS verification.
 */

const hex = (s: string) => fromHex(s.replace(/^0x/, ""));
const big = (s: string) => os2ip(hex(s));
const b64 = (n: bigint) => toBase64Url(i2osp(n, Math.ceil(n.toString(16).length / 2)));

describe("BlindSigner on the RFC 9474 vectors", () => {
  it.each(rfc9474.map((v) => [v.name, v] as const))(
    "%s: blind_sig = BlindSign(sk, blinded_msg)",
    (_name, v) => {
      const n = big(v.n);
      const e = big(v.e);
      const d = big(v.d);
      const p = big(v.p);
      const q = big(v.q);
      const key = createPrivateKey({
        format: "jwk",
        key: {
          kty: "RSA",
          n: b64(n),
          e: b64(e),
          d: b64(d),
          p: b64(p),
          q: b64(q),
          dp: b64(d % (p - 1n)),
          dq: b64(d % (q - 1n)),
          qi: b64(modInverse(q, p) ?? 0n),
        },
      });
      const signer = new BlindSigner(key);
      expect(signer.modulusBytes).toBe(512);
      expect(toHex(signer.sign(hex(v.blinded_msg)))).toBe(v.blind_sig.replace(/^0x/, ""));
    },
  );
});

describe("BlindSigner on the RFC 9578 type 0x0002 vectors", () => {
  it.each(rfc9578.map((v, i) => [i, v] as const))(
    "vector %i: TokenResponse and public key",
    async (_i, v) => {
      const signer = new BlindSigner(createPrivateKey(Buffer.from(hex(v.skS)).toString("utf8")));
      expect(toHex(signer.spki)).toBe(v.pkS);
      const request = TokenRequest.decode(hex(v.token_request));
      expect(request.truncatedTokenKeyId).toBe((await tokenKeyId(signer.spki))[31]);
      expect(toHex(new TokenResponse(signer.sign(request.blindedMsg)).encode())).toBe(v.token_response);
    },
  );
});

describe("BlindSigner with our client", () => {
  let signer: BlindSigner;
  let spki: Uint8Array;
  beforeAll(async () => {
    const key = await generateTokenKey();
    spki = key.spki;
    signer = BlindSigner.fromPkcs8(key.pkcs8);
    expect(toHex(key.tokenKeyId)).toBe(toHex(await tokenKeyId(spki)));
    const parsed = parseRsaSpki(spki);
    expect(parsed.kind).toBe("rsassa-pss");
    expect(parsed.modulusBytes).toBe(256);
    expect(parsed.e).toBe(65537n);
  });

  it("blind, sign, finalize: the token verifies with plain node:crypto RSA-PSS and with the Node verifier", async () => {
    const challenge = TokenChallenge.crossOrigin("issuer.example").encode();
    const { request, pending } = await beginIssuance({ challenge, tokenKey: spki });
    const token = await finishIssuance(pending, new TokenResponse(signer.sign(request.blindedMsg)));
    const bytes = token.encode();
    const publicKey = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    const ok = verify(
      "sha384",
      bytes.subarray(0, TOKEN_AUTHENTICATOR_INPUT_LENGTH),
      { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
      token.authenticator,
    );
    expect(ok).toBe(true);
    const verifier = await createNodeTokenVerifier([{ spki, meta: "k" }]);
    expect((await verifier.verify(bytes, { challenge })).meta).toBe("k");
  });

  it("refuses blinded messages of the wrong length or outside 0 < m < n, as client errors", () => {
    const n = parseRsaSpki(spki).n;
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(255), "ERR_BLINDED_MSG_LENGTH"],
      [new Uint8Array(257), "ERR_BLINDED_MSG_LENGTH"],
      [new Uint8Array(256), "ERR_BLINDED_MSG_RANGE"],
      [i2osp(n, 256), "ERR_BLINDED_MSG_RANGE"],
      [new Uint8Array(256).fill(0xff), "ERR_BLINDED_MSG_RANGE"],
    ];
    for (const [input, code] of cases) {
      const error = (() => {
        try {
          signer.sign(input);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(IssuerError);
      expect((error as IssuerError).code).toBe(code);
      expect((error as IssuerError).isClientError).toBe(true);
    }
  });

  it("every blinded message in range signs, and the signature is the e-th root (property)", () => {
    const n = parseRsaSpki(spki).n;
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: n - 1n }), (m) => {
        const s = os2ip(signer.sign(i2osp(m, 256)));
        let acc = 1n;
        let base = s % n;
        for (let e = 65537n; e > 0n; e >>= 1n) {
          if (e & 1n) acc = (acc * base) % n;
          base = (base * base) % n;
        }
        expect(acc).toBe(m);
      }),
      { numRuns: 25 },
    );
  });

  it("never shows key material: not in JSON, not in errors", () => {
    const json = JSON.stringify(signer);
    expect(json).not.toMatch(/[0-9a-f]{64}/i);
    expect(Object.keys(signer).sort()).toEqual(["modulusBytes", "spki"]);
    try {
      signer.sign(new Uint8Array(256).fill(0xff));
    } catch (e) {
      expect(String(e)).not.toMatch(/ff{16}/i);
    }
    expect(() => BlindSigner.fromPkcs8(new Uint8Array([1, 2, 3]))).toThrow(IssuerError);
  });
});

/*
 * RFC 9474 §4.3 steps 3-4, the fault check: a signer whose RSASP1 is faulty stands in for a glitching CPU. The
 * classic fault (Boneh, DeMillo, Lipton) leaves s correct mod p and wrong mod q, and such a signature would give
 * p = gcd(s'^e - m, n) to whoever receives it; sign() must never return one.
 */
describe("BlindSigner under faults", () => {
  let pkcs8: Uint8Array;
  let n: bigint;
  let p: bigint;
  const e = 65537n;
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

  /** A signer whose RSASP1 output goes through `fault`. */
  class FaultySigner extends BlindSigner {
    calls = 0;
    constructor(readonly fault: (s: bigint) => bigint) {
      super(createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }));
    }
    protected override rsasp1(m: Buffer): Buffer {
      this.calls++;
      return Buffer.from(i2osp(this.fault(os2ip(super.rsasp1(m))), 256));
    }
  }
  /** Correct mod p, wrong mod q: what a fault in the mod-q half of a CRT exponentiation gives. */
  const crtFault = (s: bigint) => (s + p * 12345n) % n;
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return error instanceof IssuerError
        ? `${error.code} ${error.isClientError ? "4xx" : "5xx"}`
        : String(error);
    }
    return "no error";
  };

  beforeAll(async () => {
    const key = await generateTokenKey();
    pkcs8 = key.pkcs8;
    n = parseRsaSpki(key.spki).n;
    const jwk = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }).export({
      format: "jwk",
    });
    p = os2ip(Buffer.from(jwk.p as string, "base64url"));
  });

  it("the fault the check exists for: a CRT-faulty signature would give away p, and sign() refuses it", () => {
    const m = 0x1234567890abcdefn;
    const honest = new FaultySigner((s) => s);
    const faulty = crtFault(os2ip(honest.sign(i2osp(m, 256))));
    expect(gcd((modPow(faulty, e, n) - m + n) % n, n)).toBe(p); // what releasing it would cost
    expect(codeOf(() => new FaultySigner(crtFault).sign(i2osp(m, 256)))).toBe("ERR_SIGNATURE_FAULT 5xx");
  });

  it("any faulty RSASP1 output (CRT faults, bit flips) is refused as a server error (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: n - 1n }), fc.boolean(), fc.nat({ max: 2046 }), (m, crt, bit) => {
        const signer = new FaultySigner(crt ? crtFault : (s) => (s ^ (1n << BigInt(bit))) % n);
        expect(codeOf(() => signer.sign(i2osp(m, 256)))).toBe("ERR_SIGNATURE_FAULT 5xx");
      }),
      { numRuns: 30 },
    );
  });

  it("input errors come before the private key is used", () => {
    const signer = new FaultySigner((s) => s);
    expect(codeOf(() => signer.sign(new Uint8Array(256)))).toBe("ERR_BLINDED_MSG_RANGE 4xx");
    expect(codeOf(() => signer.sign(new Uint8Array(255)))).toBe("ERR_BLINDED_MSG_LENGTH 4xx");
    expect(signer.calls).toBe(0);
  });
});
