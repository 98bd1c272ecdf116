import { formatAuthorization, type Token, toBase64Url } from "@blindgate/sdk/protocol";
import { exportGrantJwks, generateGrantKey } from "@blindgate/sdk/provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoProvider, startDemoProvider } from "../../../demo/provider/server.js";
import { type DemoSite, startDemoSite } from "../../../demo/site/server.js";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { currentKey, issue } from "../../integration/gateway/client.js";

/*
 * The demo site over HTTP, without a browser: a real local gateway, real grants from the demo provider, real
 * tokens. What a browser does (the wallet, the popup) is the end-to-end tests' job; here each gate's answers are
 * held against what the site must and must not say.
 */

const WALLET = "http://127.0.0.1:1";
const PROOF = "/.well-known/blindgate/proof";

let gateway: LocalGateway;
let provider: DemoProvider;
let site: DemoSite;
let siteKey: string;
let teenTokens: Token[] = [];
let adultTokens: Token[] = [];

/** A grant from the demo provider for a birth date, as the wallet would receive it. */
async function grantFor(birthDate: string): Promise<string> {
  const res = await fetch(provider.verifyUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ wallet_origin: WALLET, state: "unit-state-1", birth_date: birthDate }),
  });
  const grant = /data-grant="([^"]+)"/.exec(await res.text())?.[1];
  if (grant === undefined) throw new Error(`no grant: ${res.status}`);
  return grant;
}

beforeAll(async () => {
  gateway = await startLocalGateway({ wallet: false });
  const grantKey = await generateGrantKey({ kid: "unit-1" });
  provider = await startDemoProvider({
    providerId: "demo-provider",
    issuerName: gateway.issuerName,
    walletOrigins: [WALLET],
    grantKey,
  });
  await gateway.addProvider({
    id: "demo-provider",
    name: "Demo provider",
    verifyUrl: provider.verifyUrl,
    jwks: await exportGrantJwks(grantKey),
    bands: ["13-16", "16-18", "13-18"], // the demo provider vouches for teenagers' bands
  });
  siteKey = (await gateway.addSite("Demo site")).apiKey;
  site = await startDemoSite({
    gatewayUrl: gateway.url,
    issuerName: gateway.issuerName,
    siteKey,
    walletUrl: `${WALLET}/wallet/`,
  });
  const key13 = await currentKey(gateway, 13);
  const key18 = await currentKey(gateway, 18);
  const teen = await issue(gateway, await grantFor("2011-01-01"), [key13, key13, key13]);
  const adult = await issue(gateway, await grantFor("1990-01-01"), Array(6).fill(key18));
  teenTokens = teen.tokens.filter((t): t is Token => t !== null);
  adultTokens = adult.tokens.filter((t): t is Token => t !== null);
}, 120_000);

afterAll(async () => {
  await site?.close();
  await provider?.close();
  await gateway?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${site.url}${path}`, { headers, redirect: "manual" });

const proof = (token: Token | string, headers: Record<string, string> = {}) =>
  fetch(`${site.url}${PROOF}`, {
    method: "POST",
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", ...headers },
    body: JSON.stringify({ token: typeof token === "string" ? token : toBase64Url(token.encode()) }),
  });

/** The age-session cookie a response sets (name=value). */
function sessionCookie(res: Response): string {
  const cookie = res.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  expect(cookie).toMatch(/=.+/);
  return cookie;
}

describe("demo site", () => {
  it("has real tokens to work with (from the demo provider's grants, through the gateway)", () => {
    expect(teenTokens).toHaveLength(3);
    expect(adultTokens).toHaveLength(6);
  });

  it("serves an open page, the browser bundle, and its security headers on every answer", async () => {
    const home = await get("/");
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<script type="module" src="/blindgate.js">');
    const bundle = await get("/blindgate.js");
    expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
    const js = await bundle.text();
    expect(js.length).toBeGreaterThan(1000);
    expect(js).toContain("age-gate");
    expect(js).not.toMatch(/from\s*"node:|require\(/);
    const answers = [home, bundle, await get("/adults"), await get("/nowhere"), await get("/mixed/section")];
    answers.push(await proof("AAAA"));
    for (const res of answers) {
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("content-security-policy")).not.toContain("unsafe-inline");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
    expect((await get("/nowhere")).status).toBe(404);
  });

  it.each([
    ["/lobby", 13],
    ["/adults", 18],
  ])(
    "asks for a proof at %s: 401 with the PrivateToken challenge and a 'Prove my age' button",
    async (path, minAge) => {
      const res = await get(path);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^PrivateToken challenge=/);
      const html = await res.text();
      expect(html).toContain(`data-prove="${minAge}"`);
      expect(html).toContain(`data-wallet="${WALLET}/wallet/"`);
      expect(html).toContain(">Prove my age</button>");
      expect(html).not.toContain('id="learned"');
    },
  );

  it("speaks the browser's language (French or English), with <main> and a favicon on every page", async () => {
    for (const path of ["/", "/lobby", "/teens", "/adults", "/mixed", "/nowhere"]) {
      const fr = await (await get(path, { "accept-language": "fr-FR,fr;q=0.9,en;q=0.5" })).text();
      expect(fr).toContain('<html lang="fr">');
      expect(fr.match(/<main>/g)).toHaveLength(1);
      expect(fr).toContain('<link rel="icon" href="/favicon.svg"');
      const en = await (await get(path, { "accept-language": "de-DE, en;q=0.3" })).text();
      expect(en).toContain('<html lang="en">');
    }
    expect(await (await get("/adults", { "accept-language": "fr" })).text()).toContain(
      ">Prouver mon âge</button>",
    );
    expect((await get("/favicon.svg")).headers.get("content-type")).toBe("image/svg+xml");
  });

  it("tells <age-gate> when there is no age session, so it does not ask for its section first", async () => {
    expect(await (await get("/mixed")).text()).toContain('session="none"');
    const res = await proof(adultTokens[4] as Token);
    expect(res.status).toBe(200);
    const withSession = await (await get("/mixed", { cookie: sessionCookie(res) })).text();
    expect(withSession).toContain('<age-gate min-age="18" src="/mixed/section"');
    expect(withSession).not.toContain('session="none"');
  });

  it("keeps the mixed page open and its section closed without a session", async () => {
    const page = await (await get("/mixed")).text();
    expect(page).toContain('<age-gate min-age="18" src="/mixed/section"');
    expect(page).not.toContain("adults-only section");
    const section = await get("/mixed/section");
    expect(section.status).toBe(401);
    expect(section.headers.get("www-authenticate")).toMatch(/^PrivateToken /);
    expect(await section.text()).not.toContain("adults-only");
  });

  it("redirects the first version's links to the rooms that replaced them", async () => {
    for (const [from, to] of [
      ["/teen", "/lobby"],
      ["/adult", "/adults"],
    ]) {
      const res = await get(from as string);
      expect(res.status).toBe(308);
      expect(res.headers.get("location")).toBe(to);
    }
  });

  it("asks for 13 to 17 at the teens' room, in words that say adults cannot enter and what the site learns", async () => {
    const res = await get("/teens");
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('data-prove="13" data-prove-below="18"');
    expect(html).toContain("adults cannot enter");
    expect(html).toContain("this site learns only “13 to 17”");
    const fr = await (await get("/teens", { "accept-language": "fr" })).text();
    expect(fr).toContain("les adultes ne peuvent pas entrer");
    expect(fr).toContain("« entre 13 et 17 ans »"); // no-break spaces inside French quotes
  });

  it("keeps an adult out of the teens' room and says why in words, with no button to try again", async () => {
    const res = await proof(adultTokens[5] as Token);
    const cookie = sessionCookie(res);
    expect((await get("/adults", { cookie })).status).toBe(200);
    const teens = await get("/teens", { cookie });
    expect(teens.status).toBe(401);
    const html = await teens.text();
    expect(html).toContain('id="outside-room"');
    expect(html).toContain("“over 18”: outside this room’s ages, 13 to 17");
    expect(html).not.toContain("data-prove");
    expect(html).not.toContain('id="learned"');
  });

  it("lets a 13 token into the lobby, showing 'over 13' only, and not into the adults' room", async () => {
    const res = await proof(teenTokens[0] as Token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, ageOver: 13 });
    const cookie = sessionCookie(res);
    const lobby = await get("/lobby", { cookie });
    expect(lobby.status).toBe(200);
    const learned = /<p class="learned" id="learned">(.*?)<\/p>/.exec(await lobby.text())?.[1] ?? "";
    expect(learned).toContain("<strong>over 13</strong>");
    // "13 or older" proves no upper bound: the teens' room asks for its own proof
    const teens = await get("/teens", { cookie });
    expect(teens.status).toBe(401);
    expect(await teens.text()).toContain('data-prove-below="18"');
    const adult = await get("/adults", { cookie });
    expect(adult.status).toBe(401);
    // a valid session for a lower threshold is kept, not deleted: it still opens the teen room
    expect(adult.headers.getSetCookie()).toEqual([]);
    expect((await get("/mixed/section", { cookie })).status).toBe(401);
  });

  it("lets an 18 token into the lobby, the adults' room and the mixed page's section", async () => {
    const res = await proof(adultTokens[0] as Token);
    expect(await res.json()).toEqual({ ok: true, ageOver: 18 });
    const cookie = sessionCookie(res);
    const adult = await get("/adults", { cookie });
    expect(adult.status).toBe(200);
    expect(await adult.text()).toContain("<strong>over 18</strong>");
    expect((await get("/lobby", { cookie })).status).toBe(200);
    const section = await get("/mixed/section", { cookie });
    expect(section.status).toBe(200);
    const html = await section.text();
    expect(html).toContain('<section id="adult-section">');
    expect(html).toContain("<strong>over 18</strong>");
  });

  it("refuses a replayed token, at the proof endpoint and in Authorization", async () => {
    const token = adultTokens[1] as Token;
    expect((await proof(token)).status).toBe(200);
    const again = await proof(token);
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
    expect(again.headers.getSetCookie()).toEqual([]);
    const header = await get("/adults", { authorization: formatAuthorization(token.encode()) });
    expect(header.status).toBe(401);
    expect(await header.text()).not.toContain('id="learned"');
  });

  it("opens the adults' room for a standard Privacy Pass client (Authorization: PrivateToken), once", async () => {
    const authorization = formatAuthorization((adultTokens[2] as Token).encode());
    const first = await get("/adults", { authorization });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain("over 18");
    const cookie = sessionCookie(first);
    expect((await get("/adults", { cookie })).status).toBe(200);
    expect((await get("/adults", { authorization })).status).toBe(401);
  });

  it("refuses cross-site posts, garbage and other methods at the proof endpoint, with a 4xx", async () => {
    const cross = await proof(adultTokens[3] as Token, { "sec-fetch-site": "cross-site" });
    expect(cross.status).toBe(403);
    // the token was not spent by the refused post: it still opens a session
    expect((await proof(adultTokens[3] as Token)).status).toBe(200);
    for (const res of [
      await proof("not base64!"),
      await proof(toBase64Url(new Uint8Array(354))),
      await fetch(`${site.url}${PROOF}`, {
        method: "POST",
        body: "{",
        headers: { "content-type": "text/plain" },
      }),
      await fetch(`${site.url}${PROOF}`),
      await fetch(`${site.url}${PROOF}`, { method: "POST", body: "x".repeat(20_000) }),
    ]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    expect((await fetch(`${site.url}/adults`, { method: "POST", body: "x" })).status).toBe(405);
  });

  it("refuses a session cookie edited to claim a higher age, and deletes it", async () => {
    const res = await proof(teenTokens[1] as Token);
    const cookie = sessionCookie(res);
    const [name, jwt] = cookie.split("=") as [string, string];
    const [header, payload, signature] = jwt.split(".") as [string, string, string];
    const claims = Buffer.from(payload, "base64url").toString("utf8");
    const forged = claims.replace(/:13([,}])/, ":21$1");
    expect(forged).not.toBe(claims);
    const tampered = `${name}=${header}.${Buffer.from(forged).toString("base64url")}.${signature}`;
    for (const path of ["/lobby", "/adults"]) {
      const answer = await get(path, { cookie: tampered });
      expect(answer.status).toBe(401);
      expect((answer.headers.getSetCookie()[0] ?? "").split(";")[0]).toBe(`${name}=`);
    }
  });
});
