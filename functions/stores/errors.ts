/**
 * Stable codes of the stores' errors. Messages name the table role and the attribute, never item values.
 */
export type StoreErrorCode =
  | "ERR_STORE_UNAVAILABLE" // DynamoDB unreachable, throttling, or too slow: nothing was decided
  | "ERR_STORE_ITEM"; // an item without an attribute the store writes (corrupt or foreign data)

/**
 * Base class of the stores' errors. The HTTP edge answers ERR_STORE_UNAVAILABLE with 503 ERR_UNAVAILABLE.
 *
 * @example
 * ```ts
 * try { await stores.spent.claim(id, { status: "used", expiresAt }, now) } catch (e) { if (e instanceof StoreError) retryLater() }
 * ```
 */
export class StoreError extends Error {
  override name = "StoreError";
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
