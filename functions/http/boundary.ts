import { gatewayErrorAnswer } from "@blindgate/sdk/protocol/internal";
import type middy from "@middy/core";
import { GatewayError, UnavailableError } from "../errors.js";
import { log } from "../observability/log.js";
import { StoreError } from "../stores/errors.js";
import { type HttpEvent, type HttpResult, json } from "./responses.js";

/*
 * The error boundary of every route, the one place where errors become HTTP: a GatewayError is answered with the
 * contract's status for its code and `{ error: { code, message } }` (a generic message at 5xx); a store that
 * cannot be reached is 503 ERR_UNAVAILABLE; anything else is logged by name only and answered 500 ERR_INTERNAL.
 * Nothing from the input is echoed.
 */

/** The answer for an error. */
export function errorResult(error: GatewayError): HttpResult {
  const { status, body } = gatewayErrorAnswer(error.code, error.message);
  return json(status, body, error.headers);
}

/** The middy middleware of every HTTP route. */
export function httpErrors(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      let error: unknown = request.error;
      if (error instanceof StoreError && error.code === "ERR_STORE_UNAVAILABLE") {
        error = new UnavailableError("the store", error);
      }
      if (isMiddyTimeout(error)) {
        // middy ends a request just before the Lambda's own timeout: the stores were too slow to answer in time.
        error = new UnavailableError("the gateway (time is up)", error);
      }
      if (error instanceof GatewayError) {
        if (error.status >= 500) log("warn", "unavailable", { code: error.code, cause: causeName(error) });
        request.response = errorResult(error);
        return;
      }
      log("error", "unhandled error", { error: error instanceof Error ? error.name : typeof error });
      request.response = errorResult(new GatewayError("ERR_INTERNAL", "internal error"));
    },
  };
}

function causeName(error: Error): string | undefined {
  return error.cause instanceof Error ? error.cause.name : undefined;
}

/** middy's early answer before the function's timeout (`timeoutEarlyResponse`). */
function isMiddyTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === "TimeoutError" &&
    (error.cause as { package?: unknown } | undefined)?.package === "@middy/core"
  );
}
