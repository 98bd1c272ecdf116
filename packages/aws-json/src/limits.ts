/*
 * The one configuration of attempts and timeouts of every AWS call the gateway and its providers make (DynamoDB,
 * KMS, Secrets Manager), in tests, in the local server and on Lambda alike: a service that is down or slow makes
 * a route answer 503 ERR_UNAVAILABLE well inside its Lambda timeout (10 s for check) instead of hanging.
 *
 *   at most 2 attempts, each of at most 2 s (connection included), at most 1 s to connect
 *
 * So a call gives up after about 4 s plus one backoff (at most 200 ms). A conditional write that timed out may or
 * may not have happened; every write the gateway makes is either idempotent for the same request or decides
 * single use (a retry is then refused or answered again).
 */
export const CALL_LIMITS = { maxAttempts: 2, connectTimeoutMs: 1000, requestTimeoutMs: 2000 } as const;
