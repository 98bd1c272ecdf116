import { type NextRequest, NextResponse } from "next/server.js";
import { adults, lobby, teens } from "./lib/age-gate.js";

/**
 * Gates pages before they render (Next.js 16 calls this file proxy.ts; on Next.js 15 name it middleware.ts and the
 * function `middleware`). A refusal is the gate's own answer: the 401 challenge, or the refusal page for a browser.
 */
export async function proxy(request: NextRequest): Promise<Response> {
  const path = request.nextUrl.pathname;
  const gate = path.startsWith("/adults") ? adults : path.startsWith("/teens") ? teens : lobby;
  const result = await gate.check(request);
  if (!result.ok) return result.response;
  // Pages read the age proved from this request header; the proxy sets it, so a browser cannot.
  const headers = new Headers(request.headers);
  headers.set("x-age-over", String(result.ageOver));
  if (result.ageBelow !== undefined) headers.set("x-age-below", String(result.ageBelow));
  const response = NextResponse.next({ request: { headers } });
  if (result.setCookie !== undefined) response.headers.append("Set-Cookie", result.setCookie);
  return response;
}

export const config = { matcher: ["/", "/teens/:path*", "/adults/:path*"] };
