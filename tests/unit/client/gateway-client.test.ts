import { GatewayClient, GatewayClientError, readKeyLog } from "@blindgate/sdk/client";
import { gatewayErrorAnswer } from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/*
 * The SDK's gateway client over a scripted fetch: which calls are retried and how long they wait, when paging
 * stops, and that any answer outside the contract is a GatewayClientError with a stable code, never a pass and
 * never another kind of exception.
 */

interface Seen {
  url: string;
  init: RequestInit;
}

/** A fetch that answers from a script, one entry per call (the last repeats), recording each call. */
function scripted(answers: (() => Response | Promise<Response>)[], seen: Seen[] = []): typeof fetch {
  let i = 0;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    seen.push({ url: String(input), init: init ?? {} });
    const answer = answers[Math.min(i++, answers.length - 1)];
    if (answer === undefined) throw new Error("no answer scripted");
    return answer();
  }) as typeof fetch;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

/** A client whose waits are recorded instead of slept, on a clock that the waits move. */
function client(fetchImpl: typeof fetch, extra: { timeoutMs?: number; attempts?: number } = {}) {
  let nowMs = 1_000_000;
  const waits: number[] = [];
  const gateway = new GatewayClient({
    url: "https://gw.example/",
    fetch: fetchImpl,
    now: () => nowMs,
    sleep: async (ms) => {
      waits.push(ms);
      nowMs += ms;
    },
    ...extra,
  });
  return { gateway, waits };
}

const ok = { valid: true, ageOver: 18, issuer: "gw.example", keyExpiresAt: "2030-01-01T00:00:00Z" };

describe("GatewayClient", () => {
  it("drops the trailing slash and refuses URLs with credentials, queries or other schemes", () => {
    expect(new GatewayClient({ url: "https://gw.example/base/" }).baseUrl).toBe("https://gw.example/base");
    for (const url of ["ftp://gw.example", "https://u:p@gw.example", "https://gw.example/?a=1", "nope"]) {
      expect(() => new GatewayClient({ url })).toThrow(GatewayClientError);
    }
    expect(() => new GatewayClient({ url: "https://gw.example", attempts: 0 })).toThrow(/attempts/);
  });

  it("checks with the site key as Bearer, never sends credentials or follows redirects", async () => {
    const seen: Seen[] = [];
    const { gateway } = client(scripted([() => json(200, ok)], seen));
    const answer = await gateway.check({ siteKey: "sk", token: new Uint8Array([1, 2, 3, 250]), minAge: 18 });
    expect(answer).toEqual(ok);
    const [call] = seen;
    expect(call?.url).toBe("https://gw.example/v1/check");
    expect(new Headers(call?.init.headers).get("Authorization")).toBe("Bearer sk");
    expect(JSON.parse(String(call?.init.body))).toEqual({ token: "AQID-g", minAge: 18 });
    expect(call?.init.credentials).toBe("omit");
    expect(call?.init.redirect).toBe("error");
  });

  it("never retries a check: a lost answer may have spent the token", async () => {
    const seen: Seen[] = [];
    const { gateway, waits } = client(scripted([() => json(503, {}), () => json(200, ok)], seen));
    const error = await gateway.check({ siteKey: "sk", token: "AQID", minAge: 18 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_STATUS", status: 503 });
    expect(seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("keeps the gateway's code, and says whether the refusal is the contract's own", async () => {
    const spent = gatewayErrorAnswer("ERR_TOKEN_SPENT", "used");
    const { gateway } = client(scripted([() => json(spent.status, spent.body)]));
    const error = await gateway.check({ siteKey: "sk", token: "AQID", minAge: 18 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayClientError);
    expect(error).toMatchObject({ code: "ERR_STATUS", status: 409, gatewayCode: "ERR_TOKEN_SPENT" });
    expect((error as GatewayClientError).isContractRefusal).toBe(true);
    const { gateway: wrong } = client(scripted([() => json(400, spent.body)]));
    const other = await wrong.check({ siteKey: "sk", token: "AQID", minAge: 18 }).catch((e: unknown) => e);
    expect((other as GatewayClientError).isContractRefusal).toBe(false);
  });

  it("retries a GET on 429 and 503 with growing backoff, then succeeds", async () => {
    const seen: Seen[] = [];
    const { gateway, waits } = client(
      scripted([() => json(429, {}), () => json(503, {}), () => json(200, { providers: [] })], seen),
    );
    expect(await gateway.providers()).toEqual([]);
    expect(seen).toHaveLength(3);
    expect(waits).toHaveLength(2);
    // Each delay is drawn in [half, whole] of 100 ms, then 200 ms.
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeLessThanOrEqual(200);
  });

  it("waits as long as Retry-After says, when it is within maxRetryAfterMs", async () => {
    const { gateway, waits } = client(
      scripted([() => json(429, {}, { "Retry-After": "1" }), () => json(200, { providers: [] })]),
    );
    await gateway.providers();
    expect(waits).toEqual([1000]);
  });

  it("does not wait for a Retry-After beyond maxRetryAfterMs: the throttled answer ends the call", async () => {
    const seen: Seen[] = [];
    const { gateway, waits } = client(scripted([() => json(429, {}, { "Retry-After": "3600" })], seen));
    const error = await gateway.providers().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_STATUS", status: 429, retryAfterMs: 3_600_000 });
    expect(seen).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("stops retrying when the call's time budget would run out", async () => {
    const seen: Seen[] = [];
    const { gateway } = client(scripted([() => json(503, {}, { "Retry-After": "1" })], seen), {
      timeoutMs: 1500,
    });
    await expect(gateway.providers()).rejects.toMatchObject({ code: "ERR_STATUS", status: 503 });
    expect(seen).toHaveLength(2); // the first, one wait of 1 s, the second; a second wait would pass 1.5 s
  });

  it("is ERR_UNREACHABLE when every attempt fails on the network", async () => {
    const seen: Seen[] = [];
    const failing = (async (input: string | URL | Request) => {
      seen.push({ url: String(input), init: {} });
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const { gateway } = client(failing, { attempts: 3 });
    await expect(gateway.directory()).rejects.toMatchObject({ code: "ERR_UNREACHABLE" });
    expect(seen).toHaveLength(3);
  });

  it("is undefined for a report the gateway does not have, and refuses a malformed day before any call", async () => {
    const seen: Seen[] = [];
    const { gateway } = client(
      scripted([() => json(404, gatewayErrorAnswer("ERR_NOT_FOUND", "no").body)], seen),
    );
    expect(await gateway.report("2026-01-01")).toBeUndefined();
    await expect(gateway.report("2026-01-01&x=1")).rejects.toMatchObject({ code: "ERR_CLIENT_CONFIG" });
    expect(seen.map((s) => s.url)).toEqual(["https://gw.example/v1/report?day=2026-01-01"]);
  });
});

describe("key-log paging", () => {
  it("follows next until the last page, and stops when next does not advance", async () => {
    const pages: Record<number, unknown> = {
      0: { entries: [], next: 5 },
      5: { entries: [], next: 5 }, // a gateway that would keep a reader forever
    };
    const asked: number[] = [];
    const read = await readKeyLog(0, async (from) => {
      asked.push(from);
      return { json: pages[from], cacheControl: from === 0 ? "max-age=60" : null };
    });
    expect(asked).toEqual([0, 5]);
    expect(read).toEqual({ entries: [], cacheControl: "max-age=60" });
  });

  it("asks the gateway from the given entry on, page after page", async () => {
    const seen: Seen[] = [];
    const { gateway } = client(
      scripted([() => json(200, { entries: [], next: 9 }), () => json(200, { entries: [] })], seen),
    );
    await gateway.keyLog({ from: 3 });
    expect(seen.map((s) => s.url)).toEqual([
      "https://gw.example/v1/key-log?from=3",
      "https://gw.example/v1/key-log?from=9",
    ]);
  });
});

describe("answers outside the contract", () => {
  const routes = {
    directory: (g: GatewayClient) => g.directory(),
    keyLog: (g: GatewayClient) => g.keyLog(),
    check: (g: GatewayClient) => g.check({ siteKey: "sk", token: "AQID", minAge: 18 }),
    providers: (g: GatewayClient) => g.providers(),
    report: (g: GatewayClient) => g.report("2026-01-01"),
    refill: (g: GatewayClient) => g.refill({ creditKeyId: "0".repeat(64), proof: "AA", tokens: "AA" }),
  };

  it.each(Object.keys(routes) as (keyof typeof routes)[])(
    "%s: any status and body but the contract's is a GatewayClientError with a stable code",
    async (route) => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(200, 201, 204, 400, 401, 403, 409, 422, 500, 502),
          fc.oneof(
            fc.string(),
            fc.json(),
            fc.constant(JSON.stringify(gatewayErrorAnswer("ERR_BAD_REQUEST", "x").body)),
          ),
          async (status, body) => {
            const answer = () => new Response(status === 204 ? null : body, { status });
            const { gateway } = client(scripted([answer]), { attempts: 1 });
            const outcome = await routes[route](gateway).then(
              () => "pass",
              (e: unknown) => (e instanceof GatewayClientError ? e.code : `other: ${String(e)}`),
            );
            // A 404 report is "no report"; any other answer outside the contract fails with a typed code.
            expect(["pass", "ERR_STATUS", "ERR_ANSWER"]).toContain(outcome);
            if (status !== 200) expect(outcome).toBe("ERR_STATUS");
          },
        ),
        { numRuns: 60 },
      );
    },
  );
});
