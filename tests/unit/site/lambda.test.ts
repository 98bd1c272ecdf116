import { parseWwwAuthenticate } from "@blindgate/sdk/protocol";
import { createAgeGate, type LambdaHttpEvent, toLambdaHandler } from "@blindgate/sdk/site";
import { beforeEach, describe, expect, it } from "vitest";
import { b64, Clock, defaultKeys, FakeGateway, fetchFor, mintToken, SECRET } from "./fixtures.js";

let gateway: FakeGateway;
let gate: ReturnType<typeof createAgeGate>;

beforeEach(() => {
  const clock = new Clock();
  gateway = new FakeGateway("gateway.example", defaultKeys(clock));
  gate = createAgeGate({
    issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
    minAge: 18,
    session: { secret: SECRET },
    logger: false,
    fetch: fetchFor(gateway),
    now: clock.now,
  });
});

function event(path: string, extra: Partial<LambdaHttpEvent> & { method?: string } = {}): LambdaHttpEvent {
  const { method = "GET", ...rest } = extra;
  return {
    rawPath: path,
    rawQueryString: "",
    headers: { host: "site.example" },
    requestContext: { domainName: "site.example", http: { method } },
    ...rest,
  };
}

function token(): string {
  return b64(mintToken(gateway.keys.find((k) => k.ageOver === 18)!, "gateway.example"));
}

const handler = async (_event: LambdaHttpEvent, _context: unknown, { ageOver }: { ageOver: number }) => ({
  statusCode: 200,
  body: `over ${ageOver}`,
});

describe("toLambdaHandler (API Gateway v2)", () => {
  it("answers an ungated event with the 401 challenge", async () => {
    const result = await toLambdaHandler(gate, handler)(event("/adult"), {});
    expect(result.statusCode).toBe(401);
    expect(parseWwwAuthenticate(result.headers?.["www-authenticate"] ?? "")).toHaveLength(1);
    expect(JSON.parse(result.body ?? "")).toMatchObject({ error: { code: "ERR_AGE_REQUIRED" } });
  });

  it("takes a base64-encoded proof, returns the cookie in `cookies`, and passes the cookie afterwards", async () => {
    const wrapped = toLambdaHandler(gate, handler);
    const proof = await wrapped(
      event("/.well-known/blindgate/proof", {
        method: "POST",
        headers: { host: "site.example", "content-type": "application/json" },
        body: Buffer.from(JSON.stringify({ token: token() })).toString("base64"),
        isBase64Encoded: true,
      }),
      {},
    );
    expect(proof.statusCode).toBe(200);
    expect(JSON.parse(proof.body ?? "")).toEqual({ ok: true, ageOver: 18 });
    expect(proof.headers?.["set-cookie"]).toBeUndefined();
    const [cookie] = proof.cookies ?? [];
    expect(cookie).toMatch(/^__Host-blindgate-age=.+; HttpOnly; Secure; SameSite=Lax; Max-Age=900$/);
    const page = await wrapped(event("/adult", { cookies: [(cookie ?? "").split(";")[0] ?? ""] }), {});
    expect(page).toEqual({ statusCode: 200, body: "over 18" });
  });

  it("adds the session cookie to the handler's result when a PrivateToken header is redeemed", async () => {
    const page = await toLambdaHandler(gate, async () => ({
      statusCode: 200,
      body: "ok",
      cookies: ["theme=dark"],
    }))(
      event("/adult", { headers: { host: "site.example", authorization: `PrivateToken token=${token()}` } }),
      {},
    );
    expect(page.statusCode).toBe(200);
    expect(page.cookies?.[0]).toBe("theme=dark");
    expect(page.cookies?.[1]).toMatch(/^__Host-blindgate-age=/);
  });

  it("answers a broken base64 body with BAD_REQUEST", async () => {
    const result = await toLambdaHandler(gate, handler)(
      event("/.well-known/blindgate/proof", { method: "POST", body: "!!!", isBase64Encoded: true }),
      {},
    );
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body ?? "")).toMatchObject({ error: { code: "ERR_BAD_REQUEST" } });
  });

  it("fails closed with 503 when the gateway is down", async () => {
    gateway.directoryMode = "500";
    const result = await toLambdaHandler(gate, handler)(event("/adult"), {});
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body ?? "")).toMatchObject({ error: { code: "ERR_GATEWAY_UNAVAILABLE" } });
  });
});
