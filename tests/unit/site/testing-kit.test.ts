import { GATEWAY_ERRORS, GATEWAY_PATHS, isGatewayErrorCode } from "@blindgate/sdk/protocol";
import { createAgeGate, GateError } from "@blindgate/sdk/site";
import { createTestIssuer, type TestIssuer } from "@blindgate/sdk/testing";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { CapturingLogger, Clock, defaultKeys, FakeGateway, fetchFor, SECRET } from "./fixtures.js";

/*
 * @blindgate/sdk/testing: a site tests its gate without a gateway — and no gate outside a test trusts the kit's
 * issuer or its tokens.
 */

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer({ ages: [13, 16, 18, { from: 13, below: 16 }] });
});

function testGate(minAge = 18) {
  return createAgeGate({ ...issuer.gateOptions(), minAge, session: { secret: SECRET }, logger: false });
}

const SITE = "https://site.test";

describe("a gate created for tests", () => {
  it("passes a minted token of the age asked, once; refuses a lower age and a replay", async () => {
    const handler = testGate().protect((_request, { ageOver }) => new Response(`over ${ageOver}`));
    const authorization = await issuer.authorization(18);
    const first = await handler(new Request(`${SITE}/`, { headers: { Authorization: authorization } }));
    expect(first.status).toBe(200);
    expect(await first.text()).toBe("over 18");
    expect(first.headers.getSetCookie()).toHaveLength(1);
    const replay = await handler(new Request(`${SITE}/`, { headers: { Authorization: authorization } }));
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: { code: "ERR_TOKEN_REJECTED" } });
    const young = await handler(
      new Request(`${SITE}/`, { headers: { Authorization: await issuer.authorization(16) } }),
    );
    expect(await young.json()).toMatchObject({ error: { code: "ERR_THRESHOLD_TOO_LOW" } });
    expect(issuer.checked).toHaveLength(1); // the refusals above never reached its check route a second time
  });

  it("serves the proof endpoint: the browser part's request sets a session the gate then honours", async () => {
    const lobby = testGate(13);
    const adults = lobby.require(18);
    const proof = await adults.handleProof(await issuer.proofRequest(`${SITE}${adults.proofPath}`, 16));
    expect(await proof.clone().json()).toEqual({ ok: true, ageOver: 16 });
    const cookie = (proof.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    const request = () => new Request(`${SITE}/`, { headers: { Cookie: cookie } });
    expect((await lobby.check(request())).ok).toBe(true);
    expect((await adults.check(request())).ok).toBe(false);
  });

  it("mints band tokens: a teen room opens for a 13–15 token and refuses an 18+ one", async () => {
    const teens = createAgeGate({
      ...issuer.gateOptions(),
      minAge: 13,
      ageBelow: 18,
      session: { secret: SECRET },
      logger: false,
    });
    const room = teens.protect((_request, age) => Response.json(age));
    const teen = await room(
      new Request(`${SITE}/`, {
        headers: { Authorization: await issuer.authorization({ from: 13, below: 16 }) },
      }),
    );
    expect(await teen.json()).toEqual({ ageOver: 13, ageBelow: 16 });
    const adult = await room(
      new Request(`${SITE}/`, { headers: { Authorization: await issuer.authorization(18) } }),
    );
    expect(await adult.json()).toMatchObject({ error: { code: "ERR_OUTSIDE_BAND" } });
  });

  it("has no key for an age it was not made with, and says so", async () => {
    await expect(issuer.mint(21)).rejects.toThrow(/no key for age 21\+/);
    await expect(issuer.mint({ from: 16, below: 18 })).rejects.toThrow(/no key for age 16–17/);
    await expect(createTestIssuer({ ages: [{ from: 18, below: 13 }] })).rejects.toThrow(RangeError);
  });

  it("answers garbage at its check route with the contract's 4xx codes, never a pass", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json(), fc.constant('{"token":"AAAA","minAge":18}')),
        async (body) => {
          const response = await issuer.fetch(`${issuer.url}${GATEWAY_PATHS.check}`, {
            method: "POST",
            headers: { Authorization: `Bearer ${issuer.siteKey}`, "Content-Type": "application/json" },
            body,
          });
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          const { error } = (await response.json()) as { error: { code: string } };
          expect(isGatewayErrorCode(error.code) && GATEWAY_ERRORS[error.code].status).toBe(response.status);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("outside a test", () => {
  it("a gate not created for tests refuses the test issuer at start-up", () => {
    const { issuers, fetch } = issuer.gateOptions();
    const make = () =>
      createAgeGate({ issuers, fetch, minAge: 18, session: { secret: SECRET }, logger: false });
    expect(make).toThrow(GateError);
    expect(make).toThrow(/test issuer/);
    try {
      make();
    } catch (error) {
      expect((error as GateError).code).toBe("ERR_CONFIG");
    }
  });

  it("a production gate refuses a minted token as an unknown key, and its gateway never sees it", async () => {
    const clock = new Clock();
    const gateway = new FakeGateway("gateway.example", defaultKeys(clock));
    const gate = createAgeGate({
      issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
      minAge: 18,
      session: { secret: SECRET },
      fetch: fetchFor(gateway),
      now: clock.now,
      logger: new CapturingLogger(),
    });
    const result = await gate.check(
      new Request(`${SITE}/`, { headers: { Authorization: await issuer.authorization(18) } }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("ERR_UNKNOWN_KEY");
    expect(gateway.checks).toHaveLength(0);
  });
});
