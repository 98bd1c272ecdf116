import { parseWwwAuthenticate } from "@blindgate/sdk/protocol";
import {
  type AgeGate,
  createAgeGate,
  GateError,
  type GateResult,
  type NodeRequestLike,
  toLambdaHandler,
  toNodeMiddleware,
} from "@blindgate/sdk/site";
import { type AgeGateEnv, honoAgeGate } from "@blindgate/sdk/site/hono";
import fc from "fast-check";
import { Hono } from "hono";
import { beforeEach, describe, expect, it } from "vitest";
import {
  b64,
  bandKey,
  CapturingLogger,
  Clock,
  defaultKeys,
  FakeGateway,
  fetchFor,
  mintToken,
  SECRET,
  type ThresholdKey,
} from "./fixtures.js";

/*
 * One site, several ages: gates made with `require()` share the first gate's proof endpoint, session and caches.
 * The endpoint accepts a token for any age a gate of the site asks for and records what it proved; each gate
 * opens only for what lies inside its own interval. A band gate refuses every threshold token and every adult.
 */

const SITE = "https://site.example";

let clock: Clock;
let gateway: FakeGateway;

beforeEach(() => {
  clock = new Clock();
  gateway = new FakeGateway("gateway.example", defaultKeys(clock));
});

function lobbyGate(minAge = 13, ageBelow?: number) {
  return createAgeGate({
    issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
    minAge,
    ...(ageBelow === undefined ? {} : { ageBelow }),
    session: { secret: SECRET },
    fetch: fetchFor(gateway),
    now: clock.now,
    timeoutMs: 500,
    logger: new CapturingLogger(),
    refusalPage: { walletUrl: "https://gateway.example/wallet/", browserModuleUrl: "/blindgate.js" },
  });
}

function tokenOf(age: number, below?: number): Uint8Array {
  const key = gateway.keys.find((k) => k.ageOver === age && k.ageBelow === below);
  if (key === undefined) throw new Error(`no key for ${age}`);
  return mintToken(key, gateway.issuerName);
}

function proof(token: Uint8Array): Request {
  return new Request(`${SITE}/.well-known/blindgate/proof`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: b64(token) }),
  });
}

function page(path: string, cookie = "", accept = "application/json"): Request {
  return new Request(`${SITE}${path}`, { headers: { Cookie: cookie, Accept: accept } });
}

async function cookieFrom(response: Response): Promise<string> {
  expect(response.status, await response.clone().text()).toBe(200);
  return (response.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
}

const passed = (r: GateResult) =>
  r.ok ? `ok ${r.ageOver}${r.ageBelow === undefined ? "" : `-${r.ageBelow}`}` : r.error.code;

describe("gate.require()", () => {
  it("gives gates of other ages that share the proof endpoint, and the same gate for the same age", () => {
    const lobby = lobbyGate();
    const adults = lobby.require(18);
    const teens = lobby.require({ from: 13, below: 18 });
    expect([adults.minAge, adults.ageBelow]).toEqual([18, undefined]);
    expect([teens.minAge, teens.ageBelow]).toEqual([13, 18]);
    expect(lobby.require(13)).toBe(lobby);
    expect(teens.require(18)).toBe(adults);
    expect(lobby.require({ from: 18 })).toBe(adults);
    expect(new Set([lobby.proofPath, adults.proofPath, teens.proofPath]).size).toBe(1);
  });

  it("the shared proof endpoint takes a 13+ token for the lobby; the adult room then still asks for 18", async () => {
    const lobby = lobbyGate();
    const adults = lobby.require(18);
    // Posted through the adult gate's handleProof: the endpoint is one, whichever gate mounts it.
    const answer = await adults.handleProof(proof(tokenOf(13)));
    const cookie = await cookieFrom(answer.clone());
    expect(await answer.json()).toEqual({ ok: true, ageOver: 13 });
    expect(passed(await lobby.check(page("/lobby", cookie)))).toBe("ok 13");
    expect(passed(await adults.check(page("/adults", cookie)))).toBe("ERR_AGE_REQUIRED");
  });

  it("an 18+ proof opens the lobby and the adult room, and the adult room's challenge pins the 18 key", async () => {
    const lobby = lobbyGate();
    const adults = lobby.require(18);
    const refused = await adults.check(page("/adults"));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    const [challenge] = parseWwwAuthenticate(refused.response.headers.get("WWW-Authenticate") ?? "");
    const key18 = gateway.keys.find((k) => k.ageOver === 18);
    expect(Buffer.from(challenge?.tokenKey ?? []).equals(Buffer.from(key18?.spki ?? []))).toBe(true);
    const cookie = await cookieFrom(await lobby.handleProof(proof(tokenOf(18))));
    expect(passed(await lobby.check(page("/lobby", cookie)))).toBe("ok 18");
    expect(passed(await adults.check(page("/adults", cookie)))).toBe("ok 18");
  });

  it("ends the site's one session for every gate: endSession() clears the cookie they share", async () => {
    const lobby = lobbyGate();
    const adults = lobby.require(18);
    const cookie = await cookieFrom(await lobby.handleProof(proof(tokenOf(18))));
    expect(passed(await adults.check(page("/adults", cookie)))).toBe("ok 18");
    const cleared = adults.endSession();
    expect(cleared).toBe(lobby.endSession());
    expect(cleared).toMatch(/^__Host-blindgate-age=; .*Max-Age=0/);
  });

  it("a token in Authorization answers only the gate it is sent to", async () => {
    const lobby = lobbyGate();
    const adults = lobby.require(18);
    const request = new Request(`${SITE}/adults`, {
      headers: { Authorization: `PrivateToken token="${b64(tokenOf(13))}"` },
    });
    expect(passed(await adults.check(request))).toBe("ERR_THRESHOLD_TOO_LOW");
    expect(gateway.checks).toHaveLength(0); // refused offline: the gateway never saw it
  });

  it("a proof for an age no gate of the site asks for is refused", async () => {
    const adults = lobbyGate(18);
    const answer = await adults.handleProof(proof(tokenOf(13)));
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: { code: "ERR_THRESHOLD_TOO_LOW" } });
  });

  it("fits every adapter without a cast", () => {
    const adults: AgeGate = lobbyGate().require(18);
    expect(typeof toNodeMiddleware(adults)).toBe("function");
    expect(typeof honoAgeGate(adults)).toBe("function");
    expect(typeof toLambdaHandler(adults, async () => ({ statusCode: 200 }))).toBe("function");
  });

  it("refuses any requirement that is not an age or an interval, with ERR_CONFIG, before any request", () => {
    const lobby = lobbyGate();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.integer(),
          fc.record({ from: fc.anything(), below: fc.anything() }),
          fc.record({ from: fc.integer({ min: 1, max: 150 }), below: fc.integer() }),
        ),
        (requirement) => {
          const from = typeof requirement === "number" ? requirement : requirement.from;
          const below = typeof requirement === "number" ? undefined : requirement.below;
          const valid =
            Number.isInteger(from) &&
            (from as number) >= 1 &&
            (from as number) <= 150 &&
            (below === undefined ||
              (Number.isInteger(below) && (below as number) > (from as number) && (below as number) <= 150));
          try {
            // Garbage on purpose: what a JavaScript caller (no types) might pass.
            lobby.require(requirement as Parameters<AgeGate["require"]>[0]);
            return valid;
          } catch (error) {
            return !valid && error instanceof GateError && error.code === "ERR_CONFIG";
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("a band gate (13 to 17)", () => {
  /** The gateway's default bands: 13–15, 16–17 and 13–17, each a key of its own, living a day. */
  let bands: ThresholdKey[];
  beforeEach(() => {
    const window = { notBefore: clock.seconds - 3600, notAfter: clock.seconds + 86_400 };
    bands = [bandKey(13, 16, window), bandKey(16, 18, window), bandKey(13, 18, window)];
    gateway.keys.push(...bands);
  });

  it("pins the widest band key inside it in the challenge, never a threshold key", async () => {
    const teens = lobbyGate().require({ from: 13, below: 18 });
    const refused = await teens.check(page("/teens"));
    if (refused.ok) throw new Error("no proof, no pass");
    const [challenge] = parseWwwAuthenticate(refused.response.headers.get("WWW-Authenticate") ?? "");
    const wide = bands.find((k) => k.ageOver === 13 && k.ageBelow === 18);
    expect(Buffer.from(challenge?.tokenKey ?? []).equals(Buffer.from(wide?.spki ?? []))).toBe(true);
    // A 16–17 room pins the 16–17 key: the only band inside it.
    const older = lobbyGate().require({ from: 16, below: 18 });
    const refusedOlder = await older.check(page("/older"));
    if (refusedOlder.ok) throw new Error("no proof, no pass");
    const [pinned] = parseWwwAuthenticate(refusedOlder.response.headers.get("WWW-Authenticate") ?? "");
    const k1618 = bands.find((k) => k.ageOver === 16);
    expect(Buffer.from(pinned?.tokenKey ?? []).equals(Buffer.from(k1618?.spki ?? []))).toBe(true);
  });

  it("accepts a band token inside it, asks the gateway for that band, and records the band proved", async () => {
    const lobby = lobbyGate();
    const teens = lobby.require({ from: 13, below: 18 });
    const answer = await teens.handleProof(proof(tokenOf(13, 16)));
    expect(await answer.clone().json()).toEqual({ ok: true, ageOver: 13, ageBelow: 16 });
    expect(gateway.checks.at(-1)).toMatchObject({ minAge: 13, ageBelow: 18 });
    const cookie = await cookieFrom(answer);
    expect(passed(await teens.check(page("/teens", cookie)))).toBe("ok 13-16");
    // A band inside [13, ∞) opens the lobby too, and never the adults' room.
    expect(passed(await lobby.check(page("/", cookie)))).toBe("ok 13-16");
    expect(passed(await lobby.require(18).check(page("/adults", cookie)))).toBe("ERR_AGE_REQUIRED");
  });

  it("refuses a wider band than it asks: a 13–17 token at a 16–17 room", async () => {
    const older = lobbyGate(16, 18);
    const answer = await older.handleProof(proof(tokenOf(13, 18)));
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ error: { code: "ERR_THRESHOLD_TOO_LOW" } });
    const wider = lobbyGate(13, 16);
    const refused = await wider.handleProof(proof(tokenOf(13, 18)));
    expect(await refused.json()).toMatchObject({ error: { code: "ERR_OUTSIDE_BAND" } });
    expect(gateway.checks).toHaveLength(0);
  });

  it("a band session ends with the band's key when that comes first", async () => {
    const teens = lobbyGate(13, 18);
    const short = bands.find((k) => k.ageOver === 13 && k.ageBelow === 16);
    if (short === undefined) throw new Error("no band key");
    short.notAfter = clock.seconds + 600; // the key dies in 10 minutes, before the 15-minute session would
    const answer = await teens.handleProof(proof(tokenOf(13, 16)));
    const cookie = await cookieFrom(answer.clone());
    expect(answer.headers.getSetCookie()[0]).toContain("Max-Age=600");
    clock.advance(599);
    expect(passed(await teens.check(page("/teens", cookie)))).toBe("ok 13-16");
    clock.advance(1);
    expect(passed(await teens.check(page("/teens", cookie)))).toBe("ERR_AGE_REQUIRED");
  });

  it("the gateway's own interval refusal is the gate's ERR_OUTSIDE_BAND", async () => {
    // A gateway that answers ERR_TOKEN_INTERVAL (its key data differs from the directory's): the gate fails it too.
    const teens = lobbyGate(13, 18);
    const key = bands.find((k) => k.ageOver === 13 && k.ageBelow === 16);
    if (key === undefined) throw new Error("no band key");
    const token = mintToken(key, gateway.issuerName);
    key.ageBelow = 20; // what the gateway now believes
    const answer = await teens.handleProof(proof(token));
    expect(await answer.json()).toMatchObject({ error: { code: "ERR_OUTSIDE_BAND" } });
  });

  it("tells every adapter's handler the band proved: Express's req.ageBelow, Hono's c.get, Lambda's context", async () => {
    const teens = lobbyGate(13, 18);
    const authorization = () => `PrivateToken token="${b64(tokenOf(16, 18))}"`;
    // node:http / Express
    const req: NodeRequestLike = Object.assign(
      (async function* () {
        /* no body */
      })(),
      { method: "GET", url: "/teens", headers: { host: "site.example", authorization: authorization() } },
    );
    const res = {
      statusCode: 200,
      setHeader: () => undefined,
      getHeader: () => undefined,
      end: () => undefined,
    };
    await new Promise<void>((resolve, reject) =>
      toNodeMiddleware(teens)(req, res, (error?: unknown) =>
        error === undefined ? resolve() : reject(error),
      ),
    );
    expect([req.ageOver, req.ageBelow]).toEqual([16, 18]);
    // Hono
    const app = new Hono<AgeGateEnv>();
    app.get("/teens", honoAgeGate(teens), (c) =>
      c.json({ ageOver: c.get("ageOver"), ageBelow: c.get("ageBelow") }),
    );
    const hono = await app.request("https://site.example/teens", {
      headers: { Authorization: authorization() },
    });
    expect(await hono.json()).toEqual({ ageOver: 16, ageBelow: 18 });
    // AWS Lambda
    const lambda = toLambdaHandler(teens, async (_event, _context, age) => ({
      statusCode: 200,
      body: JSON.stringify(age),
    }));
    const result = await lambda(
      {
        rawPath: "/teens",
        rawQueryString: "",
        headers: { host: "site.example", authorization: authorization() },
        requestContext: { domainName: "site.example", http: { method: "GET" } },
      },
      {},
    );
    expect(JSON.parse(result.body ?? "")).toEqual({ ageOver: 16, ageBelow: 18 });
  });

  it("refuses every threshold token at the proof endpoint: an 18+ or a 13+ token proves no upper age", async () => {
    const teens = lobbyGate(13, 18);
    for (const age of [13, 16, 18, 21]) {
      const answer = await teens.handleProof(proof(tokenOf(age)));
      expect(answer.status, String(age)).toBe(403);
      expect(await answer.json()).toMatchObject({ error: { code: "ERR_OUTSIDE_BAND" } });
    }
    expect(gateway.checks).toHaveLength(0);
  });
  it("keeps an adult's session out, and tells the person why in words, without a button (EN and FR)", async () => {
    const lobby = lobbyGate();
    const teens = lobby.require({ from: 13, below: 18 });
    const cookie = await cookieFrom(await lobby.handleProof(proof(tokenOf(18))));
    const json = await teens.check(page("/teens", cookie));
    expect(passed(json)).toBe("ERR_AGE_REQUIRED");
    const html = await teens.check(page("/teens", cookie, "text/html"));
    expect(html.ok).toBe(false);
    if (html.ok) return;
    const text = await html.response.text();
    expect(html.response.status).toBe(401);
    expect(text).toContain("only for people aged 13 to 17");
    expect(text).toContain("your age proof says you are 18 or over".replace("your", "Your"));
    expect(text).not.toContain("<button");
    const fr = await teens.check(
      new Request(`${SITE}/teens`, {
        headers: { Cookie: cookie, Accept: "text/html", "Accept-Language": "fr" },
      }),
    );
    if (fr.ok) return;
    const frText = await fr.response.text();
    expect(frText).toContain("réservé aux personnes de 13 à 17 ans");
    expect(frText).toContain("18 ans ou plus");
  });

  it("offers the button to someone whose session does not exclude the band (13+)", async () => {
    const lobby = lobbyGate();
    const teens = lobby.require({ from: 13, below: 18 });
    const cookie = await cookieFrom(await lobby.handleProof(proof(tokenOf(13))));
    const html = await teens.check(page("/teens", cookie, "text/html"));
    if (html.ok) throw new Error("a 13+ session must not open a 13–17 room");
    const text = await html.response.text();
    expect(text).toContain("<button");
    expect(text).toContain('"ageBelow":18');
  });
});
