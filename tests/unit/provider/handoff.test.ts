import {
  grantError as browserGrantError,
  grantMessage as browserGrantMessage,
  readGrantFragment,
} from "@blindgate/sdk/browser";
import {
  generateGrantKey,
  grantError,
  grantErrorFor,
  grantMessage,
  grantMessageFor,
  isOnOrigin,
  isOrigin,
  ProviderError,
  postToWallet,
  signGrant,
  walletReturnUrl,
} from "@blindgate/sdk/provider";
import { describe, expect, it } from "vitest";

const STATE = "Zk3abcdefghijkl";
const WALLET = "https://wallet.gateway.example";

describe("provider kit: handing the grant to the wallet", () => {
  it("exports the very schemas the wallet parses (the /browser export keeps working)", () => {
    expect(grantMessage).toBe(browserGrantMessage);
    expect(grantError).toBe(browserGrantError);
  });

  it("posts a grant message to the wallet origin only", async () => {
    const key = await generateGrantKey();
    const grant = await signGrant(key, {
      issuer: "gateway.example",
      providerId: "p",
      ageOver: 18,
      maxTokens: 5,
    });
    const posted: [unknown, string][] = [];
    postToWallet({ postMessage: (m, o) => posted.push([m, o]) }, WALLET, grantMessageFor(STATE, grant));
    expect(posted).toEqual([[{ type: "blindgate:grant", state: STATE, grant }, WALLET]]);
    expect(browserGrantMessage.safeParse(posted[0]?.[0]).success).toBe(true);
  });

  it("refuses '*', paths and non-http origins, a missing window, and malformed messages", () => {
    const target = { postMessage: () => undefined };
    const message = grantErrorFor(STATE, "UNDER_AGE");
    for (const origin of ["*", `${WALLET}/`, `${WALLET}/x`, "null", "javascript:alert(1)", ""]) {
      expect(isOrigin(origin)).toBe(false);
      expect(() => postToWallet(target, origin, message)).toThrow(
        expect.objectContaining({ code: "INVALID_WALLET_ORIGIN" }),
      );
    }
    expect(() => postToWallet(null, WALLET, message)).toThrow(expect.objectContaining({ code: "NO_WALLET" }));
    expect(() => grantMessageFor("short", "a.b.c")).toThrow(/state must be 8-128 base64url/);
    expect(() => grantMessageFor(STATE, "not a jwt")).toThrow(/grant must be a compact JWT/);
    expect(() => grantErrorFor(STATE, "under age")).toThrow(/code must be 1-32 upper-case/);
    const e = (() => {
      try {
        grantErrorFor(STATE, "bad");
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).code).toBe("INVALID_GRANT_MESSAGE");
  });

  it("grant input errors name the field, its claim and the allowed range, never the value", async () => {
    const key = await generateGrantKey();
    const input = { issuer: "gateway.example", providerId: "p", ageOver: 18, maxTokens: 5 };
    const message = async (patch: Record<string, unknown>) =>
      (await signGrant(key, { ...input, ...patch } as typeof input).catch((err: Error) => err)) as Error;
    expect((await message({ ageOver: 151 })).message).toContain(
      "ageOver (claim age_over) must be an integer 1..150",
    );
    expect((await message({ maxTokens: 1001 })).message).toContain(
      "maxTokens (claim max_tokens) must be an integer 1..1000",
    );
    expect((await message({ ttlSeconds: 601 })).message).toContain(
      "ttlSeconds (exp - iat) must be an integer 1..600",
    );
    expect((await message({ email: "x@y" })).message).toContain('unknown field "email"');
    expect((await message({ email: "secret-value" })).message).not.toContain("secret-value");
  });

  it("sends the person back to the wallet's return page with the answer in the fragment, on the wallet's origin only", () => {
    const back = `${WALLET}/wallet/return.html`;
    const url = new URL(walletReturnUrl(back, WALLET, grantMessageFor(STATE, "aaa.bbb.ccc")));
    expect(`${url.origin}${url.pathname}`).toBe(back);
    expect(url.search).toBe("");
    expect(readGrantFragment(url.hash)).toEqual({
      type: "blindgate:grant",
      state: STATE,
      grant: "aaa.bbb.ccc",
    });
    const refused = walletReturnUrl(back, WALLET, grantErrorFor(STATE, "UNDER_AGE"));
    expect(readGrantFragment(new URL(refused).hash)).toEqual({
      type: "blindgate:grant-error",
      state: STATE,
      code: "UNDER_AGE",
    });
    for (const [ret, origin] of [
      ["https://evil.example/wallet/return.html", WALLET],
      ["javascript:alert(1)", WALLET],
      [back, "*"],
      ["not a url", WALLET],
    ] as const) {
      expect(() => walletReturnUrl(ret, origin, grantErrorFor(STATE, "UNDER_AGE"))).toThrow(ProviderError);
    }
    expect(isOnOrigin(back, WALLET)).toBe(true);
    expect(isOnOrigin("https://wallet.gateway.example.evil.example/", WALLET)).toBe(false);
  });
});
