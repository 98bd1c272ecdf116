import {
  createSessionCodec,
  estimatedEntropyBits,
  GateError,
  MIN_SECRET_ENTROPY_BITS,
} from "@blindgate/sdk/site";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { describe, expect, it, vi } from "vitest";
import { SECRET } from "./fixtures.js";

const NOW = 1_800_000_000_000;

function cookieValue(setCookie: string): string {
  const first = setCookie.split(";")[0] ?? "";
  return first.slice(first.indexOf("=") + 1);
}

describe("age session cookie", () => {
  it("holds only the threshold and an expiry, signed HS256", async () => {
    const session = createSessionCodec({ secret: SECRET });
    const setCookie = await session.issue(18, NOW);
    const jwt = cookieValue(setCookie);
    expect(decodeJwt(jwt)).toEqual({ age_over: 18, exp: NOW / 1000 + 900 });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "HS256" });
  });

  it("is HttpOnly, Secure, SameSite=Lax, Path=/, __Host- prefixed, 15 minutes by default", async () => {
    const session = createSessionCodec({ secret: SECRET });
    const setCookie = await session.issue(18, NOW);
    expect(setCookie.startsWith("__Host-blindgate-age=")).toBe(true);
    const attributes = setCookie.split("; ").slice(1);
    expect(attributes).toEqual(["Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=900"]);
    expect(setCookie).not.toMatch(/Domain=/i);
  });

  it("reads back its own cookie and refuses it once expired", async () => {
    const session = createSessionCodec({ secret: SECRET, maxAgeSeconds: 60 });
    const cookie = `other=1; ${(await session.issue(18, NOW)).split(";")[0]}; more=2`;
    expect(await session.read(cookie, NOW)).toEqual({ from: 18 });
    expect(await session.read(cookie, NOW + 59_000)).toEqual({ from: 18 });
    expect(await session.read(cookie, NOW + 60_000)).toBeUndefined();
    expect(await session.read(cookie, NOW + 3_600_000)).toBeUndefined();
  });

  it("refuses a tampered cookie: any changed character of header, payload or signature", async () => {
    const session = createSessionCodec({ secret: SECRET });
    const jwt = cookieValue(await session.issue(16, NOW));
    for (let i = 0; i < jwt.length; i += 7) {
      if (jwt[i] === ".") continue;
      const flipped = `${jwt.slice(0, i)}${jwt[i] === "A" ? "B" : "A"}${jwt.slice(i + 1)}`;
      expect(await session.read(`${session.cookieName}=${flipped}`, NOW)).toBeUndefined();
    }
    // A forged payload claiming a higher threshold, with the original signature.
    const [h, , s] = jwt.split(".");
    const forged = Buffer.from(JSON.stringify({ age_over: 21, exp: NOW / 1000 + 900 })).toString("base64url");
    expect(await session.read(`${session.cookieName}=${h}.${forged}.${s}`, NOW)).toBeUndefined();
  });

  it("refuses a cookie signed with another secret, alg none, or carrying any extra claim", async () => {
    const session = createSessionCodec({ secret: SECRET });
    const key = new TextEncoder().encode(SECRET);
    const other = await new SignJWT({ age_over: 18 })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(NOW / 1000 + 60)
      .sign(new TextEncoder().encode("another-secret-that-is-32-bytes-long!!"));
    expect(await session.read(`${session.cookieName}=${other}`, NOW)).toBeUndefined();
    const extra = await new SignJWT({ age_over: 18, sub: "person-1" })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(NOW / 1000 + 60)
      .sign(key);
    expect(await session.read(`${session.cookieName}=${extra}`, NOW)).toBeUndefined();
    const noExp = await new SignJWT({ age_over: 18 }).setProtectedHeader({ alg: "HS256" }).sign(key);
    expect(await session.read(`${session.cookieName}=${noExp}`, NOW)).toBeUndefined();
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(
      JSON.stringify({ age_over: 18, exp: NOW / 1000 + 60 }),
    ).toString("base64url")}.`;
    expect(await session.read(`${session.cookieName}=${none}`, NOW)).toBeUndefined();
    const good = await new SignJWT({ age_over: 18 })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(NOW / 1000 + 60)
      .sign(key);
    expect(await session.read(`${session.cookieName}=${good}`, NOW)).toEqual({ from: 18 });
  });

  it("maxAgeSeconds 0 gives a browser-session cookie whose signed expiry is one hour", async () => {
    const session = createSessionCodec({ secret: SECRET, maxAgeSeconds: 0 });
    const setCookie = await session.issue(13, NOW);
    expect(setCookie).not.toMatch(/Max-Age|Expires/i);
    expect(decodeJwt(cookieValue(setCookie)).exp).toBe(NOW / 1000 + 3600);
  });

  it("drops Secure and the __Host- prefix only when secure is false", async () => {
    const session = createSessionCodec({ secret: SECRET, secure: false });
    const setCookie = await session.issue(18, NOW);
    expect(setCookie.startsWith("blindgate-age=")).toBe(true);
    expect(setCookie).not.toMatch(/Secure/);
    expect(session.clear()).toBe("blindgate-age=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  });

  it("refuses short secrets, bad lengths and bad names at construction", () => {
    const bad = [
      { secret: "too-short" },
      { secret: new Uint8Array(31) },
      { secret: SECRET, maxAgeSeconds: -1 },
      { secret: SECRET, maxAgeSeconds: 86_401 },
      { secret: SECRET, maxAgeSeconds: 1.5 },
      { secret: SECRET, cookieName: "has space" },
      { secret: SECRET, cookieName: "__Host-x", secure: false },
    ];
    for (const options of bad) {
      expect(() => createSessionCodec(options)).toThrow(GateError);
    }
  });

  it("accepts an HMAC CryptoKey and refuses other keys", async () => {
    const key = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    const session = createSessionCodec({ secret: key });
    const cookie = (await session.issue(21, NOW)).split(";")[0] ?? "";
    expect(await session.read(cookie, NOW)).toEqual({ from: 21 });
    const aes = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
    expect(() => createSessionCodec({ secret: aes })).toThrow(GateError);
  });

  it("ignores absent, empty, oversized and garbage Cookie headers", async () => {
    const session = createSessionCodec({ secret: SECRET });
    for (const header of [
      null,
      "",
      ";;;",
      "=",
      `${session.cookieName}=`,
      `${session.cookieName}=a.b.c`,
      "x".repeat(20_000),
    ]) {
      expect(await session.read(header, NOW)).toBeUndefined();
    }
  });
});

describe("age session hardening", () => {
  const forge = (exp: number) =>
    new SignJWT({ age_over: 18 })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(SECRET));

  it("refuses a cookie whose expiry is further off than the configured session (a 10-year exp)", async () => {
    const session = createSessionCodec({ secret: SECRET, maxAgeSeconds: 900 });
    const name = "__Host-blindgate-age";
    const nowS = NOW / 1000;
    expect(await session.read(`${name}=${await forge(nowS + 10 * 365 * 86400)}`, NOW)).toBeUndefined();
    expect(await session.read(`${name}=${await forge(nowS + 900 + 61)}`, NOW)).toBeUndefined();
    // A fresh session's expiry, and one a server with a clock up to a minute ahead signed, are read back.
    expect(await session.read(`${name}=${await forge(nowS + 900)}`, NOW)).toEqual({ from: 18 });
    expect(await session.read(`${name}=${await forge(nowS + 900 + 60)}`, NOW)).toEqual({ from: 18 });
  });

  it("caps a browser-session cookie (maxAgeSeconds 0) at its one-hour signed expiry", async () => {
    const session = createSessionCodec({ secret: SECRET, maxAgeSeconds: 0 });
    const name = "__Host-blindgate-age";
    expect(await session.read(`${name}=${await forge(NOW / 1000 + 3600)}`, NOW)).toEqual({ from: 18 });
    expect(await session.read(`${name}=${await forge(NOW / 1000 + 86400)}`, NOW)).toBeUndefined();
  });

  it("imports a string secret once, not at every cookie", async () => {
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    try {
      const session = createSessionCodec({ secret: SECRET });
      for (let i = 0; i < 5; i++) {
        const cookie = (await session.issue(18, NOW)).split(";")[0] ?? "";
        expect(await session.read(cookie, NOW)).toEqual({ from: 18 });
      }
      expect(importKey).toHaveBeenCalledTimes(1);
    } finally {
      importKey.mockRestore();
    }
  });

  it("warns through the logger on a low-entropy secret, without writing it", async () => {
    const weak = "k".repeat(32);
    const lines: unknown[] = [];
    const logger = {
      warn: (...args: unknown[]) => lines.push(args),
      error: (...args: unknown[]) => lines.push(args),
    };
    const session = createSessionCodec({ secret: weak }, { logger });
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines)).toMatch(/session\.secret looks guessable/);
    expect(JSON.stringify(lines)).not.toContain(weak);
    // Still works: a warning, not a refusal.
    expect(await session.read((await session.issue(18, NOW)).split(";")[0] ?? "", NOW)).toEqual({ from: 18 });
    for (const secret of ["ab".repeat(16), "password".repeat(4)]) {
      createSessionCodec({ secret }, { logger });
    }
    expect(lines).toHaveLength(3);
  });

  it("does not warn on random secrets or the guide's `openssl rand -base64 48`", () => {
    const warned: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warned.push(args), error: () => undefined };
    createSessionCodec(
      { secret: Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64") },
      { logger },
    );
    createSessionCodec({ secret: crypto.getRandomValues(new Uint8Array(32)) }, { logger });
    createSessionCodec(
      { secret: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex") },
      { logger },
    );
    expect(warned).toEqual([]);
    expect(estimatedEntropyBits(new TextEncoder().encode("k".repeat(32)))).toBe(0);
    expect(MIN_SECRET_ENTROPY_BITS).toBe(128);
  });
});

describe("age session of a band", () => {
  it("holds the interval proved, and reads it back", async () => {
    const session = createSessionCodec({ secret: SECRET });
    const setCookie = await session.issue({ from: 13, below: 18 }, NOW);
    expect(decodeJwt(cookieValue(setCookie))).toEqual({ age_over: 13, age_below: 18, exp: NOW / 1000 + 900 });
    expect(await session.read(setCookie.split(";")[0] ?? "", NOW)).toEqual({ from: 13, below: 18 });
  });

  it("ends no later than the band key's expiry: no session proves a band after its holder left it", async () => {
    const session = createSessionCodec({ secret: SECRET, maxAgeSeconds: 3600 });
    const keyDiesMs = NOW + 120_000;
    const setCookie = await session.issue({ from: 13, below: 16 }, NOW, keyDiesMs);
    expect(decodeJwt(cookieValue(setCookie)).exp).toBe(keyDiesMs / 1000);
    expect(setCookie).toContain("Max-Age=120");
    const cookie = setCookie.split(";")[0] ?? "";
    expect(await session.read(cookie, keyDiesMs - 1000)).toEqual({ from: 13, below: 16 });
    expect(await session.read(cookie, keyDiesMs)).toBeUndefined();
  });

  it("refuses an upper age that is not an integer above the lower one, at most 150", async () => {
    const session = createSessionCodec({ secret: SECRET });
    const key = new TextEncoder().encode(SECRET);
    for (const age_below of [13, 12, 15.5, 151, "18", null]) {
      const jwt = await new SignJWT({ age_over: 13, age_below })
        .setProtectedHeader({ alg: "HS256" })
        .setExpirationTime(NOW / 1000 + 60)
        .sign(key);
      expect(await session.read(`${session.cookieName}=${jwt}`, NOW), String(age_below)).toBeUndefined();
    }
  });
});
