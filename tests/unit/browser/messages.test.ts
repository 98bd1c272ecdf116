import {
  grantError,
  grantMessage,
  pickLang,
  randomId,
  readMessage,
  tokenAnswer,
  tokenRequest,
  walletError,
  walletReady,
} from "@blindgate/sdk/browser";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const schemas = { walletReady, tokenRequest, tokenAnswer, walletError, grantMessage, grantError };
const nonce = randomId();

describe("wallet message schemas", () => {
  it("read the messages of the protocol", () => {
    expect(readMessage(walletReady, { type: "blindgate:wallet-ready" })).toBeDefined();
    expect(readMessage(tokenRequest, { type: "blindgate:token-request", minAge: 18, nonce })).toEqual({
      type: "blindgate:token-request",
      minAge: 18,
      nonce,
    });
    expect(
      readMessage(tokenAnswer, { type: "blindgate:token", nonce, token: "A".repeat(472), ageOver: 18 }),
    ).toBeDefined();
    expect(readMessage(walletError, { type: "blindgate:error", nonce, code: "CANCELLED" })).toBeDefined();
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
    ["an unknown error code", walletError, { type: "blindgate:error", nonce, code: "OOPS" }],
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

  it("picks French for French browsers only", () => {
    expect(pickLang("fr-FR")).toBe("fr");
    expect(pickLang("en-GB")).toBe("en");
    expect(pickLang("de")).toBe("en");
  });
});
