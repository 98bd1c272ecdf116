import {
  exportGrantJwks,
  type GrantKey,
  generateGrantKey,
  intervalFromBirthDate,
  signGrant,
} from "@blindgate/sdk/provider";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ageOn,
  type DemoProvider,
  GRANT_TTL_SECONDS,
  startDemoProvider,
  TITLE,
} from "../../../demo/provider/server.js";

const WALLET = "http://127.0.0.1:8787";
// 2026-11-22, 13:00 UTC: a birthday counts from 12:00 UTC (every time zone has reached that date; the SDK's
// intervalFromBirthDate), so the boundaries below are whole days.
const TODAY = new Date(Date.UTC(2026, 10, 22, 13));

describe("demo provider: age arithmetic", () => {
  it.each([
    ["2008-11-22", 18],
    ["2008-11-23", 17],
    ["2013-11-22", 13],
    ["2013-11-23", 12],
    ["2005-11-22", 21],
    ["2000-02-29", 26],
  ])("born %s is %i on 2026-11-22", (birth, age) => {
    expect(ageOn(birth, TODAY)).toBe(age);
  });
  it.each(["2001-02-29", "2026-11-23", "22/11/2008", "", "1899-01-01"])("refuses %j", (birth) => {
    expect(ageOn(birth, TODAY)).toBeUndefined();
  });
});

describe("demo provider: HTTP", () => {
  let provider: DemoProvider;
  let grantKey: GrantKey;
  const recorded: string[] = [];
  beforeAll(async () => {
    grantKey = await generateGrantKey({ kid: "k1" });
    provider = await startDemoProvider({
      providerId: "demo-provider",
      issuerName: "localhost",
      walletOrigins: [WALLET],
      grantKey,
      maxTokens: 25,
      today: () => TODAY,
      record: (r) => recorded.push(`${r.method} ${r.url} ${r.body}`),
    });
  });
  afterAll(() => provider?.close());
  afterEach(() => vi.restoreAllMocks());

  const post = (fields: Record<string, string>) =>
    fetch(provider.verifyUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  const ok = { wallet_origin: WALLET, state: "state-123456" };
  const grantOf = (html: string) => /data-grant="([^"]+)"/.exec(html)?.[1];

  it("shows the stand-in form, clearly labelled, only to its wallet origins", async () => {
    const good = await fetch(`${provider.verifyUrl}?${new URLSearchParams(ok)}`);
    expect(good.status).toBe(200);
    const html = await good.text();
    expect(html).toContain(TITLE);
    expect(TITLE).toContain("a stand-in for a real age check");
    expect(html).toMatch(/<label for="birth-date">/);
    expect(html).toMatch(/<input type="date" id="birth-date"/);
    expect(html).toContain('id="provider-submit"');
    const evil = await fetch(
      `${provider.verifyUrl}?${new URLSearchParams({ ...ok, wallet_origin: "https://evil.example" })}`,
    );
    expect(evil.status).toBe(400);
    expect(await evil.text()).not.toContain("birth-date");
    // A configured origin with a path or a trailing slash is not the origin: exact match only.
    const withPath = await fetch(
      `${provider.verifyUrl}?${new URLSearchParams({ ...ok, wallet_origin: `${WALLET}/wallet/` })}`,
    );
    expect(withPath.status).toBe(400);
    const evilPost = await post({ ...ok, wallet_origin: "https://evil.example", birth_date: "1990-01-01" });
    expect(evilPost.status).toBe(400);
    expect(grantOf(await evilPost.text())).toBeUndefined();
  });

  it("puts its security headers on every answer, refusals and static files included", async () => {
    const answers = [
      await fetch(`${provider.verifyUrl}?${new URLSearchParams(ok)}`),
      await fetch(`${provider.url}/verify`),
      await fetch(`${provider.url}/provider.css`),
      await fetch(`${provider.url}/done.js`),
      await fetch(`${provider.url}/nowhere`),
      await post({ ...ok, birth_date: "1990-01-01" }),
      await post({ ...ok, birth_date: "2020-01-01" }),
    ];
    for (const res of answers) {
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      await res.arrayBuffer();
    }
  });

  it("signs a grant with exactly the SDK's claims for the interval the birth date proves", async () => {
    const res = await post({ ...ok, birth_date: "2009-01-01", band: "13-18" });
    expect(res.status).toBe(200);
    const html = await res.text();
    const grant = grantOf(html);
    expect(grant).toBeDefined();
    // the page hands the grant to the wallet's origin and state only, and holds nothing about the birth date
    expect(html).toContain(`data-origin="${WALLET}"`);
    expect(html).toContain('data-state="state-123456"');
    expect(html).not.toContain("2009");
    const claims = decodeJwt(grant as string);
    const reference = decodeJwt(
      await signGrant(grantKey, {
        issuer: "localhost",
        providerId: "demo-provider",
        ...intervalFromBirthDate("2009-01-01", TODAY, { bands: [{ from: 13, below: 18 }] }),
        maxTokens: 25,
      }),
    );
    expect(Object.keys(claims).sort()).toEqual(Object.keys(reference).sort());
    // a 17-year-old: over 16, under 18, surely under 18 until a day before the 18th birthday
    expect(Object.keys(claims).sort()).toEqual([
      "age_below",
      "age_over",
      "aud",
      "below_until",
      "exp",
      "iat",
      "iss",
      "jti",
      "max_tokens",
    ]);
    expect(claims).toMatchObject({
      iss: "demo-provider",
      aud: "localhost",
      age_over: 16,
      age_below: 18,
      below_until: reference.below_until,
      max_tokens: 25,
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(GRANT_TTL_SECONDS);
    // signed by the provider's key, as the gateway will check it with the registered JWKS
    const verified = await jwtVerify(grant as string, createLocalJWKSet(await exportGrantJwks(grantKey)), {
      audience: "localhost",
      issuer: "demo-provider",
    });
    expect(verified.protectedHeader).toMatchObject({ alg: "ES256", kid: "k1" });
    expect(decodeProtectedHeader(grant as string).kid).toBe("k1");
  });

  it("gives every grant its own jti", async () => {
    const a = grantOf(await (await post({ ...ok, birth_date: "1990-01-01" })).text());
    const b = grantOf(await (await post({ ...ok, birth_date: "1990-01-01" })).text());
    expect(decodeJwt(a as string).jti).not.toBe(decodeJwt(b as string).jti);
  });

  // TODAY is 2026-11-22: each pair is the last day below a threshold and the birthday that reaches it. Asked for a
  // band (the wallet does, for a site that asked for one), a teenager's grant also states its upper end, except the
  // day before the birthday that leaves it (the band would end before any key could be used); never unasked.
  it.each([
    ["2013-11-22", "", 13, undefined],
    ["2013-11-22", "13-16", 13, 16],
    ["2011-11-23", "13-18", 13, 18],
    ["2011-11-22", "13-16", 15, 16],
    ["2010-11-23", "13-16", 15, undefined],
    ["2010-11-22", "16-18", 16, 18],
    ["2010-11-22", "13-16", 16, undefined],
    ["2008-11-23", "13-18", 16, undefined],
    ["2008-11-22", "13-18", 18, undefined],
    ["2005-11-23", "", 18, undefined],
    ["2005-11-22", "", 21, undefined],
  ])("born %s, band %j asked: age_over %i, age_below %s", async (birth, band, ageOver, ageBelow) => {
    const res = await post({ ...ok, birth_date: birth, ...(band === "" ? {} : { band }) });
    expect(res.status).toBe(200);
    const claims = decodeJwt(grantOf(await res.text()) as string);
    expect(claims.age_over).toBe(ageOver);
    expect(claims.age_below).toBe(ageBelow);
    expect(claims.below_until === undefined).toBe(ageBelow === undefined);
  });

  it("refuses a band it cannot read, and carries an asked band through its form", async () => {
    for (const band of ["18-13", "13", "13-14", "x-y", "13-999"]) {
      expect((await post({ ...ok, birth_date: "2011-11-22", band })).status, band).toBe(400);
    }
    const form = await (
      await fetch(
        `${provider.url}/verify?${new URLSearchParams({ wallet_origin: WALLET, state: "state-123456", band: "13-18" })}`,
      )
    ).text();
    expect(form).toContain('<input type="hidden" name="band" value="13-18">');
  });

  it("refuses under 13 with a clear page, an error for the wallet and no grant", async () => {
    const young = await post({ ...ok, birth_date: "2013-11-23" });
    expect(young.status).toBe(403);
    const html = await young.text();
    expect(html).toContain('data-code="UNDER_AGE"');
    expect(html).toContain("age tokens start at 13");
    expect(grantOf(html)).toBeUndefined();
  });

  it.each([
    ["not a date", { birth_date: "not a date" }],
    ["an impossible date", { birth_date: "2007-02-29" }],
    ["a date in the future", { birth_date: "2030-01-01" }],
    ["a date before 1900", { birth_date: "1850-01-01" }],
    ["no date", {}],
    ["a short state", { state: "x", birth_date: "1990-01-01" }],
    ["a state with markup", { state: 'abc"><script>x</script>', birth_date: "1990-01-01" }],
    ["no wallet origin", { wallet_origin: "", birth_date: "1990-01-01" }],
  ])("refuses %s with a 400 and no grant", async (_, fields) => {
    const res = await post({ ...ok, ...fields });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(grantOf(html)).toBeUndefined();
    expect(html).not.toContain("<script>x");
  });

  it("answers a future, mistyped or too old date with the form again, the reason next to the field", async () => {
    for (const [birth, reason] of [
      ["2030-01-01", "That date is in the future"],
      ["1850-01-01", "after 1 January 1900"],
      ["2007-02-29", "Please enter a valid birth date"],
    ] as const) {
      const res = await post({ ...ok, birth_date: birth });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('<input type="date" id="birth-date"');
      expect(html).toContain('id="provider-submit"');
      expect(html).toContain(`value="${birth}"`);
      expect(html).toContain('aria-describedby="birth-date-error"');
      expect(html).toContain(reason);
      expect(html).toContain('name="state" value="state-123456"');
    }
    const form = await (await fetch(`${provider.verifyUrl}?${new URLSearchParams(ok)}`)).text();
    expect(form).toContain('max="2026-11-22"'); // the browser refuses a future date before it is sent
  });

  it("speaks French to a French browser, English otherwise; every page has <main> and a favicon", async () => {
    const fr = await fetch(`${provider.verifyUrl}?${new URLSearchParams(ok)}`, {
      headers: { "accept-language": "fr-CH, fr;q=0.9, en;q=0.8" },
    });
    const html = await fr.text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain("Date de naissance");
    expect(html).toContain("Vérifier mon âge");
    expect(fr.headers.get("vary")).toContain("Accept-Language");
    const de = await (
      await fetch(`${provider.verifyUrl}?${new URLSearchParams(ok)}`, {
        headers: { "accept-language": "de" },
      })
    ).text();
    expect(de).toContain('<html lang="en">');
    const youngFr = await fetch(provider.verifyUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "accept-language": "fr" },
      body: new URLSearchParams({ ...ok, birth_date: "2016-01-01" }).toString(),
    });
    expect(await youngFr.text()).toContain("les jetons d’âge commencent à 13 ans");
    for (const page of [html, de]) {
      expect(page.match(/<main>/g)).toHaveLength(1);
      expect(page).toContain('<link rel="icon" href="/favicon.svg"');
    }
    const icon = await fetch(`${provider.url}/favicon.svg`);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
  });

  it("keeps the refusal page up (no timed close) with a Close button for the wallet's window", async () => {
    const html = await (await post({ ...ok, birth_date: "2016-01-01" })).text();
    expect(html).toContain('id="provider-close"');
    const script = await (await fetch(`${provider.url}/done.js`)).text();
    expect(script).toMatch(/if \(d\.grant\) setTimeout\(\(\) => window\.close\(\), 300\)/);
    expect(script.match(/setTimeout/g)).toHaveLength(1);
  });

  it("refuses other methods and oversized bodies with a 4xx", async () => {
    const put = await fetch(`${provider.verifyUrl}?${new URLSearchParams(ok)}`, { method: "PUT", body: "x" });
    expect(put.status).toBe(405);
    const big = await post({ ...ok, birth_date: "1990-01-01", pad: "x".repeat(40_000) });
    expect(big.status).toBe(413);
  });

  it("writes nothing about the birth date or the grant to the console", async () => {
    const written: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        written.push(args.map(String).join(" "));
      });
    }
    const stdout = vi.spyOn(process.stdout, "write");
    const stderr = vi.spyOn(process.stderr, "write");
    const res = await post({ ...ok, birth_date: "1987-06-05" });
    const grant = grantOf(await res.text()) as string;
    await post({ ...ok, birth_date: "2019-06-05" });
    await post({ ...ok, birth_date: "1987-13-05" });
    const all = [
      ...written,
      ...stdout.mock.calls.map((c) => String(c[0])),
      ...stderr.mock.calls.map((c) => String(c[0])),
    ].join("\n");
    for (const secret of ["1987-06-05", "2019-06-05", "1987-13-05", grant]) expect(all).not.toContain(secret);
    // the test's own recorder did see the body: the check above looks at the right requests
    expect(recorded.some((r) => r.includes("birth_date=1987-06-05"))).toBe(true);
  });
});
