import type { GateError } from "./errors.js";

/*
 * What the gate tells the site's operator. A gate fails closed, so a wrong site key, an unreachable gateway or a
 * dishonest key log would otherwise only show as refusals: these go to the logger (console by default) and to
 * the optional onError hook. Log lines carry codes and the gate's own messages: never a token, a cookie, a
 * session secret or a site key (GateError messages never hold them).
 */

/** Where the gate writes what its operator should know. `console` fits; so does a pino or winston logger's bound methods. */
export interface GateLogger {
  /** Something works but is weak (e.g. a low-entropy session secret). */
  warn(message: string, details?: Record<string, unknown>): void;
  /** A refusal that is not the visitor's doing: the gateway or the configuration is at fault. */
  error(message: string, details?: Record<string, unknown>): void;
}

/** A logger that drops everything (`logger: false`). */
export const SILENT_LOGGER: GateLogger = { warn: () => undefined, error: () => undefined };

/** Called with every refusal the site's operator should look at; see {@link isOperatorError}. */
export type GateErrorHook = (error: GateError) => void;

/**
 * True for a refusal that is about the gateway or the site's setup, not the visitor: every 5xx (configuration,
 * gateway unreachable or refusing the site key, internal fault) and a key log that fails key consistency.
 *
 * @example
 * ```ts
 * if (!result.ok && isOperatorError(result.error)) alerts.page(result.error.code);
 * ```
 */
export function isOperatorError(error: GateError): boolean {
  return error.status >= 500 || error.code === "ERR_KEY_SET" || error.code === "ERR_KEY_NOT_ANNOUNCED";
}

/** The fields of a log line for a GateError: its codes, and the message of its cause (never input bytes). */
export function logDetails(error: GateError): Record<string, unknown> {
  const details: Record<string, unknown> = { code: error.code };
  if (error.gatewayCode !== undefined) details.gatewayCode = error.gatewayCode;
  if (error.cause instanceof Error) details.cause = `${error.cause.name}: ${error.cause.message}`;
  return details;
}
