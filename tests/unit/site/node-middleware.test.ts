import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseWwwAuthenticate } from "@blindgate/sdk/protocol";
import { createAgeGate, type NodeRequestLike, toNodeMiddleware } from "@blindgate/sdk/site";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { b64, Clock, defaultKeys, FakeGateway, fetchFor, mintToken, SECRET } from "./fixtures.js";

/* A real node:http server with the middleware in front of a handler, driven over HTTP with fetch. */

let server: Server;
let base: string;
let gateway: FakeGateway;
let seen: (number | undefined)[];

beforeEach(async () => {
  const clock = new Clock();
  gateway = new FakeGateway("gateway.example", defaultKeys(clock));
  const gate = createAgeGate({
    issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
    minAge: 18,
    session: { secret: SECRET, secure: false },
    logger: false,
    fetch: fetchFor(gateway),
    now: clock.now,
  });
  const ageGate = toNodeMiddleware(gate);
  seen = [];
  const app = (req: IncomingMessage & NodeRequestLike, res: ServerResponse) => {
    seen.push(req.ageOver);
    res.setHeader("Content-Type", "text/plain");
    res.end(`welcome, over ${req.ageOver}`);
  };
  server = createServer((req, res) => {
    void ageGate(req, res, (error?: unknown) => {
      if (error !== undefined) {
        res.statusCode = 500;
        res.end();
        return;
      }
      app(req, res);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.close();
  await once(server, "close");
});

function token(): string {
  return b64(mintToken(gateway.keys.find((k) => k.ageOver === 18)!, "gateway.example"));
}

describe("toNodeMiddleware on node:http", () => {
  it("answers an ungated request with the 401 PrivateToken challenge and never calls the app", async () => {
    const response = await fetch(`${base}/adult`);
    expect(response.status).toBe(401);
    expect(parseWwwAuthenticate(response.headers.get("WWW-Authenticate") ?? "")).toHaveLength(1);
    expect(await response.json()).toMatchObject({ error: { code: "ERR_AGE_REQUIRED" } });
    expect(seen).toEqual([]);
  });

  it("takes a proof on the proof path, then lets the cookie through with req.ageOver set", async () => {
    const proof = await fetch(`${base}/.well-known/blindgate/proof`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token() }),
    });
    expect(proof.status).toBe(200);
    expect(await proof.json()).toEqual({ ok: true, ageOver: 18 });
    const [setCookie] = proof.headers.getSetCookie();
    expect(setCookie).toMatch(/^blindgate-age=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=900$/);
    const page = await fetch(`${base}/adult`, { headers: { Cookie: (setCookie ?? "").split(";")[0] ?? "" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("welcome, over 18");
    expect(seen).toEqual([18]);
  });

  it("redeems Authorization: PrivateToken and sets the cookie on the app's own response", async () => {
    const page = await fetch(`${base}/adult`, {
      headers: { Authorization: `PrivateToken token="${token()}"` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.getSetCookie()[0]).toMatch(/^blindgate-age=/);
    expect(seen).toEqual([18]);
  });

  it("refuses an oversized proof body without reading it all", async () => {
    const proof = await fetch(`${base}/.well-known/blindgate/proof`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: "A".repeat(100_000) }),
    });
    expect(proof.status).toBe(400);
    expect(await proof.json()).toMatchObject({ error: { code: "ERR_BAD_REQUEST" } });
  });

  it("fails closed with 503 when the gateway is down", async () => {
    gateway.directoryMode = "down";
    const response = await fetch(`${base}/adult`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: "ERR_GATEWAY_UNAVAILABLE" } });
    expect(seen).toEqual([]);
  });

  it("uses a body an Express JSON parser already read", async () => {
    const gate = createAgeGate({
      issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
      minAge: 18,
      session: { secret: SECRET },
      logger: false,
      fetch: fetchFor(gateway),
    });
    const headers: Record<string, string> = { host: "site.example", "content-type": "application/json" };
    const req: NodeRequestLike = {
      method: "POST",
      url: "/.well-known/blindgate/proof",
      headers,
      body: { token: token() },
      async *[Symbol.asyncIterator]() {
        // consumed by the body parser already
      },
    };
    const written: { status?: number; headers: Record<string, unknown>; body?: string } = { headers: {} };
    const res = {
      statusCode: 200,
      setHeader(name: string, value: unknown) {
        written.headers[name.toLowerCase()] = value;
      },
      getHeader(name: string) {
        return written.headers[name.toLowerCase()] as string | undefined;
      },
      end(chunk?: Uint8Array | string) {
        written.status = res.statusCode;
        written.body = chunk === undefined ? "" : Buffer.from(chunk).toString();
      },
    };
    await toNodeMiddleware(gate)(req, res, () => {
      throw new Error("next must not be called for the proof path");
    });
    expect(written.status).toBe(200);
    expect(JSON.parse(written.body ?? "")).toEqual({ ok: true, ageOver: 18 });
    expect(written.headers["set-cookie"]).toEqual([expect.stringMatching(/^__Host-blindgate-age=/)]);
  });
});

describe("toNodeMiddleware under Express-style mounts and errors", () => {
  function fakeRes() {
    const written: { status?: number; headers: Record<string, unknown>; body?: string } = { headers: {} };
    const res = {
      statusCode: 200,
      setHeader(name: string, value: unknown) {
        written.headers[name.toLowerCase()] = value;
      },
      getHeader(name: string) {
        return written.headers[name.toLowerCase()] as string | undefined;
      },
      end(chunk?: Uint8Array | string) {
        written.status = res.statusCode;
        written.body = chunk === undefined ? "" : Buffer.from(chunk).toString();
      },
    };
    return { res, written };
  }

  function gate() {
    return createAgeGate({
      issuers: { url: gateway.baseUrl, siteKey: gateway.siteKey },
      minAge: 18,
      session: { secret: SECRET },
      fetch: fetchFor(gateway),
      now: new Clock().now,
      logger: false,
    });
  }

  function mounted(originalUrl: string, url: string, init: Partial<NodeRequestLike> = {}): NodeRequestLike {
    return {
      method: "GET",
      url,
      originalUrl,
      headers: { host: "site.example" },
      async *[Symbol.asyncIterator]() {
        // no body
      },
      ...init,
    };
  }

  it("matches the proof path on the full URL when Express stripped a mount prefix", async () => {
    const ageGate = toNodeMiddleware(gate());
    // app.use(gate.proofPath, ageGate): Express leaves req.url "/" and the full path in originalUrl.
    const { res, written } = fakeRes();
    const req = mounted("/.well-known/blindgate/proof", "/", {
      method: "POST",
      headers: { host: "site.example", "content-type": "application/json" },
      body: { token: token() },
    });
    await ageGate(req, res, () => {
      throw new Error("next must not be called for the proof path");
    });
    expect(JSON.parse(written.body ?? "")).toEqual({ ok: true, ageOver: 18 });
    // app.use("/adult", ageGate): a request to /adult/.well-known/blindgate/proof is a gated page, not the proof.
    const other = fakeRes();
    await ageGate(
      mounted("/adult/.well-known/blindgate/proof", "/.well-known/blindgate/proof"),
      other.res,
      () => {
        throw new Error("must not pass");
      },
    );
    expect(other.written.status).toBe(401);
  });

  it("passes a fault of its own to next(err), and never swallows what the app throws", async () => {
    const ageGate = toNodeMiddleware(gate());
    const broken = mounted("/.well-known/blindgate/proof", "/", {
      method: "POST",
      headers: { host: "site.example", "content-type": "application/json" },
      // biome-ignore lint/correctness/useYield: a stream that fails before its first chunk
      async *[Symbol.asyncIterator]() {
        throw new Error("socket reset");
      },
    });
    const { res, written } = fakeRes();
    const errors: unknown[] = [];
    await ageGate(broken, res, (error?: unknown) => errors.push(error));
    expect(errors).toEqual([expect.objectContaining({ message: "socket reset" })]);
    expect(written.status).toBeUndefined(); // nothing written over the app's error handler

    // A pass: the app runs inside next(); what it throws reaches the caller untouched, no 500 is written.
    const cookieGate = gate();
    const setCookie = await (
      await cookieGate.handleProof(
        new Request("https://site.example/.well-known/blindgate/proof", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: token() }),
        }),
      )
    ).headers.getSetCookie()[0];
    const passing = mounted("/adult", "/", {
      headers: { host: "site.example", cookie: (setCookie ?? "").split(";")[0] ?? "" },
    });
    const app = fakeRes();
    const appError = new Error("app bug");
    await expect(
      toNodeMiddleware(cookieGate)(passing, app.res, () => {
        throw appError;
      }),
    ).rejects.toBe(appError);
    expect(passing.ageOver).toBe(18);
    expect(app.written.status).toBeUndefined();
  });

  it("types req.ageOver on Express's Request (the SDK's global augmentation)", () => {
    const req = {} as Express.Request;
    expectTypeOf(req.ageOver).toEqualTypeOf<number | undefined>();
  });
});
