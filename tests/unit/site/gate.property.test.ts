import { createAgeGate, GATE_ERROR_STATUS, type GateErrorCode } from "@blindgate/sdk/site";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { b64, Clock, defaultKeys, FakeGateway, fetchFor, mintToken, SECRET } from "./fixtures.js";

/*
 * Whatever arrives (bodies, headers, cookies, mutated real tokens), the gate answers with one of its typed codes
 * at a 4xx status, never throws, and never lets the request pass. The gateway is up, so no 5xx is expected.
 */

const clock = new Clock();
const gateway = new FakeGateway("gateway.example", defaultKeys(clock));
const gate = createAgeGate({
  issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
  minAge: 18,
  session: { secret: SECRET },
  logger: false,
  fetch: fetchFor(gateway),
  now: clock.now,
});
const codes = new Set(Object.keys(GATE_ERROR_STATUS));
let realToken: Uint8Array;

beforeAll(() => {
  realToken = mintToken(gateway.keys.find((k) => k.ageOver === 18)!, "gateway.example");
  gateway.spent.add(Buffer.from(realToken.subarray(2, 34)).toString("hex")); // spent: mutations must not pass
});

async function typed4xx(response: Response): Promise<string> {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  const body = (await response.json()) as { error: { code: string } };
  expect(codes.has(body.error.code)).toBe(true);
  // check() answers every refusal with the 401 challenge; handleProof uses each code's own status.
  if (response.status !== 401)
    expect(response.status).toBe(GATE_ERROR_STATUS[body.error.code as GateErrorCode]);
  expect(response.headers.getSetCookie().every((c) => /Max-Age=0$/.test(c))).toBe(true);
  return body.error.code;
}

const headerName = fc.constantFrom(
  "Content-Type",
  "Cookie",
  "Authorization",
  "Sec-Fetch-Site",
  "X-Any",
  "Accept",
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n\0]/g, "")),
  fc.constantFrom(
    "application/json",
    "PrivateToken token=AAAA",
    'PrivateToken token=""',
    "__Host-blindgate-age=a.b.c",
  ),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 5 });

const mutatedToken = fc
  .tuple(fc.nat({ max: 353 }), fc.integer({ min: 1, max: 255 }), fc.boolean())
  .map(([i, x, truncate]) => {
    const t = realToken.slice();
    t[i]! ^= x;
    return truncate ? t.subarray(0, i) : t;
  });

const body = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 2 }),
  fc.record({ token: fc.oneof(fc.string({ maxLength: 500 }), fc.integer()) }).map((o) => JSON.stringify(o)),
  mutatedToken.map((t) => JSON.stringify({ token: b64(t) })),
  fc.uint8Array({ maxLength: 400 }).map((t) => JSON.stringify({ token: b64(t) })),
);

describe("gate properties", () => {
  it("handleProof answers random input with a typed 4xx only", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("POST", "GET", "PUT"), headers, body, async (method, h, b) => {
        const init: RequestInit = { method, headers: { "Content-Type": "application/json", ...h } };
        if (method !== "GET") init.body = b;
        const response = await gate.handleProof(
          new Request("https://site.example/.well-known/blindgate/proof", init),
        );
        await typed4xx(response);
      }),
      { numRuns: 300 },
    );
  });

  it("check never passes random headers, cookies or mutated tokens", async () => {
    const authorization = fc.oneof(
      headerValue,
      mutatedToken.map((t) => `PrivateToken token="${b64(t)}"`),
      fc.uint8Array({ maxLength: 400 }).map((t) => `PrivateToken token=${b64(t)}`),
    );
    await fc.assert(
      fc.asyncProperty(headers, authorization, fc.string({ maxLength: 200 }), async (h, auth, cookie) => {
        const request = new Request("https://site.example/adult", {
          headers: {
            ...h,
            Authorization: auth,
            Cookie: `__Host-blindgate-age=${cookie.replace(/[\r\n\0;]/g, "")}`,
          },
        });
        const result = await gate.check(request);
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.response.status).toBe(401);
          expect(await typed4xx(result.response)).toBe(result.error.code);
        }
      }),
      { numRuns: 300 },
    );
  });
});
