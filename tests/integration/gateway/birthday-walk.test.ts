import {
  type AgeInterval,
  beginCredential,
  beginIssuance,
  beginRefill,
  contains,
  creditParams,
  DIRECTORY_PATH,
  decodeBatchResponse,
  encodeBatchRequest,
  finishCredential,
  finishIssuance,
  finishRefill,
  formatInterval,
  fromBase64Url,
  parseDirectory,
  type Token,
  TokenChallenge,
  TokenResponse,
  toBase64Url,
} from "@blindgate/sdk/protocol/internal";
import { exportGrantJwks, intervalFromBirthDate } from "@blindgate/sdk/provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../../functions/local/gateway.js";
import { issue, makeGrant, type TestProvider } from "./client.js";

/*
 * A person walks through their 16th and 18th birthdays on a simulated clock, against the real gateway (dynalite,
 * HTTP, the default bands and band epochs). Every day they verify again with a provider that computes the grant from
 * their birth date (intervalFromBirthDate), and greedily ask for every key the directory lists — one grant per key,
 * so the gateway alone decides — plus a credential and a refill of every band key. Twice a day (13:00 and 01:00
 * UTC) they try each room with every key they hold a token of, until the gateway lets them in. The claims:
 *   - the 13–15 tokens die before the 16th birthday, the 13–17 and 16–17 tokens before the 18th (at the earliest
 *     instant anywhere on Earth: 14 hours before the birthday's UTC midnight);
 *   - at no instant does the gateway let them into both the teen room [13,18) and the adult room [18,∞);
 *   - the gaps without a teen room before a birthday are short (measured and printed; bounded below).
 */

const HOUR = 3600;
const DAY = 86_400;
const BIRTH = "2014-06-10";
const BIRTHDAY_16 = Date.UTC(2030, 5, 10) / 1000;
const BIRTHDAY_18 = Date.UTC(2032, 5, 10) / 1000;
/** The earliest instant the person turns N anywhere (UTC+14). */
const EARLIEST = (birthday: number) => birthday - 14 * HOUR;
const BEFORE = 12; // days walked before each birthday
const AFTER = 3; // and after
/** Hours between two tries of the rooms (the walk's resolution). */
const STEP = 12;

const ROOMS: Record<"young" | "teen" | "adult", AgeInterval> = {
  young: { from: 13, below: 16 },
  teen: { from: 13, below: 18 },
  adult: { from: 18 },
};

interface Held {
  token: Token;
  interval: AgeInterval;
  notAfter: number;
  keyHex: string;
}

interface DirKey {
  tokenKey: Uint8Array;
  interval: AgeInterval;
  notBefore: number;
  notAfter: number;
}

let gateway: LocalGateway;
let provider: TestProvider;
let siteKey: string;
let clock = BIRTHDAY_16 - BEFORE * DAY + 13 * HOUR;

beforeAll(async () => {
  gateway = await startLocalGateway({ wallet: false, now: () => clock });
  const p = await (await import("./client.js")).registerProvider(gateway, "walk-base");
  provider = { id: "walk-provider", key: p.key };
  await gateway.addProvider({
    id: provider.id,
    name: "Birth-date provider",
    verifyUrl: "http://127.0.0.1:9/walk",
    jwks: await exportGrantJwks(p.key),
    bands: ["13-16", "16-18", "13-18"],
  });
  siteKey = (await gateway.addSite("walk-site")).apiKey;
}, 120_000);
afterAll(async () => gateway?.close());

async function directoryKeys(): Promise<DirKey[]> {
  const d = parseDirectory(await (await fetch(`${gateway.url}${DIRECTORY_PATH}`)).json());
  return d.tokenKeys.map((k) => ({
    tokenKey: k.tokenKey,
    interval: { from: k.ageOver!, below: k.ageBelow },
    notBefore: k.notBefore!,
    notAfter: k.notAfter!,
  }));
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").slice(-16);

async function post(path: string, body: unknown, bearer?: string) {
  const res = await fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

/** One day's greedy acquisition: every key by grant, then a credential and a refill of every band key. */
async function acquire(held: Held[]): Promise<{ claims: string; got: Set<string> }> {
  const now = clock;
  const claims = intervalFromBirthDate(BIRTH, new Date(now * 1000));
  const grantClaims = {
    age_over: claims.ageOver,
    ...(claims.ageBelow === undefined ? {} : { age_below: claims.ageBelow, below_until: claims.belowUntil }),
  };
  const keys = (await directoryKeys()).filter((k) => k.notBefore <= now);
  const got = new Set<string>();
  for (const key of keys) {
    const grant = await makeGrant(gateway, provider, { ...grantClaims, max_tokens: 4 });
    const r = await issue(gateway, grant, [key.tokenKey, key.tokenKey, key.tokenKey, key.tokenKey]);
    if (r.status !== 200) continue;
    for (const token of r.tokens) {
      held.push({ token: token!, interval: key.interval, notAfter: key.notAfter, keyHex: hex(key.tokenKey) });
    }
    got.add(formatInterval(key.interval));
  }
  // a credential, then one refill per band key, each paid by the change of the one before
  const params = creditParams(gateway.issuerName);
  const { request, state } = beginCredential(params);
  const answer = await post(
    "/v1/credential",
    { credit: toBase64Url(request) },
    await makeGrant(gateway, provider, { ...grantClaims, max_tokens: 100 }),
  );
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  const creditKeyId = answer.json.creditKeyId as string;
  const dir = parseDirectory(await (await fetch(`${gateway.url}${DIRECTORY_PATH}`)).json());
  let actKey: Uint8Array | undefined;
  for (const k of dir.creditKeys ?? []) {
    const id = Buffer.from(await crypto.subtle.digest("SHA-256", k.actKey.slice())).toString("hex");
    if (id === creditKeyId) actKey = k.actKey;
  }
  let credential = finishCredential(params, actKey!, state, fromBase64Url(answer.json.credit as string));
  const challenge = TokenChallenge.crossOrigin(gateway.issuerName).encode();
  for (const key of keys.filter((k) => k.interval.below !== undefined)) {
    const spend = beginRefill(params, credential, 1);
    const begun = await beginIssuance({ challenge, tokenKey: key.tokenKey });
    const res = await post("/v1/refill", {
      creditKeyId,
      proof: toBase64Url(spend.proof),
      tokens: toBase64Url(encodeBatchRequest([{ tokenType: 2, request: begun.request.encode() }])),
    });
    if (res.status !== 200) continue; // refused before anything was spent: the credential is still whole
    credential = finishRefill(
      params,
      actKey!,
      spend.proof,
      spend.state,
      fromBase64Url(res.json.refund as string),
    );
    const item = decodeBatchResponse(fromBase64Url(res.json.tokens as string))[0]!;
    const token = await finishIssuance(begun.pending, TokenResponse.decode(item.response));
    held.push({ token, interval: key.interval, notAfter: key.notAfter, keyHex: hex(key.tokenKey) });
    got.add(`${formatInterval(key.interval)} (refill)`);
  }
  const credentialInterval = formatInterval({
    from: answer.json.ageOver as number,
    below: answer.json.ageBelow as number | undefined,
  });
  const said =
    claims.ageBelow === undefined
      ? `age_over ${claims.ageOver}`
      : `[${claims.ageOver},${claims.ageBelow}) until ${new Date(claims.belowUntil! * 1000).toISOString().slice(5, 10)}`;
  return { claims: `${said}; credential ${credentialInterval}`, got };
}

/**
 * Try a room with one token of each key held until the gateway lets them in: widest interval first, as the wallet
 * presents the widest band inside what a room asks (a threshold first of all: the gateway must refuse it in a band
 * room), oldest token first.
 */
async function tryRoom(held: Held[], room: AgeInterval): Promise<boolean> {
  const byKey = new Map<string, Held>();
  for (const h of held) if (!byKey.has(h.keyHex)) byKey.set(h.keyHex, h);
  const width = (i: AgeInterval) => (i.below ?? Number.POSITIVE_INFINITY) - i.from;
  const order = [...byKey.values()].sort((a, b) => width(b.interval) - width(a.interval));
  for (const h of order) {
    const res = await post(
      "/v1/check",
      {
        token: toBase64Url(h.token.encode()),
        minAge: room.from,
        ...(room.below === undefined ? {} : { ageBelow: room.below }),
      },
      siteKey,
    );
    if (res.status === 200) {
      held.splice(held.indexOf(h), 1); // spent
      // what the gateway accepted is inside the room, by the contract's rule
      expect(contains(room, h.interval)).toBe(true);
      return true;
    }
  }
  return false;
}

describe("birthday walk", () => {
  it("through the 16th and 18th birthdays: band tokens die before each birthday, never both rooms at once", async () => {
    const held: Held[] = [];
    const table: string[] = [];
    const samples: { at: number; young: boolean; teen: boolean; adult: boolean }[] = [];
    const pad = (s: string, n: number) => s.padEnd(n);
    table.push(
      `${pad("day", 5)}${pad("date 13:00Z", 13)}${pad("grant (intervalFromBirthDate); credential", 44)}${pad("the gateway issued", 50)}rooms at 13h, 01h`,
    );
    const walk = async (birthday: number) => {
      clock = birthday - BEFORE * DAY + 13 * HOUR;
      for (let day = -BEFORE; day <= AFTER; day++) {
        await gateway.rotate();
        const { claims, got } = await acquire(held);
        const rooms: string[] = [];
        for (let h = 0; h < DAY / HOUR / STEP; h++) {
          const sample = {
            at: clock,
            young: await tryRoom(held, ROOMS.young),
            teen: await tryRoom(held, ROOMS.teen),
            adult: await tryRoom(held, ROOMS.adult),
          };
          samples.push(sample);
          rooms.push(`${sample.young ? "Y" : "·"}${sample.teen ? "T" : "·"}${sample.adult ? "A" : "·"}`);
          // THE property: never the teen room and the adult room at the same instant
          expect(sample.teen && sample.adult, `both rooms at ${new Date(clock * 1000).toISOString()}`).toBe(
            false,
          );
          clock += STEP * HOUR;
        }
        table.push(
          `${pad(String(day), 5)}${pad(new Date((clock - DAY) * 1000).toISOString().slice(0, 10), 13)}${pad(claims, 44)}${pad([...got].join(", "), 50)}${rooms.join(" ")}`,
        );
        // drop what no room can take any more (the wallet's own housekeeping)
        for (let i = held.length - 1; i >= 0; i--) if (held[i]!.notAfter <= clock) held.splice(i, 1);
      }
      table.push("…");
    };
    await walk(BIRTHDAY_16);
    await walk(BIRTHDAY_18);
    console.log(
      `\nBirthday walk: born ${BIRTH}; Y = 13–15 room entered, T = teen room 13–17, A = adult room 18+, · = refused\n${table.join("\n")}`,
    );

    // Every band token the gateway ever let in died before the birthday that ends its band (earliest time zone).
    const keys = samples.length; // the walk ran
    expect(keys).toBe(2 * (BEFORE + AFTER + 1) * (DAY / HOUR / STEP));
    const young = samples.filter((s) => s.young).map((s) => s.at);
    const teen = samples.filter((s) => s.teen).map((s) => s.at);
    const adult = samples.filter((s) => s.adult).map((s) => s.at);
    expect(Math.max(...young)).toBeLessThan(EARLIEST(BIRTHDAY_16));
    expect(Math.max(...teen)).toBeLessThan(EARLIEST(BIRTHDAY_18));
    expect(Math.min(...adult)).toBeGreaterThanOrEqual(BIRTHDAY_18);
    // and the rooms were open when they should be: the gap before each birthday is under two days
    const gapBefore = (birthday: number, entered: number[]) =>
      (birthday - Math.max(...entered.filter((t) => t < birthday))) / HOUR;
    const firstAfter = (birthday: number, entered: number[]) =>
      (Math.min(...entered.filter((t) => t >= birthday)) - birthday) / HOUR;
    const gaps = {
      lastYoungBefore16: gapBefore(BIRTHDAY_16, young),
      lastTeenBefore16: gapBefore(BIRTHDAY_16, teen),
      firstTeenAfter16: firstAfter(BIRTHDAY_16, teen),
      lastTeenBefore18: gapBefore(BIRTHDAY_18, teen),
      firstAdultAfter18: firstAfter(BIRTHDAY_18, adult),
    };
    console.log(
      `hours between the last entry and the birthday (and the birthday and the first entry): ${JSON.stringify(gaps)}`,
    );
    // one band epoch (24 h) plus the day below_until keeps clear of every time zone, plus the walk's step
    const gap = 24 + 24 + STEP;
    expect(gaps.lastYoungBefore16).toBeLessThanOrEqual(gap);
    expect(gaps.lastTeenBefore16).toBeLessThanOrEqual(gap);
    expect(gaps.lastTeenBefore18).toBeLessThanOrEqual(gap);
    // after a birthday the next band (or 18+) needs the birthday to have reached every time zone: 12 h, + the step
    expect(gaps.firstTeenAfter16).toBeLessThanOrEqual(12 + STEP);
    expect(gaps.firstAdultAfter18).toBeLessThanOrEqual(12 + STEP);
    // the teen room was open on every sample between those gaps
    const openTeen = samples.filter(
      (s) =>
        (s.at < BIRTHDAY_16 - gap * HOUR && s.at > BIRTHDAY_16 - BEFORE * DAY) ||
        (s.at > BIRTHDAY_16 + (12 + STEP) * HOUR && s.at < BIRTHDAY_16 + AFTER * DAY) ||
        (s.at > BIRTHDAY_18 - BEFORE * DAY && s.at < BIRTHDAY_18 - gap * HOUR),
    );
    expect(openTeen.every((s) => s.teen)).toBe(true);
  }, 600_000);
});
