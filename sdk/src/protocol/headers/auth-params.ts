import { ProtocolError } from "../errors.js";

/*
 * RFC 9110 §11.2 / §11.6.1, the grammar shared by WWW-Authenticate and Authorization:
 *
 *   WWW-Authenticate = #challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   credentials      = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-scheme      = token
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 *   token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *   quoted-string    = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *   qdtext           = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
 *   quoted-pair      = "\" ( HTAB / SP / VCHAR / obs-text )
 *
 * Lists (#rule, RFC 9110 §5.6.1) may hold empty elements and OWS around commas. Commas separate both challenges
 * and parameters: after a comma, `token BWS "="` continues the current challenge, anything else starts a new one.
 *
 * One leniency, seen in deployed Privacy Pass servers: an unquoted parameter value may end in "=" padding
 * (`challenge=AAIA...==`), which a strict `token` forbids. Nothing else outside the grammar is accepted.
 * The scan is a single pass with one token of lookahead, so work is linear in the (bounded) input length.
 */

/** One challenge (or credentials) of an authentication header. */
export interface AuthChallenge {
  /** The scheme as sent (compare case-insensitively). */
  readonly scheme: string;
  /** The token68 form, when the challenge carries one instead of parameters. */
  readonly token68?: string;
  /** Parameters by lowercased name, values unquoted and unescaped. */
  readonly params: ReadonlyMap<string, string>;
}

/** Default upper bound on a header value's length, in UTF-16 units. */
export const MAX_AUTH_HEADER_LENGTH = 32 * 1024;

const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}
const TOKEN68 = new Uint8Array(128);
for (const c of "-._~+/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TOKEN68[c.charCodeAt(0)] = 1;
}

function syntax(message: string): ProtocolError {
  return new ProtocolError("ERR_HEADER_SYNTAX", message);
}

/**
 * Split an authentication header value into its challenges (or credentials). Throws
 * ProtocolError("ERR_HEADER_SYNTAX") on anything outside the RFC 9110 grammar, a parameter repeated within one
 * challenge, or a value longer than `maxLength`.
 *
 * @example
 * ```ts
 * const [basic, pt] = parseAuthChallenges('Basic realm="x", PrivateToken challenge="AAIA", token-key=AQAB');
 * pt?.params.get("token-key"); // "AQAB"
 * ```
 */
export function parseAuthChallenges(value: string, maxLength = MAX_AUTH_HEADER_LENGTH): AuthChallenge[] {
  if (value.length > maxLength) throw syntax("authentication header too long");
  return new Scanner(value).challenges();
}

/**
 * Quote a parameter value as an RFC 9110 quoted-string, escaping '"' and '\'.
 *
 * @example
 * ```ts
 * quoteString('a"b'); // '"a\\"b"'
 * ```
 */
export function quoteString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || (c < 0x20 && c !== 0x09) || c === 0x7f) {
      throw new ProtocolError("ERR_ENCODE_VALUE", "value cannot be carried in a quoted-string");
    }
  }
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

class Scanner {
  private i = 0;
  constructor(private readonly s: string) {}

  challenges(): AuthChallenge[] {
    const out: AuthChallenge[] = [];
    for (;;) {
      this.skipListSeparators();
      if (this.i >= this.s.length) return out;
      out.push(this.challenge());
    }
  }

  /** auth-scheme [ 1*SP ( token68 / #auth-param ) ]; stops before the ',' that ends it (or at the end). */
  private challenge(): AuthChallenge {
    const scheme = this.token();
    if (scheme === null) throw syntax("expected an authentication scheme");
    const params = new Map<string, string>();
    const spaceStart = this.i;
    this.skipWhitespace();
    if (this.atEnd() || this.peek() === ",") return { scheme, params };
    if (this.i === spaceStart) throw syntax("expected a space after the authentication scheme");

    if (!this.param(params)) {
      const token68 = this.token68();
      if (token68 === null) throw syntax("expected token68 or auth-param");
      this.skipWhitespace();
      if (!this.atEnd() && this.peek() !== ",") throw syntax("unexpected text after token68");
      return { scheme, token68, params };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.atEnd()) break;
      if (this.peek() !== ",") throw syntax("expected ',' between parameters");
      const comma = this.i;
      this.skipListSeparators();
      if (this.atEnd()) break;
      if (!this.looksLikeParam()) {
        this.i = comma; // a new challenge starts after this comma
        break;
      }
      if (!this.param(params)) throw syntax("malformed auth-param");
    }
    return { scheme, params };
  }

  /** auth-param = token BWS "=" BWS ( token / quoted-string ); restores the position and returns false if absent. */
  private param(params: Map<string, string>): boolean {
    const start = this.i;
    const name = this.token();
    if (name === null) return false;
    this.skipWhitespace();
    if (this.peek() !== "=") {
      this.i = start;
      return false;
    }
    this.i++;
    this.skipWhitespace();
    const value = this.peek() === '"' ? this.quotedString() : this.paddedToken();
    if (value === null) {
      this.i = start;
      return false;
    }
    const key = name.toLowerCase();
    if (params.has(key)) throw syntax("parameter repeated within one challenge");
    params.set(key, value);
    return true;
  }

  /** Lookahead: does `token BWS "="` start here? Never moves the position. */
  private looksLikeParam(): boolean {
    const start = this.i;
    const name = this.token();
    this.skipWhitespace();
    const result = name !== null && this.peek() === "=";
    this.i = start;
    return result;
  }

  private token(): string | null {
    const start = this.i;
    while (this.i < this.s.length && this.isTchar(this.s.charCodeAt(this.i))) this.i++;
    return this.i > start ? this.s.slice(start, this.i) : null;
  }

  /** token, plus trailing "=" padding (the one leniency, see the header comment). */
  private paddedToken(): string | null {
    const start = this.i;
    if (this.token() === null) return null;
    while (this.peek() === "=") this.i++;
    return this.s.slice(start, this.i);
  }

  private token68(): string | null {
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c >= 128 || TOKEN68[c] !== 1) break;
      this.i++;
    }
    if (this.i === start) return null;
    while (this.peek() === "=") this.i++;
    return this.s.slice(start, this.i);
  }

  private quotedString(): string {
    this.i++; // opening DQUOTE
    let out = "";
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x22) return out;
      if (c === 0x5c) {
        if (this.i >= this.s.length) break;
        const escaped = this.s.charCodeAt(this.i++);
        if (
          !(escaped === 0x09 || (escaped >= 0x20 && escaped <= 0x7e) || (escaped >= 0x80 && escaped <= 0xff))
        ) {
          throw syntax("invalid quoted-pair");
        }
        out += String.fromCharCode(escaped);
        continue;
      }
      if (!(c === 0x09 || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff))) {
        throw syntax("invalid character in quoted-string");
      }
      out += String.fromCharCode(c);
    }
    throw syntax("unterminated quoted-string");
  }

  private skipWhitespace(): void {
    while (this.peek() === " " || this.peek() === "\t") this.i++;
  }

  private skipListSeparators(): void {
    while (this.peek() === " " || this.peek() === "\t" || this.peek() === ",") this.i++;
  }

  private isTchar(c: number): boolean {
    return c < 128 && TCHAR[c] === 1;
  }

  private peek(): string | undefined {
    return this.s[this.i];
  }

  private atEnd(): boolean {
    return this.i >= this.s.length;
  }
}
