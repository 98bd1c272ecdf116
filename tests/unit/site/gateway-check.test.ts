import { GatewayClient } from "@blindgate/sdk/client";
import { GATEWAY_ERROR_CODES, GATEWAY_ERRORS, gatewayErrorAnswer } from "@blindgate/sdk/protocol/internal";
import { checkWithGateway, GateError, TOKEN_REFUSALS } from "@blindgate/sdk/site";
import { describe, expect, it } from "vitest";

/*
 * How each answer of the gateway's /v1/check maps to the gate's codes: only a well-formed 200 passes. The error
 * answers are made by the contract the gateway itself answers with (sdk/src/protocol/gateway-api.ts).
 */

function answering(status: number, body: unknown, seen: RequestInit[] = []): typeof fetch {
  return (async (_input: string | URL | Request, init?: RequestInit) => {
    if (init !== undefined) seen.push(init);
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  }) as typeof fetch;
}

const token = new Uint8Array([1, 2, 3, 250]);

async function outcome(status: number, body: unknown): Promise<string> {
  try {
    const r = await checkWithGateway({
      gateway: new GatewayClient({
        url: "https://gw.example",
        fetch: answering(status, body),
        timeoutMs: 1000,
      }),
      siteKey: "sk",
      token,
      minAge: 18,
    });
    return `ok ${r.ageOver}`;
  } catch (e) {
    if (!(e instanceof GateError)) throw e;
    return e.code;
  }
}

const ok = { valid: true, ageOver: 18, issuer: "gw.example", keyExpiresAt: "2030-01-01T00:00:00Z" };

describe("checkWithGateway", () => {
  it("sends the site key as Bearer and { token, minAge } as JSON", async () => {
    const seen: RequestInit[] = [];
    await checkWithGateway({
      gateway: new GatewayClient({
        url: "https://gw.example",
        fetch: answering(200, ok, seen),
        timeoutMs: 1000,
      }),
      siteKey: "sk",
      token,
      minAge: 18,
    });
    const [init] = seen;
    expect(new Headers(init?.headers).get("Authorization")).toBe("Bearer sk");
    expect(JSON.parse(String(init?.body))).toEqual({ token: "AQID-g", minAge: 18 });
    expect(init?.redirect).toBe("error");
  });

  it.each([
    [200, ok, "ok 18"],
    [200, { ...ok, ageOver: 21 }, "ok 21"],
    [200, { ...ok, valid: false }, "ERR_GATEWAY_UNAVAILABLE"],
    [200, { ...ok, extra: "field" }, "ERR_GATEWAY_UNAVAILABLE"],
    [200, { ...ok, ageOver: 16 }, "ERR_THRESHOLD_TOO_LOW"],
    [200, { valid: true }, "ERR_GATEWAY_UNAVAILABLE"],
    [200, "not json", "ERR_GATEWAY_UNAVAILABLE"],
    [409, { error: { code: "ERR_TOKEN_SPENT", message: "x" } }, "ERR_TOKEN_REJECTED"],
    [422, { error: { code: "ERR_TOKEN_INVALID", message: "x" } }, "ERR_INVALID_TOKEN"],
    [422, { error: { code: "ERR_TOKEN_UNKNOWN_KEY", message: "x" } }, "ERR_UNKNOWN_KEY"],
    [422, { error: { code: "ERR_TOKEN_BELOW_AGE", message: "x" } }, "ERR_THRESHOLD_TOO_LOW"],
    [400, { error: { code: "ERR_TOKEN_MALFORMED", message: "x" } }, "ERR_MALFORMED_TOKEN"],
    // a token code with a status the contract does not give it, or a code outside the contract: fail closed
    [400, { error: { code: "ERR_TOKEN_SPENT", message: "x" } }, "ERR_GATEWAY_UNAVAILABLE"],
    [409, { error: { code: "TOKEN_SPENT", message: "x" } }, "ERR_GATEWAY_UNAVAILABLE"],
    [403, { error: { code: "ERR_SITE_SUSPENDED", message: "x" } }, "ERR_GATEWAY_UNAVAILABLE"],
    [403, "", "ERR_GATEWAY_UNAVAILABLE"],
    [401, { error: { code: "UNAUTHORIZED", message: "x" } }, "ERR_GATEWAY_UNAVAILABLE"],
    [429, { error: { code: "RATE_LIMITED", message: "x" } }, "ERR_GATEWAY_UNAVAILABLE"],
    [500, "", "ERR_GATEWAY_UNAVAILABLE"],
    [502, "<html>", "ERR_GATEWAY_UNAVAILABLE"],
    [201, "", "ERR_GATEWAY_UNAVAILABLE"],
  ])("status %i with %j is %s", async (status, body, expected) => {
    expect(await outcome(status, body)).toBe(expected);
  });

  it.each(GATEWAY_ERROR_CODES)(
    "the gateway's %s is the token's refusal only when it is about the token",
    async (code) => {
      const { status, body } = gatewayErrorAnswer(code, "m");
      // The gateway's token refusals become the gate's codes for the same fault; everything else fails closed.
      const expected =
        GATEWAY_ERRORS[code].party === "token"
          ? (TOKEN_REFUSALS[code] ?? "ERR_TOKEN_REJECTED")
          : "ERR_GATEWAY_UNAVAILABLE";
      expect(await outcome(status, body)).toBe(expected);
    },
  );

  it("says plainly that the gateway refused the site key, without writing the key", async () => {
    const { status, body } = gatewayErrorAnswer("ERR_SITE_KEY_INVALID", "unknown site API key");
    const error = await checkWithGateway({
      gateway: new GatewayClient({
        url: "https://gw.example",
        fetch: answering(status, body),
        timeoutMs: 1000,
      }),
      siteKey: "site-key-s3cr3t-value",
      token,
      minAge: 18,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_GATEWAY_UNAVAILABLE", gatewayCode: "ERR_SITE_KEY_INVALID" });
    expect((error as GateError).message).toMatch(/refused this site.*siteKey/);
    expect((error as GateError).message).not.toContain("s3cr3t");
  });

  it("keeps the gateway's code on the error", async () => {
    const { status, body } = gatewayErrorAnswer("ERR_TOKEN_SPENT", "spent");
    await expect(
      checkWithGateway({
        gateway: new GatewayClient({
          url: "https://gw.example",
          fetch: answering(status, body),
          timeoutMs: 1000,
        }),
        siteKey: "sk",
        token,
        minAge: 18,
      }),
    ).rejects.toMatchObject({ code: "ERR_TOKEN_REJECTED", gatewayCode: "ERR_TOKEN_SPENT" });
  });

  it("is GATEWAY_UNAVAILABLE when fetch throws", async () => {
    const failing = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    await expect(
      checkWithGateway({
        gateway: new GatewayClient({ url: "https://gw.example", fetch: failing, timeoutMs: 10 }),
        siteKey: "sk",
        token,
        minAge: 18,
      }),
    ).rejects.toMatchObject({ code: "ERR_GATEWAY_UNAVAILABLE" });
  });
});
