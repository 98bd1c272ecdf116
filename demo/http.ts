import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { BodyTooLarge, closeServer, listenLoopback, readBody } from "../dev/lambda-http.js";

/*
 * What both demo servers share: HTML escaping, a page frame with strict security headers (no inline script or
 * style), and an optional recorder of every request (the end-to-end tests use it to prove what each party
 * received). Reading bodies and binding ports is the local adapter's (dev/lambda-http.ts), as for every local
 * server.
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Recorder = (request: RecordedRequest) => void;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** The languages the demo pages speak. */
export type Lang = "en" | "fr";

/**
 * The language of a page from the browser's Accept-Language: the first offered language in the browser's order of
 * preference (q-values respected); English, the pages' own language, only when none is offered.
 */
export function negotiateLang(acceptLanguage: string | string[] | undefined): Lang {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(",") : (acceptLanguage ?? "");
  const ranked = header
    .split(",")
    .map((part, i) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { primary: tag.trim().toLowerCase().split("-")[0] ?? "", q: q === undefined ? 1 : Number(q), i };
    })
    .filter((l) => l.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const l of ranked) if (l.primary === "fr" || l.primary === "en") return l.primary;
  return "en";
}

export interface PageOptions {
  lang: Lang;
  css: string;
  scripts?: string[];
  /** HTML above <main> (a site's banner and navigation). */
  header?: string;
  /** HTML below <main>. */
  footer?: string;
}

/** A whole page: every page has a <main> landmark, a favicon (/favicon.svg), no inline script or style. */
export function page(title: string, body: string, options: PageOptions): string {
  const scripts = (options.scripts ?? []).map(
    (s) => `<script type="module" src="${escapeHtml(s)}"></script>`,
  );
  return `<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${escapeHtml(options.css)}">
${scripts.join("\n")}
</head>
<body>
${options.header ?? ""}
<main>
${body}
</main>
${options.footer ?? ""}
</body>
</html>
`;
}

export function send(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  type: string,
  headers: Record<string, string> = {},
): void {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": type,
    "content-length": bytes.length,
    vary: "Accept-Language",
    ...headers,
  });
  res.end(bytes);
}

/**
 * A node:http server on 127.0.0.1 (reached by browsers as `publicHost`, by this machine's code at `localUrl`)
 * whose handler gets the body (at most 16 KiB) already read and recorded. Every answer carries
 * SECURITY_HEADERS, also those written by middleware that does not go through {@link send}. An oversized body
 * gets a 413, a handler failure a generic 500 (never its message: it could hold input).
 */
export async function listen(
  port: number,
  record: Recorder | undefined,
  handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>,
  publicHost = "127.0.0.1",
): Promise<{ server: Server; url: string; localUrl: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    readBody(req, 16_384)
      .then(async (body) => {
        record?.({
          method: req.method ?? "",
          url: req.url ?? "",
          headers: { ...req.headers },
          body: body.toString("utf8"),
        });
        await handle(req, res, body);
      })
      .catch((error: unknown) => {
        if (res.headersSent) return res.destroy();
        if (error instanceof BodyTooLarge)
          return send(res, 413, "body too large", "text/plain; charset=utf-8");
        send(res, 500, "internal error", "text/plain; charset=utf-8");
      });
  });
  const bound = await listenLoopback(server, port);
  return {
    server,
    url: `http://${publicHost}:${bound}`,
    localUrl: `http://127.0.0.1:${bound}`,
    close: () => closeServer(server),
  };
}
