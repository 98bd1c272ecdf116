import {
  BrowserError,
  type BrowserErrorCode,
  describeError,
  grantError,
  grantMessage,
  pickLang,
  proofOutcome,
  randomId,
  readMessage,
  requestReceived,
  STRINGS,
  tokenAnswer,
  tokenRequest,
  walletError,
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

  it("tells every refusal in words with its code, in both languages", () => {
    for (const lang of ["en", "fr"] as const) {
      for (const code of Object.keys(STRINGS.en.reasons)) {
        const said = describeError(new BrowserError(code as BrowserErrorCode, "x"), lang);
        expect(said).toContain(`(${code})`);
        expect(said.length).toBeGreaterThan(code.length + 20);
      }
    }
    expect(describeError(new BrowserError("PROOF_REFUSED", "x", "ERR_TOKEN_REJECTED"), "en")).toContain(
      "(PROOF_REFUSED, ERR_TOKEN_REJECTED)",
    );
    expect(Object.keys(STRINGS.fr.reasons).sort()).toEqual(Object.keys(STRINGS.en.reasons).sort());
    expect(describeError(new Error("boom"), "fr")).toBe("Preuve non apportée (ERROR).");
  });
});
