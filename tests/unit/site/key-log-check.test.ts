import { type AgeGateOptions, createAgeGate } from "@blindgate/sdk/site";
import { beforeEach, describe, expect, it } from "vitest";
import {
  b64,
  CapturingLogger,
  Clock,
  defaultKeys,
  FakeGateway,
  fakeLoggedKey,
  fetchFor,
  mintToken,
  SECRET,
  thresholdKey,
} from "./fixtures.js";

/*
 * The gate and the issuers' key logs: bounded key sets (ERR_KEY_SET), a throttled log (retries, cached copies),
 * incremental reads, and tokens of retired keys (verified against the logged SPKI, sent to one gateway only).
 */

const SITE = "https://site.example";

let clock: Clock;
let gateway: FakeGateway;
let logger: CapturingLogger;

beforeEach(() => {
  clock = new Clock();
  gateway = new FakeGateway("gateway.example", defaultKeys(clock));
  logger = new CapturingLogger();
});

function gateFor(gateways: FakeGateway[] = [gateway], extra: Partial<AgeGateOptions> = {}) {
  return createAgeGate({
    issuers: gateways.map((g) => ({ url: g.baseUrl, siteKey: g.siteKey })),
    minAge: 18,
    session: { secret: SECRET },
    fetch: fetchFor(...gateways),
    now: clock.now,
    timeoutMs: 5000,
    logger,
    ...extra,
  });
}

function keyOf(age: number, g = gateway) {
  const key = g.keys.find((k) => k.ageOver === age);
  if (key === undefined) throw new Error(`no key for ${age}`);
  return key;
}

function proof(token: Uint8Array): Request {
  return new Request(`${SITE}/.well-known/blindgate/proof`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: b64(token) }),
  });
}

async function outcome(response: Response): Promise<string> {
  const body = (await response.json()) as { ok?: boolean; error?: { code: string } };
  return body.ok === true ? "ok" : (body.error?.code ?? "?");
}

describe("bounded key sets", () => {
  it("refuses every token of a partitioning issuer: 50 concurrent keys for threshold 18, chain intact", async () => {
    for (let i = 0; i < 50; i++) {
      gateway.logOnly.push(fakeLoggedKey(i, 18, clock.seconds - 3600, clock.seconds + 7 * 86400));
    }
    const response = await gateFor().handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(response.status).toBe(403);
    expect(await outcome(response)).toBe("ERR_KEY_SET");
    expect(gateway.checks).toHaveLength(0);
    // The operator hears of it: this is the gateway misbehaving, not the visitor.
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: "error",
        message: expect.stringMatching(/ERR_KEY_SET.*51 live token keys/),
      }),
    ]);
  });

  it("refuses short key epochs, and accepts them when the site lowers minKeyEpochSeconds", async () => {
    const short = thresholdKey(18, { notBefore: clock.seconds - 60, notAfter: clock.seconds + 86400 });
    short.issueUntil = clock.seconds + 540; // a 10-minute epoch
    gateway.keys = gateway.keys.filter((k) => k.ageOver !== 18).concat(short);
    expect(await outcome(await gateFor().handleProof(proof(mintToken(short, "gateway.example"))))).toBe(
      "ERR_KEY_SET",
    );
    const lenient = gateFor([gateway], { minKeyEpochSeconds: 600 });
    expect(await outcome(await lenient.handleProof(proof(mintToken(short, "gateway.example"))))).toBe("ok");
  });

  it("accepts two live keys per threshold (current and next)", async () => {
    gateway.keys.push(
      thresholdKey(18, { notBefore: clock.seconds + 3600, notAfter: clock.seconds + 30 * 86400 }),
    );
    expect(await outcome(await gateFor().handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe(
      "ok",
    );
  });
});

describe("a throttled key log", () => {
  it("is retried with backoff: two 429s, then the proof passes", async () => {
    gateway.throttleKeyLog = 2;
    const response = await gateFor().handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(await outcome(response)).toBe("ok");
    expect(gateway.keyLogFetches).toBe(3);
  });

  it("fails closed (503) when it stays throttled, and waits no longer than Retry-After allows", async () => {
    gateway.throttleKeyLog = 100;
    const response = await gateFor().handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(response.status).toBe(503);
    expect(await outcome(response)).toBe("ERR_GATEWAY_UNAVAILABLE");
    expect(gateway.keyLogFetches).toBe(4);
    gateway.retryAfter = "3600";
    gateway.keyLogFetches = 0;
    clock.advance(31);
    const again = await gateFor().handleProof(proof(mintToken(keyOf(18), "gateway.example")));
    expect(await outcome(again)).toBe("ERR_GATEWAY_UNAVAILABLE");
    expect(gateway.keyLogFetches).toBe(1); // an hour's Retry-After is not waited for inside a request
    expect(gateway.checks).toHaveLength(0);
  });

  it("is left alone for a while after a read failed for good, instead of asked again by every request", async () => {
    gateway.throttleKeyLog = 100;
    const gate = gateFor();
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe(
      "ERR_GATEWAY_UNAVAILABLE",
    );
    const afterFirst = gateway.keyLogFetches;
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe(
      "ERR_GATEWAY_UNAVAILABLE",
    );
    expect(gateway.keyLogFetches).toBe(afterFirst); // paused: no new read
    gateway.throttleKeyLog = 0;
    clock.advance(5);
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe("ok");
  });

  it("does not matter for keys already confirmed, nor for keys a fresh copy announces", async () => {
    const gate = gateFor();
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe("ok");
    gateway.throttleKeyLog = 100;
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe("ok");
    // The 21 key was in the copy read for the 18 key: no read at all.
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(21), "gateway.example"))))).toBe("ok");
    expect(gateway.keyLogFetches).toBe(1);
  });

  it("serves a stale copy that announces the key when the refresh is throttled", async () => {
    const gate = gateFor();
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe("ok");
    clock.advance(3600); // the copy (max-age 60) is stale
    gateway.throttleKeyLog = 100;
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(21), "gateway.example"))))).toBe("ok");
    expect(gateway.keyLogFetches).toBeGreaterThan(1);
  });

  it("reads only the new entries of an append-only log", async () => {
    const gate = gateFor();
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe("ok");
    const held = (await gateway.keyLog()).length;
    clock.advance(61);
    const fresh = thresholdKey(18, { notBefore: clock.seconds + 3600, notAfter: clock.seconds + 30 * 86400 });
    gateway.logOnly.push(fresh); // appended at the end of the log
    gateway.keys.push(fresh);
    clock.advance(3600);
    expect(await outcome(await gate.handleProof(proof(mintToken(fresh, "gateway.example"))))).toBe("ok");
    expect(gateway.keyLogFroms).toEqual([0, held]);
  });
});

describe("tokens of keys no directory lists", () => {
  function retiredKey() {
    const key = thresholdKey(18, { notBefore: clock.seconds - 8 * 86400, notAfter: clock.seconds + 86400 });
    key.issueUntil = clock.seconds - 86400;
    return key;
  }

  it("a retired key's token is verified against its logged SPKI and sent only to the gateway announcing it", async () => {
    const other = new FakeGateway("other-gateway.example", defaultKeys(clock, 1));
    const retired = retiredKey();
    other.retired.push(retired);
    const gate = gateFor([gateway, other]);
    const response = await gate.handleProof(proof(mintToken(retired, "other-gateway.example")));
    expect(await outcome(response)).toBe("ok");
    expect(other.checks).toHaveLength(1);
    expect(gateway.checks).toHaveLength(0);
  });

  it("a forged token of a retired key is refused offline: no gateway sees it", async () => {
    const retired = retiredKey();
    gateway.retired.push(retired);
    const token = mintToken(retired, "gateway.example");
    token[token.length - 1]! ^= 1;
    expect(await outcome(await gateFor().handleProof(proof(token)))).toBe("ERR_INVALID_TOKEN");
    const below = thresholdKey(16, { notBefore: clock.seconds - 8 * 86400, notAfter: clock.seconds + 86400 });
    below.issueUntil = clock.seconds - 86400;
    gateway.retired.push(below);
    clock.advance(31);
    expect(await outcome(await gateFor().handleProof(proof(mintToken(below, "gateway.example"))))).toBe(
      "ERR_THRESHOLD_TOO_LOW",
    );
    expect(gateway.checks).toHaveLength(0);
  });

  it("a token of a key no log announces goes to no gateway at all", async () => {
    const other = new FakeGateway("other-gateway.example", defaultKeys(clock, 1));
    const stranger = thresholdKey(18);
    const response = await gateFor([gateway, other]).handleProof(
      proof(mintToken(stranger, "gateway.example")),
    );
    expect(response.status).toBe(403);
    expect(await outcome(response)).toBe("ERR_UNKNOWN_KEY");
    expect(gateway.checks).toHaveLength(0);
    expect(other.checks).toHaveLength(0);
  });

  it("junk key ids cost each gateway at most one log read per 30 s", async () => {
    const gate = gateFor();
    for (let i = 0; i < 5; i++) {
      const response = await gate.handleProof(proof(mintToken(thresholdKey(18), "gateway.example")));
      expect(await outcome(response)).toBe("ERR_UNKNOWN_KEY");
    }
    expect(gateway.keyLogFetches).toBe(1);
  });
});

describe("the operator's hooks", () => {
  it("onError sees refusals (not the plain 401) and a throwing hook changes nothing", async () => {
    const seen: string[] = [];
    const gate = gateFor([gateway], {
      onError: (error) => {
        seen.push(error.code);
        throw new Error("hook failure");
      },
    });
    expect((await gate.check(new Request(`${SITE}/`))).ok).toBe(false);
    const low = mintToken(keyOf(16), "gateway.example");
    expect(await outcome(await gate.handleProof(proof(low)))).toBe("ERR_THRESHOLD_TOO_LOW");
    expect(seen).toEqual(["ERR_THRESHOLD_TOO_LOW"]);
    expect(logger.lines).toEqual([]); // a visitor's refusal is not the operator's problem
  });
});

describe("bounded keys in the directory", () => {
  it("refuses tokens of a threshold the directory lists three keys for, even without a key log", async () => {
    gateway.keys.push(
      thresholdKey(18, { notBefore: clock.seconds, notAfter: clock.seconds + 86400 }),
      thresholdKey(18, { notBefore: clock.seconds, notAfter: clock.seconds + 86400 }),
    );
    const gate = createAgeGate({
      issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey, keyLog: false },
      minAge: 18,
      session: { secret: SECRET },
      fetch: fetchFor(gateway),
      now: clock.now,
      logger,
    });
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(18), "gateway.example"))))).toBe(
      "ERR_KEY_SET",
    );
    expect(await outcome(await gate.handleProof(proof(mintToken(keyOf(21), "gateway.example"))))).toBe("ok");
    expect(gateway.checks).toHaveLength(1);
  });
});
