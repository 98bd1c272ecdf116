import { describe, expect, it } from "vitest";
import { WindowRateLimiter } from "../../../providers/eu-av/rate-limit.js";

/* The per-address limit of session creation: a fixed window per address, bounded memory, no address kept. */

describe("WindowRateLimiter", () => {
  it("allows `limit` per address per window, each address on its own, and a new window starts afresh", () => {
    const limiter = new WindowRateLimiter({ limit: 3, windowSeconds: 60 });
    const t = 1_700_000_040; // 0 s into a minute
    expect([1, 2, 3, 4].map(() => limiter.take("192.0.2.1", t))).toEqual([true, true, true, false]);
    expect(limiter.take("192.0.2.2", t + 1)).toBe(true);
    expect(limiter.take("192.0.2.1", t + 59)).toBe(false);
    expect(limiter.take("192.0.2.1", t + 60)).toBe(true);
    expect(limiter.retryAfter(t + 15)).toBe(45);
  });

  it("past maxKeys it forgets the quietest address, never one at its limit", () => {
    const limiter = new WindowRateLimiter({ limit: 2, windowSeconds: 60, maxKeys: 4 });
    const t = 1_700_000_040;
    limiter.take("attacker", t);
    limiter.take("attacker", t);
    expect(limiter.take("attacker", t)).toBe(false);
    for (let i = 0; i < 100; i++) limiter.take(`2001:db8::${i}`, t);
    expect(limiter.take("attacker", t)).toBe(false);
  });
});
