import {
  BrowserError,
  type BrowserErrorCode,
  describeError,
  errorCode,
  GRANT_CHANNEL,
  grantError,
  grantFragment,
  grantMessage,
  pickLang,
  proofOutcome,
  randomId,
  readGrantFragment,
  readMessage,
  requestReceived,
  STRINGS,
  tokenAnswer,
  tokenRequest,
  WALLET_ERROR_CODES,
  walletError,
  walletProgress,
  walletReady,
} from "@blindgate/sdk/browser";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const schemas = {
  walletReady,
  tokenRequest,
  requestReceived,
  tokenAnswer,
  walletError,
  proofOutcome,
  grantMessage,
  grantError,
};
const nonce = randomId();

describe("wallet message schemas", () => {
  it("read the messages of the protocol", () => {
    expect(readMessage(walletReady, { type: "blindgate:wallet-ready" })).toBeDefined();
    expect(readMessage(tokenRequest, { type: "blindgate:token-request", minAge: 18, nonce })).toEqual({
      type: "blindgate:token-request",
      minAge: 18,
      nonce,
    });
    // a site whose operator accepts the risk asks the wallet not to hold back a first proof
    expect(
      readMessage(tokenRequest, { type: "blindgate:token-request", minAge: 18, nonce, noDelay: true })
        ?.noDelay,
    ).toBe(true);
    expect(
      readMessage(tokenAnswer, { type: "blindgate:token", nonce, token: "A".repeat(472), ageOver: 18 }),
    ).toBeDefined();
    expect(readMessage(walletError, { type: "blindgate:error", nonce, code: "CANCELLED" })).toBeDefined();
    expect(readMessage(requestReceived, { type: "blindgate:request-received", nonce })).toBeDefined();
    expect(
      readMessage(proofOutcome, {
        type: "blindgate:outcome",
        nonce,
        ok: false,
        code: "ERR_GATEWAY_UNAVAILABLE",
      }),
    ).toBeDefined();
    expect(readMessage(proofOutcome, { type: "blindgate:outcome", nonce, ok: true })).toBeDefined();
    expect(
      readMessage(grantMessage, { type: "blindgate:grant", state: nonce, grant: "a.b.c" }),
    ).toBeDefined();
    expect(
      readMessage(grantError, { type: "blindgate:grant-error", state: nonce, code: "UNDER_AGE" }),
    ).toBeDefined();
  });

  it.each([
    ["an extra field", walletReady, { type: "blindgate:wallet-ready", origin: "https://site.example" }],
    ["a short nonce", tokenRequest, { type: "blindgate:token-request", minAge: 18, nonce: "abc" }],
    ["a fractional age", tokenRequest, { type: "blindgate:token-request", minAge: 17.5, nonce }],
    [
      "noDelay other than true",
      tokenRequest,
      { type: "blindgate:token-request", minAge: 18, nonce, noDelay: false },
    ],
    ["an unknown error code", walletError, { type: "blindgate:error", nonce, code: "OOPS" }],
    [
      "an outcome with free text",
      proofOutcome,
      { type: "blindgate:outcome", nonce, ok: false, code: "<b>x</b>" },
    ],
    ["an outcome without ok", proofOutcome, { type: "blindgate:outcome", nonce }],
    ["a grant that is not a JWT", grantMessage, { type: "blindgate:grant", state: nonce, grant: "<script>" }],
    [
      "a token with bad characters",
      tokenAnswer,
      { type: "blindgate:token", nonce, token: "a+b/c".repeat(10), ageOver: 18 },
    ],
  ])("refuse %s", (_name, schema, message) => {
    expect(readMessage(schema as typeof walletReady, message)).toBeUndefined();
  });

  it("never throw, and accept nothing of another type (fast-check)", () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        for (const schema of Object.values(schemas)) {
          const read = readMessage(schema as typeof walletReady, data);
          if (read !== undefined) expect((data as { type: string }).type).toBe(read.type);
        }
      }),
    );
  });

  it("random ids are base64url and distinct", () => {
    const ids = new Set(Array.from({ length: 100 }, () => randomId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("speaks the browser's first offered language; the page's lang only when none is offered", () => {
    expect(pickLang("en", ["fr-FR", "en"])).toBe("fr");
    expect(pickLang("fr", ["en-GB"])).toBe("en"); // the browser decides, not the page
    expect(pickLang("fr", ["de-DE", "it"])).toBe("fr"); // nothing offered: the page's lang
    expect(pickLang("de", ["de-DE", "fr"])).toBe("fr"); // the first *offered* language
    expect(pickLang(undefined, ["de"])).toBe("en");
    expect(pickLang(null, [])).toBe("en");
  });

  it("tells every refusal in words without a code, in both languages; the code is for scripts (errorCode)", () => {
    for (const lang of ["en", "fr"] as const) {
      for (const code of Object.keys(STRINGS.en.reasons)) {
        const said = describeError(new BrowserError(code as BrowserErrorCode, "x"), lang);
        expect(said).not.toContain(code);
        expect(said).not.toMatch(/\b[A-Z]+_[A-Z_]+\b/);
        expect(said.length).toBeGreaterThan(20);
        expect(errorCode(new BrowserError(code as BrowserErrorCode, "x"))).toBe(code);
      }
    }
    const refused = new BrowserError("PROOF_REFUSED", "x", "ERR_TOKEN_REJECTED");
    expect(describeError(refused, "en")).not.toContain("ERR_TOKEN_REJECTED");
    expect(errorCode(refused)).toBe("PROOF_REFUSED, ERR_TOKEN_REJECTED");
    expect(Object.keys(STRINGS.fr.reasons).sort()).toEqual(Object.keys(STRINGS.en.reasons).sort());
    expect(describeError(new Error("boom"), "fr")).toBe("Preuve non apportée.");
    expect(errorCode(new Error("boom"))).toBe("ERROR");
  });

  it("the wallet tells a site one code for every 'no': NOT_PROVEN; older wallets' codes read the same", () => {
    const nonce = "n".repeat(22);
    expect(WALLET_ERROR_CODES).toEqual(["NOT_PROVEN", "NO_PROVIDER", "UNAVAILABLE"]);
    for (const code of ["NOT_PROVEN", "CANCELLED", "UNDER_AGE"])
      expect(readMessage(walletError, { type: "blindgate:error", nonce, code })).toBeDefined();
    expect(Object.keys(STRINGS.en.reasons)).not.toContain("UNDER_AGE");
    expect(Object.keys(STRINGS.en.reasons)).not.toContain("CANCELLED");
  });

  it("a provider's answer survives the URL fragment, and nothing else passes for one", () => {
    const state = "s".repeat(22);
    const grant = "aaa.bbb.ccc";
    const given = { type: "blindgate:grant" as const, state, grant };
    expect(readGrantFragment(`#${grantFragment(given)}`)).toEqual(given);
    const refused = { type: "blindgate:grant-error" as const, state, code: "UNDER_AGE" };
    expect(readGrantFragment(grantFragment(refused))).toEqual(refused);
    expect(readGrantFragment(`#state=${state}&grant=${grant}&extra=1`)).toBeUndefined();
    expect(readGrantFragment("#state=short&grant=a.b.c")).toBeUndefined();
    expect(readGrantFragment("")).toBeUndefined();
    expect(GRANT_CHANNEL).toBe("blindgate-grant");
    fc.assert(
      fc.property(fc.string(), (junk) => {
        expect(() => readGrantFragment(junk)).not.toThrow();
      }),
    );
  });

  it("progress says which wait and how long, and nothing else; band requests need an upper end above the lower", () => {
    const nonce = "n".repeat(22);
    expect(
      readMessage(walletProgress, { type: "blindgate:progress", nonce, wait: "first-use", leftMs: 30_000 }),
    ).toBeDefined();
    expect(
      readMessage(walletProgress, { type: "blindgate:progress", nonce, wait: "other", leftMs: 1 }),
    ).toBeUndefined();
    expect(
      readMessage(walletProgress, { type: "blindgate:progress", nonce, wait: "paced", leftMs: -1 }),
    ).toBeUndefined();
    const ask = { type: "blindgate:token-request", minAge: 13, nonce };
    expect(readMessage(tokenRequest, { ...ask, ageBelow: 18 })).toBeDefined();
    expect(readMessage(tokenRequest, { ...ask, ageBelow: 13 })).toBeUndefined();
    expect(
      readMessage(tokenAnswer, {
        type: "blindgate:token",
        nonce,
        token: "t".repeat(20),
        ageOver: 13,
        ageBelow: 18,
      }),
    ).toBeDefined();
  });
});
