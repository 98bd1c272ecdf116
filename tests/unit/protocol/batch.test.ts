import { readFileSync } from "node:fs";
import {
  type BatchRequestItem,
  type BatchResponseItem,
  DEFAULT_MAX_BATCH_ITEMS,
  decodeBatchRequest,
  decodeBatchResponse,
  encodeBatchRequest,
  encodeBatchResponse,
  encodeVarint,
  fromHex,
  GENERIC_BATCH_REQUEST_MEDIA_TYPE,
  GENERIC_BATCH_RESPONSE_MEDIA_TYPE,
  ProtocolError,
  TOKEN_REQUEST_LENGTH,
  TOKEN_RESPONSE_LENGTH,
  toHex,
} from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

interface BatchVector {
  issuance: { type: string }[];
  token_request: string;
  token_response: string;
}
const vectors = JSON.parse(
  readFileSync(new URL("../../vectors/batched-tokens-generic.json", import.meta.url), "utf8"),
) as BatchVector[];

const requestOf = (tokenType: number, fill: number): BatchRequestItem => {
  const request = new Uint8Array(TOKEN_REQUEST_LENGTH[tokenType]!).fill(fill);
  request[0] = tokenType >> 8;
  request[1] = tokenType & 0xff;
  return { tokenType, request };
};
const responseOf = (tokenType: number, fill: number): BatchResponseItem => ({
  tokenType,
  response: new Uint8Array(TOKEN_RESPONSE_LENGTH[tokenType]!).fill(fill),
});

describe("generic batch: draft-ietf-privacypass-batched-tokens vectors", () => {
  describe.each(vectors.map((v) => [v.issuance.map((i) => i.type).join(","), v] as const))(
    "types [%s]",
    (_, v) => {
      const types = v.issuance.map((i) => Number.parseInt(i.type, 16));

      it("decodes the request into TokenRequests of the listed types and re-encodes it byte-exactly", () => {
        const bytes = fromHex(v.token_request);
        const items = decodeBatchRequest(bytes);
        expect(items.map((i) => i.tokenType)).toEqual(types);
        // After the varint length, the items are the TokenRequests back to back, each starting with its type.
        const prefix = encodeVarint(bytes.length - encodeVarint(bytes.length).length).length;
        let offset = prefix;
        for (const item of items) {
          expect(item.request).toHaveLength(TOKEN_REQUEST_LENGTH[item.tokenType]!);
          expect(toHex(item.request)).toBe(toHex(bytes.subarray(offset, offset + item.request.length)));
          expect(toHex(item.request.subarray(0, 2))).toBe(item.tokenType.toString(16).padStart(4, "0"));
          offset += item.request.length;
        }
        expect(offset).toBe(bytes.length);
        expect(toHex(encodeBatchRequest(items))).toBe(v.token_request);
      });

      it("decodes the response into present TokenResponses of the listed types and re-encodes it byte-exactly", () => {
        const items = decodeBatchResponse(fromHex(v.token_response));
        expect(items.map((i) => i?.tokenType)).toEqual(types);
        for (const item of items)
          expect(item?.response).toHaveLength(TOKEN_RESPONSE_LENGTH[item?.tokenType ?? -1]!);
        expect(toHex(encodeBatchResponse(items))).toBe(v.token_response);
      });

      it("decodes from a subarray of a larger buffer", () => {
        for (const hex of [v.token_request, v.token_response]) {
          const inner = fromHex(hex);
          const outer = new Uint8Array(inner.length + 9).fill(0xff);
          outer.set(inner, 5);
          const view = outer.subarray(5, 5 + inner.length);
          const again =
            hex === v.token_request
              ? encodeBatchRequest(decodeBatchRequest(view))
              : encodeBatchResponse(decodeBatchResponse(view));
          expect(toHex(again)).toBe(hex);
        }
      });
    },
  );

  it("has the draft's media types and RFC 9578 sizes", () => {
    expect(GENERIC_BATCH_REQUEST_MEDIA_TYPE).toBe("application/private-token-generic-batch-request");
    expect(GENERIC_BATCH_RESPONSE_MEDIA_TYPE).toBe("application/private-token-generic-batch-response");
    expect([TOKEN_REQUEST_LENGTH[1], TOKEN_REQUEST_LENGTH[2]]).toEqual([52, 259]);
    expect([TOKEN_RESPONSE_LENGTH[1], TOKEN_RESPONSE_LENGTH[2]]).toEqual([145, 256]);
  });
});

describe("generic batch: responses with absent entries (206)", () => {
  it("encodes null as a single 0x00 and decodes it back", () => {
    const items = [responseOf(2, 0xaa), null, responseOf(1, 0xbb), null];
    const bytes = encodeBatchResponse(items);
    // 1 + 2 + 256, 1, 1 + 2 + 145, 1 = 409 = varint 41 99
    expect(toHex(bytes.subarray(0, 5))).toBe("4199010002");
    expect(bytes[2 + 259]).toBe(0);
    expect(bytes.length).toBe(2 + 409);
    const decoded = decodeBatchResponse(bytes);
    expect(decoded.map((d) => d && [d.tokenType, d.response[0]])).toEqual([[2, 0xaa], null, [1, 0xbb], null]);
  });

  it("accepts bare TokenResponse bytes and infers the type from the length", () => {
    const typed = [responseOf(2, 0xaa), null, responseOf(1, 0xbb)];
    const bare = typed.map((t) => (t === null ? null : t.response));
    expect(toHex(encodeBatchResponse(bare))).toBe(toHex(encodeBatchResponse(typed)));
    expect(() => encodeBatchResponse([new Uint8Array(100)])).toThrow(
      expect.objectContaining({ code: "ERR_ENCODE_VALUE" }),
    );
  });

  it("encodes an all-absent response", () => {
    expect(toHex(encodeBatchResponse([null, null]))).toBe("020000");
    expect(decodeBatchResponse(fromHex("020000"))).toEqual([null, null]);
  });
});

describe("generic batch: refusals", () => {
  const two = encodeBatchRequest([requestOf(2, 1), requestOf(2, 2)]);
  const twoResponses = encodeBatchResponse([responseOf(2, 1), null]);

  it.each([
    ["an empty body", "", "ERR_DECODE_LENGTH"],
    ["an empty batch", "00", "ERR_DECODE_VALUE"],
    ["a length beyond the body", toHex(two).replace(/^4206/, "4207"), "ERR_DECODE_LENGTH"],
    ["a trailing byte", `${toHex(two)}00`, "ERR_DECODE_TRAILING"],
    ["a non-minimal length", `80000206${toHex(two).slice(4)}`, "ERR_DECODE_VALUE"],
    ["an item cut short", `4105${toHex(two).slice(4, 4 + 2 * 261)}`, "ERR_DECODE_LENGTH"],
    ["a single byte item", "0100", "ERR_DECODE_LENGTH"],
    ["an unregistered token type", `4103${"aaaa"}${"00".repeat(257)}`, "ERR_UNSUPPORTED_TOKEN_TYPE"],
  ])("request: %s", (_, hex, code) => {
    expect(() => decodeBatchRequest(fromHex(hex))).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ["an empty list", "00", "ERR_DECODE_VALUE"],
    ["a presence octet of 2", "0102", "ERR_DECODE_VALUE"],
    ["a present item without a type", "0101", "ERR_DECODE_LENGTH"],
    ["a present item cut short", "0401000200", "ERR_DECODE_LENGTH"],
    ["an unregistered token type", `41030100aa${"00".repeat(256)}`, "ERR_UNSUPPORTED_TOKEN_TYPE"],
    ["a trailing byte", `${toHex(twoResponses)}00`, "ERR_DECODE_TRAILING"],
  ])("response: %s", (_, hex, code) => {
    expect(() => decodeBatchResponse(fromHex(hex))).toThrow(expect.objectContaining({ code }));
  });

  it("refuses batches larger than maxItems with ERR_BATCH_TOO_LARGE", () => {
    expect(decodeBatchRequest(two, { maxItems: 2 })).toHaveLength(2);
    expect(() => decodeBatchRequest(two, { maxItems: 1 })).toThrow(
      expect.objectContaining({ code: "ERR_BATCH_TOO_LARGE" }),
    );
    expect(() => decodeBatchResponse(twoResponses, { maxItems: 1 })).toThrow(
      expect.objectContaining({ code: "ERR_BATCH_TOO_LARGE" }),
    );
    const absent = encodeBatchResponse(Array.from({ length: DEFAULT_MAX_BATCH_ITEMS + 1 }, () => null));
    expect(() => decodeBatchResponse(absent)).toThrow(
      expect.objectContaining({ code: "ERR_BATCH_TOO_LARGE" }),
    );
  });

  it("refuses a huge declared length up front, before reading items", () => {
    // Zero bytes would read as token type 0x0000 (ERR_UNSUPPORTED_TOKEN_TYPE) if any item were read.
    const huge = new Uint8Array(4 + 259 * 1025);
    huge.set(encodeVarint(259 * 1025), 0);
    expect(() => decodeBatchRequest(huge)).toThrow(expect.objectContaining({ code: "ERR_BATCH_TOO_LARGE" }));
  });

  it.each<[string, BatchRequestItem[], string]>([
    ["an empty list", [], "ERR_ENCODE_VALUE"],
    ["a wrong length", [{ tokenType: 2, request: new Uint8Array(258) }], "ERR_ENCODE_VALUE"],
    ["a request of another type", [{ tokenType: 2, request: requestOf(1, 0).request }], "ERR_ENCODE_VALUE"],
    ["a mismatching type prefix", [{ tokenType: 1, request: new Uint8Array(52) }], "ERR_ENCODE_VALUE"],
    ["an unknown type", [{ tokenType: 5, request: new Uint8Array(35) }], "ERR_UNSUPPORTED_TOKEN_TYPE"],
  ])("encodeBatchRequest refuses %s", (_, items, code) => {
    expect(() => encodeBatchRequest(items)).toThrow(expect.objectContaining({ code }));
  });

  it.each<[string, (BatchResponseItem | null)[], string]>([
    ["an empty list", [], "ERR_ENCODE_VALUE"],
    ["a wrong length", [{ tokenType: 2, response: new Uint8Array(255) }], "ERR_ENCODE_VALUE"],
    ["an unknown type", [{ tokenType: 0x10000, response: new Uint8Array(0) }], "ERR_UNSUPPORTED_TOKEN_TYPE"],
  ])("encodeBatchResponse refuses %s", (_, items, code) => {
    expect(() => encodeBatchResponse(items)).toThrow(expect.objectContaining({ code }));
  });
});

describe("generic batch: properties", () => {
  const tokenType = fc.constantFrom(1, 2);
  const requestItem = fc
    .tuple(tokenType, fc.uint8Array({ minLength: 257, maxLength: 257 }))
    .map(([t, body]) => {
      const request = new Uint8Array(TOKEN_REQUEST_LENGTH[t]!);
      request.set(body.subarray(0, request.length - 2), 2);
      request[1] = t;
      return { tokenType: t, request };
    });
  const responseItem = fc.option(
    fc.tuple(tokenType, fc.uint8Array({ minLength: 256, maxLength: 256 })).map(([t, body]) => ({
      tokenType: t,
      response: body.subarray(0, TOKEN_RESPONSE_LENGTH[t]!),
    })),
  );

  it("requests round-trip, also from an offset view", () => {
    fc.assert(
      fc.property(
        fc.array(requestItem, { minLength: 1, maxLength: 70 }),
        fc.nat({ max: 7 }),
        (items, pad) => {
          const bytes = encodeBatchRequest(items);
          const outer = new Uint8Array(bytes.length + pad);
          outer.set(bytes, pad);
          const decoded = decodeBatchRequest(outer.subarray(pad));
          expect(decoded.map((d) => [d.tokenType, toHex(d.request)])).toEqual(
            items.map((i) => [i.tokenType, toHex(i.request)]),
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it("responses round-trip", () => {
    fc.assert(
      fc.property(fc.array(responseItem, { minLength: 1, maxLength: 70 }), (items) => {
        const decoded = decodeBatchResponse(encodeBatchResponse(items));
        expect(decoded.map((d) => d && [d.tokenType, toHex(d.response)])).toEqual(
          items.map((i) => i && [i.tokenType, toHex(i.response)]),
        );
      }),
      { numRuns: 50 },
    );
  });

  it("random bytes only ever throw ProtocolError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        for (const decode of [decodeBatchRequest, decodeBatchResponse]) {
          try {
            decode(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("mutated vectors only ever throw ProtocolError, or decode to something that re-encodes exactly", () => {
    const samples = vectors.flatMap((v) => [fromHex(v.token_request), fromHex(v.token_response)]);
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: -3, max: 3 }),
        (sample, edits, resize) => {
          const bytes = new Uint8Array(Math.max(0, sample.length + resize));
          bytes.set(sample.subarray(0, bytes.length));
          for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
          try {
            expect(toHex(encodeBatchRequest(decodeBatchRequest(bytes)))).toBe(toHex(bytes));
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
          try {
            expect(toHex(encodeBatchResponse(decodeBatchResponse(bytes)))).toBe(toHex(bytes));
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
