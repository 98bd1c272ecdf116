import { describe, expect, it } from "vitest";
import { createPreflightHandler, withWalletCors } from "../../../functions/http/wallet-cors.js";

const ORIGIN = "https://d111111abcdef8.cloudfront.net";

describe("withWalletCors", () => {
  it("names the wallet origin on every answer, errors included, and keeps the handler's headers", async () => {
    for (const statusCode of [200, 206, 304, 400, 401, 403, 422, 500]) {
      const wrapped = withWalletCors(
        async () => ({
          statusCode,
          headers: { "content-type": "application/json", etag: '"x"' },
          body: "{}",
        }),
        ORIGIN,
      );
      expect(await wrapped({}, {})).toEqual({
        statusCode,
        headers: {
          "content-type": "application/json",
          etag: '"x"',
          "access-control-allow-origin": ORIGIN,
          vary: "Origin",
        },
        body: "{}",
      });
    }
  });

  it("replaces a handler's own Access-Control-Allow-Origin and extends its Vary", async () => {
    const wrapped = withWalletCors(
      async () => ({
        statusCode: 200,
        headers: { "Access-Control-Allow-Origin": "*", Vary: "Accept-Encoding" },
      }),
      ORIGIN,
    );
    expect(await wrapped(undefined, undefined)).toEqual({
      statusCode: 200,
      headers: { "access-control-allow-origin": ORIGIN, vary: "Accept-Encoding, Origin" },
    });
  });

  it("passes the event and context through and leaves non-HTTP results alone", async () => {
    const seen: unknown[] = [];
    const wrapped = withWalletCors(async (event: string, context: number) => {
      seen.push(event, context);
      return { created: 2 };
    }, ORIGIN);
    expect(await wrapped("event", 7)).toEqual({ created: 2 });
    expect(seen).toEqual(["event", 7]);
  });

  it("refuses to start without an https origin", () => {
    const inner = async () => ({ statusCode: 200 });
    for (const bad of [undefined, "", "http://wallet.example", "https://wallet.example/path", "*"]) {
      expect(() => withWalletCors(inner, bad)).toThrow(/BLINDGATE_WALLET_ORIGIN/);
    }
  });
});

describe("createPreflightHandler", () => {
  it("answers 204 naming the wallet origin, the methods and the two headers the wallet sends, for a day", async () => {
    const preflight = createPreflightHandler(ORIGIN);
    expect(await preflight()).toEqual({
      statusCode: 204,
      headers: {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "authorization, content-type",
        "access-control-max-age": "86400",
        vary: "Origin",
      },
    });
  });

  it("refuses to start without an https origin", () => {
    for (const bad of [undefined, "", "http://wallet.example", "https://wallet.example/path", "*"]) {
      expect(() => createPreflightHandler(bad)).toThrow(/BLINDGATE_WALLET_ORIGIN/);
    }
  });
});
