import { type NextRequest, NextResponse } from "next/server.js";
import { adults, lobby } from "./lib/age-gate.js";

/**
 * Gates pages before they render (Next.js 16 calls this file proxy.ts; on Next.js 15 name it middleware.ts and the
 * function `middleware`). A refusal is the gate's own answer: the 401 challenge, or the refusal page for a browser.
 */
export async function proxy(request: NextRequest): Promise<Response> {
  const gate = request.nextUrl.pathname.startsWith("/adults") ? adults : lobby;
  const result = await gate.check(request);
  if (!result.ok) return result.response;
  // Pages read the age proved from this request header; the proxy sets it, so a browser cannot.
  const headers = new Headers(request.headers);
  headers.set("x-age-over", String(result.ageOver));
  const response = NextResponse.next({ request: { headers } });
  if (result.setCookie !== undefined) response.headers.append("Set-Cookie", result.setCookie);
  return response;
}

export const config = { matcher: ["/", "/adults/:path*"] };
