import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import {
  closeServer,
  type HttpEvent,
  invoke,
  listenLoopback,
  PortInUse,
  writeFailure,
} from "../../../dev/lambda-http.js";

/*
 * The one local adapter every local server runs on (the gateway, the EU AV provider, the demo): a real node:http
 * server, a real request, and the event the handler receives compared with what API Gateway (payload 2.0) sends.
 */

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await closeServer(server);
});

async function serve(
  onRequest: Parameters<typeof createServer>[1],
): Promise<{ url: string; server: ReturnType<typeof createServer> }> {
  const server = createServer(onRequest);
  servers.push(server);
  const port = await listenLoopback(server, 0);
  return { url: `http://127.0.0.1:${port}`, server };
}

describe("the local Lambda adapter", () => {
  it("gives the handler API Gateway's event: cookies apart, query parsed, body base64, the peer's address", async () => {
    const seen: HttpEvent[] = [];
    const { url } = await serve((req, res) => {
      invoke(
        async (event) => {
          seen.push(event);
          return { statusCode: 201, headers: { "x-a": "1" }, cookies: ["s=1; Path=/"], body: "done" };
        },
        "test",
        req,
        res,
      ).catch((error: unknown) => writeFailure(res, error));
    });
    const res = await fetch(`${url}/v1/thing?a=1&a=2&b=x`, {
      method: "POST",
      headers: { cookie: "one=1; two=2", "content-type": "text/plain" },
      body: "héllo",
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-a")).toBe("1");
    expect(res.headers.get("set-cookie")).toBe("s=1; Path=/");
    expect(await res.text()).toBe("done");
    const event = seen[0] as HttpEvent;
    expect(event.routeKey).toBe("POST /v1/thing");
    expect(event.rawPath).toBe("/v1/thing");
    expect(event.rawQueryString).toBe("a=1&a=2&b=x");
    expect(event.queryStringParameters).toEqual({ a: "1,2", b: "x" });
    expect(event.cookies).toEqual(["one=1", "two=2"]);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers["content-type"]).toBe("text/plain");
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64").toString("utf8")).toBe("héllo");
    expect(event.requestContext.http.method).toBe("POST");
    expect(event.requestContext.http.sourceIp).toBe("127.0.0.1");
  });

  it("takes a catch-all route key, and answers an oversized body 413 with its code, before the handler runs", async () => {
    const seen: HttpEvent[] = [];
    const { url } = await serve((req, res) => {
      invoke(
        async (event) => {
          seen.push(event);
          return { statusCode: 200, body: "" };
        },
        "test",
        req,
        res,
        { maxBody: 8, routeKey: "$default" },
      ).catch((error: unknown) => writeFailure(res, error));
    });
    expect((await fetch(`${url}/x`, { method: "POST", body: "12345678" })).status).toBe(200);
    expect(seen[0]?.routeKey).toBe("$default");
    const big = await fetch(`${url}/x`, { method: "POST", body: "123456789" });
    expect(big.status).toBe(413);
    expect(big.headers.get("x-error-code")).toBe("ERR_BODY_TOO_LARGE");
    expect(await big.json()).toEqual({ error: { code: "ERR_BODY_TOO_LARGE", message: "body too large" } });
    expect(seen).toHaveLength(1);
  });

  it("answers a handler's failure with a generic 500 that never echoes the error", async () => {
    const { url } = await serve((req, res) => {
      invoke(
        async () => {
          throw new Error("secret input bytes");
        },
        "test",
        req,
        res,
      ).catch((error: unknown) => writeFailure(res, error));
    });
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toBe('{"error":{"code":"ERR_INTERNAL","message":"internal"}}');
    expect(text).not.toContain("secret");
  });

  it("says which port is taken instead of a raw EADDRINUSE", async () => {
    const { url } = await serve(() => undefined);
    const port = Number(new URL(url).port);
    const second = createServer();
    const error = await listenLoopback(second, port).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUse);
    expect((error as PortInUse).port).toBe(port);
    expect(second.listening).toBe(false);
  });
});
