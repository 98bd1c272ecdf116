import "reflect-metadata";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWallet, type TestWallet } from "../../../providers/eu-av/test-wallet/server.js";

/* The local test wallet's own routes: labelled a test, and garbage gets a 4xx with a stable code, never a 5xx. */

let wallet: TestWallet;
beforeAll(async () => {
  wallet = await startTestWallet();
});
afterAll(async () => {
  await wallet?.close();
});

describe("the local test wallet", () => {
  it("says it is a test, in English and in French, under a strict CSP", async () => {
    for (const [lang, word] of [
      ["en-GB", "This is a TEST wallet"],
      ["fr-FR", "Ceci est un portefeuille de TEST"],
    ] as const) {
      const res = await fetch(`${wallet.localUrl}/`, { headers: { "accept-language": lang } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(word);
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    }
    expect(wallet.iacaPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it("refuses to fetch anything but this machine", async () => {
    const res = await fetch(`${wallet.localUrl}/answer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ request: "https://example.com/r/AAAAAAAAAAAAAAAAAAAAAA", persona: "adult" }),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("x-error-code")).toBe("ERR_REQUEST_UNREADABLE");
  });

  it("property: garbage to every route is a 4xx with a stable code", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/answer", "/dc-api", "/nope", "/wallet.js"),
        fc.constantFrom("GET", "POST"),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json(),
          fc
            .record({
              request: fc.oneof(fc.string({ maxLength: 100 }), fc.constant("av://?client_id=x")),
              persona: fc.constantFrom("adult", "teen", "x"),
            })
            .map((o) => JSON.stringify(o)),
          fc
            .record({
              origin: fc.string({ maxLength: 40 }),
              persona: fc.constant("adult"),
              requests: fc.array(
                fc.record({
                  protocol: fc.constantFrom("org-iso-mdoc", "x"),
                  data: fc.record({ deviceRequest: fc.base64String(), encryptionInfo: fc.base64String() }),
                }),
                { maxLength: 2 },
              ),
            })
            .map((o) => JSON.stringify(o)),
        ),
        async (route, method, body) => {
          const res = await fetch(`${wallet.localUrl}${route}`, {
            method,
            headers: { "content-type": "application/json" },
            ...(method === "POST" ? { body } : {}),
          });
          await res.arrayBuffer();
          if (method === "GET" && route === "/wallet.js") {
            expect(res.status).toBe(200);
            return;
          }
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(res.headers.get("x-error-code")).toMatch(/^ERR_[A-Z_]+$/);
        },
      ),
      { numRuns: 100 },
    );
  });
});
