import { ScanCommand } from "@blindgate/aws-json/dynamodb";
import { encodeBatchRequest, GENERIC_BATCH_REQUEST_MEDIA_TYPE, toBase64Url } from "@blindgate/sdk/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { HTTP_ROUTES } from "../../../functions/routes.js";
import { dynamoClient } from "../../../functions/runtime.js";
import { type DynamoServer, startDynalite } from "../../support/dynamo.js";
import { makeGrant, registerProvider, type TestProvider } from "./client.js";

/*
 * Garbage into every route — random bodies, media types, methods and Authorization headers, and near-misses
 * built from valid parts — only ever gets a 4xx with a JSON error code: never a 5xx, never a write.
 */

/** Every route of the route table (the one the local server and the CDK stack read), and one that is none. */
const ROUTES = [...Object.values(HTTP_ROUTES).map((r) => r.path), "/v1/nothing-here"];
const PUBLIC_GETS = Object.values(HTTP_ROUTES)
  .filter((r) => r.method === "GET")
  .map((r) => r.path);

describe("bad input into every route", () => {
  let server: DynamoServer;
  let gateway: LocalGateway;
  let provider: TestProvider;
  let apiKey: string;

  beforeAll(async () => {
    server = await startDynalite();
    gateway = await startLocalGateway({ dynamoEndpoint: server.endpoint, wallet: false, thresholds: [18] });
    provider = await registerProvider(gateway, "prov-fuzz");
    apiKey = (await gateway.addSite("Fuzz site")).apiKey;
  });
  afterAll(async () => {
    await gateway?.close();
    await server?.stop();
  });

  async function writes(): Promise<string> {
    const client = dynamoClient(server.endpoint);
    const counts: unknown[] = [];
    for (const table of Object.values(gateway.config.tables)) {
      const items = (await client.send(new ScanCommand({ TableName: table }))).Items ?? [];
      counts.push(items.map((i) => JSON.stringify(i)).sort());
    }
    client.destroy();
    return JSON.stringify(counts);
  }

  const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH");
  const mediaType = fc.constantFrom(
    "application/json",
    "application/private-token-request",
    GENERIC_BATCH_REQUEST_MEDIA_TYPE,
    "text/plain",
    "application/json; charset=utf-8",
  );
  const bytes = fc.uint8Array({ maxLength: 1200 });

  it("answers random requests with a 4xx and a JSON error code, and writes nothing", async () => {
    const before = await writes();
    const fivexx: string[] = [];
    const grant = await makeGrant(gateway, provider, { max_tokens: 100 });
    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.constant(`Bearer ${apiKey}`),
      fc.constant(`Bearer ${grant}`),
      fc.string({ maxLength: 200 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, "")}`),
      fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, "")),
    );
    const body = fc.oneof(
      bytes,
      // near-misses: a well-formed batch of random TokenRequests, then cut short or extended (never well-formed:
      // a whole random TokenRequest for a live key could rightly be signed)
      fc
        .tuple(
          fc.array(fc.uint8Array({ minLength: 257, maxLength: 257 }), { minLength: 1, maxLength: 3 }),
          fc.oneof(fc.integer({ min: -20, max: -1 }), fc.uint8Array({ minLength: 1, maxLength: 20 })),
        )
        .map(([bodies, change]) => {
          const whole = encodeBatchRequest(
            bodies.map((b) => ({ tokenType: 2, request: new Uint8Array([0, 2, ...b]) })),
          );
          return typeof change === "number"
            ? whole.subarray(0, whole.length + change)
            : new Uint8Array([...whole, ...change]);
        }),
      fc
        .record({
          token: fc.oneof(
            fc.string(),
            bytes.map((b) => toBase64Url(b)),
          ),
          minAge: fc.anything(),
          ageBelow: fc.oneof(fc.anything(), fc.integer({ min: -5, max: 200 })),
        })
        .map((o) => new TextEncoder().encode(JSON.stringify(o))),
      fc.json().map((j) => new TextEncoder().encode(j)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        method,
        mediaType,
        authorization,
        body,
        async (route, m, type, auth, b) => {
          const res = await fetch(`${gateway.url}${route}`, {
            method: m,
            headers: { "content-type": type, ...(auth === undefined ? {} : { authorization: auth }) },
            ...(m === "GET" ? {} : { body: Buffer.from(b) }),
          });
          const text = await res.text();
          if (res.status >= 200 && res.status < 300) {
            // only the public GET routes may succeed on garbage
            expect(m).toBe("GET");
            expect(PUBLIC_GETS).toContain(route);
            return;
          }
          if (res.status >= 500) fivexx.push(`${m} ${route} ${res.status}`);
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          const code = (JSON.parse(text) as { error: { code: string } }).error.code;
          expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
        },
      ),
      { numRuns: 400 },
    );
    expect(fivexx).toEqual([]);
    expect(await writes()).toBe(before);
  });

  it("refuses grants with random band claims (age_below, below_until) with a 4xx code, writing nothing", async () => {
    const before = await writes();
    const claim = fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: -3, max: 200 }),
      fc.integer().map((n) => n * 86_400),
      fc.anything(),
    );
    // random TokenRequests: no request names a live key, so none may be signed whatever the claims
    const body = fc
      .array(fc.uint8Array({ minLength: 257, maxLength: 257 }), { minLength: 1, maxLength: 3 })
      .map((bodies) =>
        encodeBatchRequest(bodies.map((b) => ({ tokenType: 2, request: new Uint8Array([0, 2, ...b]) }))),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        claim,
        claim,
        body,
        async (ageOver, ageBelow, belowUntil, b) => {
          const grant = await makeGrant(gateway, provider, {
            age_over: ageOver,
            age_below: ageBelow,
            below_until: belowUntil,
          });
          for (const [path, type, payload] of [
            ["/token-request", GENERIC_BATCH_REQUEST_MEDIA_TYPE, Buffer.from(b)],
            [
              "/v1/credential",
              "application/json",
              JSON.stringify({ credit: toBase64Url(b.subarray(0, 64)) }),
            ],
          ] as const) {
            const res = await fetch(`${gateway.url}${path}`, {
              method: "POST",
              headers: { "content-type": type, authorization: `Bearer ${grant}` },
              body: payload,
            });
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(res.status).toBeLessThan(500);
            expect((JSON.parse(await res.text()) as { error: { code: string } }).error.code).toMatch(
              /^ERR_[A-Z0-9_]+$/,
            );
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(await writes()).toBe(before);
  });
});
