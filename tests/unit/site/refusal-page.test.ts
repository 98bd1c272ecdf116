import { createAgeGate, prefersHtml, renderRefusalPage } from "@blindgate/sdk/site";
import { describe, expect, it } from "vitest";
import { CapturingLogger, Clock, defaultKeys, FakeGateway, fetchFor, SECRET } from "./fixtures.js";

/* The HTML refusal page: content negotiation, the button's wiring, its CSP, and JSON for everyone else. */

const NAVIGATION = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

function gateWithPage(gateway: FakeGateway, clock: Clock, browserModuleUrl = "/assets/blindgate-browser.js") {
  return createAgeGate({
    issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
    minAge: 18,
    session: { secret: SECRET },
    fetch: fetchFor(gateway),
    now: clock.now,
    logger: new CapturingLogger(),
    refusalPage: { walletUrl: "https://gateway.example/wallet/", browserModuleUrl },
  });
}

describe("refusal page", () => {
  it("answers a browser navigation with HTML and a Prove my age button, keeping status and challenge", async () => {
    const clock = new Clock();
    const gateway = new FakeGateway("gateway.example", defaultKeys(clock));
    const result = await gateWithPage(gateway, clock).check(
      new Request("https://site.example/adult", { headers: { Accept: NAVIGATION } }),
    );
    if (result.ok) throw new Error("expected a refusal");
    const { response } = result;
    expect(response.status).toBe(401);
    expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^PrivateToken challenge=/);
    expect(response.headers.get("Cache-Control")).toBe("private, no-store");
    const csp = response.headers.get("Content-Security-Policy") ?? "";
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toContain(">Prove my age</button>");
    expect(html).toContain(`<script type="module" nonce="${nonce}">`);
    expect(html).toContain('import { describeError, prove, STRINGS } from "/assets/blindgate-browser.js"');
    expect(html).toContain('"proofPath":"/.well-known/blindgate/proof"');
    expect(html).toContain('"walletUrl":"https://gateway.example/wallet/"');
    expect(html).toContain("ERR_AGE_REQUIRED");
    expect(html).toContain("people aged 18 or over");
  });

  it("speaks French to a French browser", async () => {
    const clock = new Clock();
    const gateway = new FakeGateway("gateway.example", defaultKeys(clock));
    const result = await gateWithPage(gateway, clock).check(
      new Request("https://site.example/", {
        headers: { Accept: NAVIGATION, "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8" },
      }),
    );
    if (result.ok) throw new Error("expected a refusal");
    const html = await result.response.text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain("Prouver mon âge");
  });

  it("keeps JSON for fetch(), Privacy Pass clients and API callers", async () => {
    const clock = new Clock();
    const gateway = new FakeGateway("gateway.example", defaultKeys(clock));
    const gate = gateWithPage(gateway, clock);
    for (const accept of [null, "*/*", "application/json", "application/json, text/html;q=0.5"]) {
      const headers: Record<string, string> = accept === null ? {} : { Accept: accept };
      const result = await gate.check(new Request("https://site.example/", { headers }));
      if (result.ok) throw new Error("expected a refusal");
      expect(result.response.headers.get("Content-Type")).toBe("application/json");
    }
  });

  it("is a page without the button when the check is unavailable (503)", async () => {
    const clock = new Clock();
    const gateway = new FakeGateway("gateway.example", defaultKeys(clock));
    gateway.directoryMode = "down";
    const result = await gateWithPage(gateway, clock).check(
      new Request("https://site.example/", { headers: { Accept: NAVIGATION } }),
    );
    if (result.ok) throw new Error("expected a refusal");
    expect(result.response.status).toBe(503);
    const html = await result.response.text();
    expect(html).toContain("unavailable right now");
    expect(html).not.toContain("<button");
    expect(html).not.toContain("<script");
  });

  it("cannot be broken out of: the module URL is a JS string, text is escaped", () => {
    const html = renderRefusalPage({
      minAge: 18,
      reason: "proof-required",
      status: 401,
      code: "ERR_AGE_REQUIRED",
      lang: "en",
      proofPath: "/p",
      walletUrl: "https://w.example/</script><script>alert(1)</script>",
      browserModuleUrl: "/x.js",
      nonce: "n",
    });
    expect(html).not.toContain("</script><script>");
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it.each([
    [NAVIGATION, true],
    ["text/html", true],
    ["*/*", false],
    ["application/json", false],
    ["text/html;q=0.1, application/json", false],
    ["text/html;q=0", false],
  ])("prefersHtml(%j) is %s", (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });

  it("refuses a refusal page configured with a walletUrl that is not https", () => {
    expect(() =>
      createAgeGate({
        issuers: { url: "https://gateway.example", siteKey: "k" },
        minAge: 18,
        session: { secret: SECRET },
        refusalPage: { walletUrl: "http://evil.example/", browserModuleUrl: "/b.js" },
      }),
    ).toThrow(expect.objectContaining({ code: "ERR_CONFIG" }));
  });
});
