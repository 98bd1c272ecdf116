/*
 * The headers every host of the wallet must send (docs/wallet.md): the local server (functions/local) and the
 * CloudFront response headers policy (infra/) both take them from here.
 */

/** The wallet's Content-Security-Policy: its own origin, plus the gateway it talks to. */
export function walletCsp(gatewayOrigin: string): string {
  return [
    "default-src 'self'",
    `connect-src 'self' ${gatewayOrigin}`,
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
}

/** All the security headers of the wallet's pages. */
export function walletHeaders(gatewayOrigin: string): Record<string, string> {
  return {
    "content-security-policy": walletCsp(gatewayOrigin),
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-cache",
  };
}
