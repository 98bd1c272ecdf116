import { createAgeGate } from "@blindgate/sdk/site";
import { type AgeGateEnv, honoAgeGate } from "@blindgate/sdk/site/hono";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { b64, Clock, defaultKeys, FakeGateway, fetchFor, mintToken, SECRET } from "./fixtures.js";

/* The Hono middleware on a real Hono app, requests through app.request(). */

function setup() {
  const clock = new Clock();
  const gateway = new FakeGateway("gateway.example", defaultKeys(clock));
  const gate = createAgeGate({
    issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
    minAge: 18,
    session: { secret: SECRET },
    fetch: fetchFor(gateway),
    now: clock.now,
    logger: false,
  });
  const app = new Hono<AgeGateEnv>();
  app.use(gate.proofPath, honoAgeGate(gate));
  app.use("/adult/*", honoAgeGate(gate));
  app.get("/adult/page", (c) => c.text(`over ${c.get("ageOver")}`));
  app.get("/public", (c) => c.text("open"));
  const token = () => b64(mintToken(gateway.keys.find((k) => k.ageOver === 18)!, "gateway.example"));
  return { app, token };
}

describe("honoAgeGate", () => {
  it("answers the 401 challenge on gated routes and leaves the others alone", async () => {
    const { app } = setup();
    const refused = await app.request("https://site.example/adult/page");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("WWW-Authenticate")).toMatch(/^PrivateToken /);
    expect(await refused.json()).toMatchObject({ error: { code: "ERR_AGE_REQUIRED" } });
    expect(await (await app.request("https://site.example/public")).text()).toBe("open");
  });

  it("takes a proof at the root proof path, then lets the session cookie through with c.get('ageOver')", async () => {
    const { app, token } = setup();
    const proof = await app.request("https://site.example/.well-known/blindgate/proof", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token() }),
    });
    expect(await proof.json()).toEqual({ ok: true, ageOver: 18 });
    const cookie = (proof.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    const page = await app.request("https://site.example/adult/page", { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("over 18");
  });

  it("redeems Authorization: PrivateToken and adds the cookie to the route's response", async () => {
    const { app, token } = setup();
    const page = await app.request("https://site.example/adult/page", {
      headers: { Authorization: `PrivateToken token="${token()}"` },
    });
    expect(await page.text()).toBe("over 18");
    expect(page.headers.getSetCookie()).toEqual([expect.stringMatching(/^__Host-blindgate-age=/)]);
  });
});
