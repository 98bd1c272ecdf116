import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/* Answers of the gateway's routes (API Gateway HTTP API v2 results): JSON and binary, with safe headers. */

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** A binary answer (base64 in the Lambda result). */
export function binary(
  status: number,
  bytes: Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): HttpResult {
  return {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, "content-type": contentType, ...headers },
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
    isBase64Encoded: true,
  };
}
