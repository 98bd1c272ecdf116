import { createReadStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { type AgeGate, createAgeGate, nodeRequestToRequest } from "@blindgate/sdk/site";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** Set on a request the age gate let through: the lower age proved. */
    ageOver?: number;
    /** Behind a band gate: the person is younger than this. */
    ageBelow?: number;
  }
}

/** What the site needs from its gateway (what `npm start` prints) and its own secret. */
export interface SiteConfig {
  gatewayUrl: string;
  walletUrl: string;
  siteKey: string;
  sessionSecret: string;
  /** The gateway's issuer name, when it is not the host of `gatewayUrl` (the gateway's BLINDGATE_ISSUER_NAME). */
  issuerName?: string;
  /** The prebuilt browser module to serve at /blindgate.js; default: the one @blindgate/sdk ships. */
  browserModuleFile?: string;
}

/** Send the gate's answer (a Fetch Response) as Fastify's reply: status, headers, every Set-Cookie, body. */
async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header("set-cookie", cookies);
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

/** A preHandler hook: the request passes `gate`, or gets the gate's answer (401 challenge, refusal page, 503). */
function ageGate(gate: AgeGate) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await gate.check(await nodeRequestToRequest(request.raw, gate.proofPath));
    if (!result.ok) return send(reply, result.response);
    request.ageOver = result.ageOver;
    if (result.ageBelow !== undefined) request.ageBelow = result.ageBelow;
    if (result.setCookie !== undefined) reply.header("set-cookie", result.setCookie);
    return undefined;
  };
}

/** A 13+ lobby, a teens' room (13 to 17: no adult) and an adults' room (18+): one gate, one proof endpoint. */
export function createApp(config: SiteConfig): FastifyInstance {
  const lobby = createAgeGate({
    issuers: { url: config.gatewayUrl, siteKey: config.siteKey, issuerName: config.issuerName },
    minAge: 13,
    session: { secret: config.sessionSecret },
    refusalPage: { walletUrl: config.walletUrl, browserModuleUrl: "/blindgate.js" },
  });
  const adults = lobby.require(18);
  const teens = lobby.require({ from: 13, below: 18 });
  const browserModule =
    config.browserModuleFile ?? fileURLToPath(import.meta.resolve("@blindgate/sdk/browser.js"));

  const app = Fastify();
  // The one proof endpoint, for every age, answered before Fastify reads the body: the gate reads it (2 KiB at most).
  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "POST" || request.url.split("?")[0] !== lobby.proofPath) return undefined;
    return send(reply, await lobby.handleProof(await nodeRequestToRequest(request.raw, lobby.proofPath)));
  });
  app.get("/blindgate.js", (_request, reply) =>
    reply.type("text/javascript; charset=utf-8").send(createReadStream(browserModule)),
  );
  app.get("/", { preHandler: ageGate(lobby) }, async (request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .send(
        `<h1>Lobby</h1><p>You proved you are ${request.ageOver} or over.</p><a href="/adults">Adults</a>`,
      ),
  );
  app.get("/teens", { preHandler: ageGate(teens) }, async (request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .send(
        `<h1>Teens only</h1><p>You proved you are ${request.ageOver} to ${(request.ageBelow ?? 0) - 1}.</p>`,
      ),
  );
  app.get("/adults", { preHandler: ageGate(adults) }, async (request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .send(`<h1>Adults only</h1><p>You proved you are ${request.ageOver} or over.</p>`),
  );
  return app;
}
