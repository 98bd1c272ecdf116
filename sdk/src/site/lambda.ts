import { GateError } from "./errors.js";
import type { AgeContext, AgeGate } from "./gate.js";
import { errorResponse } from "./responses.js";

/*
 * AWS Lambda behind an API Gateway HTTP API (payload format 2.0) or a function URL. The types are structural (no
 * @types/aws-lambda needed). Requests to the gate's proofPath are answered by the proof endpoint; every other
 * request is checked, and passes on to the handler with `{ ageOver }`. The session cookie travels in the v2
 * result's `cookies` list, as API Gateway expects.
 */

/** The parts of an API Gateway v2 (HTTP API) event the adapter reads. */
export interface LambdaHttpEvent {
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { domainName?: string; http: { method: string } };
}

/** An API Gateway v2 (HTTP API) structured result. */
export interface LambdaHttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** A Lambda handler behind the gate. */
export type GatedLambdaHandler<E extends LambdaHttpEvent, C> = (
  event: E,
  context: C,
  age: AgeContext,
) => Promise<LambdaHttpResult> | LambdaHttpResult;

/**
 * Wrap a Lambda handler (API Gateway v2 events) with the gate.
 *
 * @example
 * ```ts
 * export const handler = toLambdaHandler(gate, async (event, context, { ageOver }) => ({
 *   statusCode: 200,
 *   body: `over ${ageOver}`,
 * }));
 * ```
 */
export function toLambdaHandler<E extends LambdaHttpEvent, C>(
  gate: AgeGate,
  handler: GatedLambdaHandler<E, C>,
): (event: E, context: C) => Promise<LambdaHttpResult> {
  return async (event, context) => {
    let request: Request;
    try {
      request = toFetchRequest(event);
    } catch (error) {
      return toLambdaResult(errorResponse(error));
    }
    if (event.rawPath === gate.proofPath) return toLambdaResult(await gate.handleProof(request));
    const result = await gate.check(request);
    if (!result.ok) return toLambdaResult(result.response);
    const age: AgeContext =
      result.ageBelow === undefined
        ? { ageOver: result.ageOver }
        : { ageOver: result.ageOver, ageBelow: result.ageBelow };
    const answer = await handler(event, context, age);
    if (result.setCookie === undefined) return answer;
    return { ...answer, cookies: [...(answer.cookies ?? []), result.setCookie] };
  };
}

/**
 * A Fetch Request for an API Gateway v2 event. Throws GateError("ERR_BAD_REQUEST") on a body that is not base64
 * when it says it is.
 *
 * @example
 * ```ts
 * const result = await gate.check(toFetchRequest(event));
 * ```
 */
export function toFetchRequest(event: LambdaHttpEvent): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value === undefined || name.toLowerCase() === "cookie") continue;
    try {
      headers.append(name, value);
    } catch {
      // A value Fetch cannot hold cannot be one the gate reads.
    }
  }
  const cookies = event.cookies ?? (event.headers?.cookie === undefined ? [] : [event.headers.cookie]);
  if (cookies.length > 0) headers.set("Cookie", cookies.join("; "));
  const host = headers.get("host") ?? event.requestContext.domainName ?? "localhost";
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  let url: URL;
  try {
    url = new URL(`${event.rawPath}${query}`, `https://${host}`);
  } catch {
    url = new URL("/", "https://localhost");
  }
  const method = event.requestContext.http.method.toUpperCase();
  const init: RequestInit = { method, headers };
  if (event.body !== undefined && method !== "GET" && method !== "HEAD") {
    init.body = event.isBase64Encoded ? decodeBase64(event.body) : event.body;
  }
  return new Request(url, init);
}

/**
 * An API Gateway v2 result for a Fetch Response (text body; Set-Cookie values in `cookies`).
 *
 * @example
 * ```ts
 * return toLambdaResult(await gate.handleProof(toFetchRequest(event)));
 * ```
 */
export async function toLambdaResult(response: Response): Promise<LambdaHttpResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const result: LambdaHttpResult = { statusCode: response.status, headers, body: await response.text() };
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) result.cookies = cookies;
  return result;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch (cause) {
    throw new GateError("ERR_BAD_REQUEST", "request: body is not base64", { cause });
  }
}
