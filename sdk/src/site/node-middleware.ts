import { concat } from "../protocol/index.js";
import type { AgeGate } from "./gate.js";
import { MAX_PROOF_BODY } from "./proof-request.js";

/*
 * node:http and Express-style middleware: `(req, res, next)`. The types are structural, so the SDK needs neither
 * @types/node nor Express; an IncomingMessage/ServerResponse pair (or Express's) fits them. The request is turned
 * into a Fetch Request (headers; the body only for the proof endpoint, read up to a bound), handed to the gate,
 * and the gate's answer is written back. On a pass, `req.ageOver` is set and `next()` is called.
 *
 * Under an Express mount (`app.use("/adult", ageGate)`) Express strips the prefix from `req.url`; the gate reads
 * `req.originalUrl`, so the proof path is always matched against the full path, the same one the browser posts to.
 * Errors: the gate's refusals are answered here (fail closed); a fault of the adapter itself goes to `next(err)`,
 * and an error thrown by the app inside `next()` is never caught here: Express's error handlers see both.
 */

declare global {
  // Express's Request extends Express.Request: this adds the threshold the gate sets on a pass.
  namespace Express {
    interface Request {
      /** Set by `toNodeMiddleware(gate)` on a request that passed the age gate: the lower age proved. */
      ageOver?: number;
      /** Set on a pass of a band gate: the person is younger than this. */
      ageBelow?: number;
    }
  }
}

/** The parts of node:http's IncomingMessage (or Express's Request) the middleware reads. */
export interface NodeRequestLike extends AsyncIterable<unknown> {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** Express: the URL before the mount path was stripped from `url`. */
  originalUrl?: string | undefined;
  /** Set by an Express body parser that ran before the gate. */
  body?: unknown;
  /** Set by the gate on a pass: the lower age proved. */
  ageOver?: number;
  /** Set by a band gate on a pass: the person is younger than this. */
  ageBelow?: number;
}

/** The parts of node:http's ServerResponse (or Express's Response) the middleware writes. */
export interface NodeResponseLike {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  getHeader(name: string): string | number | string[] | undefined;
  end(chunk?: Uint8Array | string): unknown;
  /** True once the headers are written (node:http, Express). */
  headersSent?: boolean;
}

/** Express's `next`. */
export type NextFunction = (error?: unknown) => void;

/** A node:http / Express middleware. */
export type NodeMiddleware = (
  req: NodeRequestLike,
  res: NodeResponseLike,
  next: NextFunction,
) => Promise<void>;

/**
 * Gate every request that goes through it; requests to the gate's proofPath are answered by the proof endpoint.
 * On a pass it sets `req.ageOver` (typed on Express's Request) and calls `next()`; on a refusal it answers itself;
 * a fault of its own goes to `next(err)`. Mounted under a prefix, mount it on `gate.proofPath` too, so the
 * browser's post to the proof path (always from the site root) reaches it.
 *
 * @example
 * ```ts
 * // Express: gate /adult and below; the proof endpoint at the site root
 * const ageGate = toNodeMiddleware(gate);
 * app.use(gate.proofPath, ageGate);
 * app.use("/adult", ageGate);
 * // node:http
 * const ageGate = toNodeMiddleware(gate);
 * http.createServer((req, res) => ageGate(req, res, () => app(req, res)));
 * ```
 */
export function toNodeMiddleware(gate: AgeGate): NodeMiddleware {
  return async (req, res, next) => {
    // The gate's own answer (the proof endpoint's, or a refusal); none when the request passed.
    let answer: Response | undefined;
    try {
      const request = await toFetchRequest(req, gate.proofPath);
      if (new URL(request.url).pathname === gate.proofPath) {
        answer = await gate.handleProof(request);
      } else {
        const result = await gate.check(request);
        if (result.ok) {
          req.ageOver = result.ageOver;
          if (result.ageBelow !== undefined) req.ageBelow = result.ageBelow;
          if (result.setCookie !== undefined) appendSetCookie(res, result.setCookie);
        } else {
          answer = result.response;
        }
      }
      if (answer !== undefined) await writeFetchResponse(res, answer);
    } catch (error) {
      // Not a refusal (those are answered above) but a fault here: the app's error handler decides.
      next(error);
      return;
    }
    // Outside the try: whatever the app throws is the app's, and propagates untouched.
    if (answer === undefined) next();
  };
}

/**
 * A Fetch Request for a node request. The body is read only for a POST to `proofPath`, at most MAX_PROOF_BODY + 1
 * bytes (enough for the gate to refuse anything longer).
 *
 * @example
 * ```ts
 * const request = await toFetchRequest(req, "/.well-known/blindgate/proof");
 * ```
 */
export async function toFetchRequest(req: NodeRequestLike, proofPath: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    const joined = Array.isArray(value) ? value.join(name === "cookie" ? "; " : ", ") : value;
    try {
      headers.append(name, joined);
    } catch {
      // A header value Fetch cannot hold: leave it out (it cannot be one the gate reads).
    }
  }
  // Express strips a mount path from req.url and keeps the full one in originalUrl.
  const raw = typeof req.originalUrl === "string" ? req.originalUrl : req.url;
  const path = typeof raw === "string" && raw.startsWith("/") ? raw : "/";
  let url: URL;
  try {
    url = new URL(path, `http://${headers.get("host") ?? "localhost"}`);
  } catch {
    url = new URL(path.startsWith("//") ? "/" : path, "http://localhost");
  }
  const method = (req.method ?? "GET").toUpperCase();
  const init: RequestInit = { method, headers };
  if (method === "POST" && url.pathname === proofPath) init.body = await readBody(req);
  return new Request(url, init);
}

/**
 * Write a Fetch Response to a node response (status, headers, every Set-Cookie, body).
 *
 * @example
 * ```ts
 * await writeFetchResponse(res, await gate.handleProof(request));
 * ```
 */
export async function writeFetchResponse(res: NodeResponseLike, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) appendSetCookie(res, cookie);
  res.end(new Uint8Array(await response.arrayBuffer()));
}

function appendSetCookie(res: NodeResponseLike, cookie: string): void {
  const existing = res.getHeader("Set-Cookie");
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader("Set-Cookie", [...list, cookie]);
}

async function readBody(req: NodeRequestLike): Promise<Uint8Array<ArrayBuffer>> {
  // An Express body parser may have consumed the stream already.
  if (req.body !== undefined && req.body !== null && !isEmptyObject(req.body)) {
    if (typeof req.body === "string") return new TextEncoder().encode(req.body);
    if (req.body instanceof Uint8Array) return req.body.slice();
    return new TextEncoder().encode(JSON.stringify(req.body));
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of req) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
    if (!(bytes instanceof Uint8Array)) break;
    chunks.push(bytes);
    length += bytes.length;
    if (length > MAX_PROOF_BODY) break;
  }
  return concat(...chunks);
}

function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    Object.keys(value).length === 0
  );
}
