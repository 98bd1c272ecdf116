import { generateGrantKey } from "@blindgate/sdk/provider";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ageOn,
  type DemoProvider,
  highestThreshold,
  startDemoProvider,
} from "../../../demo/provider/server.js";

const WALLET = "http://127.0.0.1:8787";
const TODAY = new Date(Date.UTC(2026, 10, 22)); // 2026-11-22

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
  it.each([
    [12, undefined],
    [13, 13],
    [14, 13],
    [15, 15],
    [17, 16],
    [18, 18],
    [20, 18],
    [21, 21],
    [90, 21],
  ])("age %i meets threshold %s", (age, threshold) => {
    expect(highestThreshold(age)).toBe(threshold);
  });
});

describe("demo provider: HTTP", () => {
  let provider: DemoProvider;
  const recorded: string[] = [];
  beforeAll(async () => {
    provider = await startDemoProvider({
      providerId: "demo-provider",
      issuerName: "localhost",
      walletOrigins: [WALLET],
      grantKey: await generateGrantKey({ kid: "k1" }),
      today: () => TODAY,
      record: (r) => recorded.push(`${r.method} ${r.url} ${r.body}`),
    });
  });
  afterAll(() => provider?.close());

  const post = (fields: Record<string, string>) =>
    fetch(provider.verifyUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  const ok = { wallet_origin: WALLET, state: "state-123456" };

  it("shows the stand-in form only to its wallet origins", async () => {
    const good = await fetch(`${provider.verifyUrl}?${new URLSearchParams(ok)}`);
    expect(good.status).toBe(200);
    const html = await good.text();
    expect(html).toContain("stand-in for a real age check");
    expect(html).toContain('id="birth-date"');
    expect(good.headers.get("referrer-policy")).toBe("no-referrer");
    expect(good.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const evil = await fetch(
      `${provider.verifyUrl}?${new URLSearchParams({ ...ok, wallet_origin: "https://evil.example" })}`,
    );
    expect(evil.status).toBe(400);
    expect(
      (await post({ ...ok, wallet_origin: "https://evil.example", birth_date: "1990-01-01" })).status,
    ).toBe(400);
  });

  it("signs a grant with exactly the SDK's claims for the highest threshold met", async () => {
    const res = await post({ ...ok, birth_date: "2009-01-01" });
    expect(res.status).toBe(200);
    const grant = /data-grant="([^"]+)"/.exec(await res.text())?.[1];
    expect(grant).toBeDefined();
    const claims = decodeJwt(grant as string);
    expect(Object.keys(claims).sort()).toEqual(["age_over", "aud", "exp", "iat", "iss", "jti", "max_tokens"]);
    expect(claims).toMatchObject({ iss: "demo-provider", aud: "localhost", age_over: 16 });
  });

  it("refuses under 13, malformed dates and a bad state, with a 4xx", async () => {
    const young = await post({ ...ok, birth_date: "2015-06-01" });
    expect(young.status).toBe(403);
    expect(await young.text()).toContain('data-code="UNDER_AGE"');
    expect((await post({ ...ok, birth_date: "not a date" })).status).toBe(400);
    expect((await post({ ...ok, state: "x", birth_date: "1990-01-01" })).status).toBe(400);
    expect((await fetch(`${provider.url}/verify`, { method: "PUT", body: "x" })).status).toBe(400);
  });
});
