import {
  DecodeError,
  decodeVarint,
  decodeVarintBigInt,
  encodeVarint,
  fromHex,
  MAX_VARINT,
  toHex,
  varintLength,
} from "@blindgate/sdk/protocol/internal";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("varint: RFC 9000 Appendix A.1 examples", () => {
  it.each([
    ["c2197c5eff14e88c", 151288809941952652n],
    ["9d7f3e7d", 494878333n],
    ["7bbd", 15293n],
    ["25", 37n],
  ])("%s <-> %s", (hex, value) => {
    expect(decodeVarintBigInt(fromHex(hex))).toEqual({ value, length: hex.length / 2 });
    expect(toHex(encodeVarint(value))).toBe(hex);
  });

  it("refuses the RFC's two-byte encoding of 37 (4025): the draft requires the minimal encoding", () => {
    expect(() => decodeVarint(fromHex("4025"))).toThrow(
      expect.objectContaining({ code: "ERR_DECODE_VALUE" }),
    );
    expect(() => decodeVarintBigInt(fromHex("4025"))).toThrow(DecodeError);
  });
});

describe("varint: boundaries", () => {
  it.each([
    [0, "00"],
    [63, "3f"],
    [64, "4040"],
    [16383, "7fff"],
    [16384, "80004000"],
    [1073741823, "bfffffff"],
    [1073741824, "c000000040000000"],
    [Number.MAX_SAFE_INTEGER, "c01fffffffffffff"],
  ])("%d encodes as %s and back", (value, hex) => {
    expect(toHex(encodeVarint(value))).toBe(hex);
    expect(varintLength(value)).toBe(hex.length / 2);
    expect(decodeVarint(fromHex(hex))).toEqual({ value, length: hex.length / 2 });
  });

  it("covers the whole 62-bit range as bigint", () => {
    expect(toHex(encodeVarint(MAX_VARINT))).toBe("ffffffffffffffff");
    expect(decodeVarintBigInt(fromHex("ffffffffffffffff")).value).toBe(MAX_VARINT);
  });

  it("refuses values a number cannot hold exactly in decodeVarint", () => {
    expect(() => decodeVarint(fromHex("c020000000000000"))).toThrow(
      expect.objectContaining({ code: "ERR_DECODE_VALUE" }),
    );
  });

  it.each([
    ["a negative number", -1],
    ["a fraction", 1.5],
    ["an unsafe number", 2 ** 53],
    ["NaN", Number.NaN],
    ["2^62", 1n << 62n],
    ["a negative bigint", -1n],
  ])("refuses to encode %s", (_, value) => {
    expect(() => encodeVarint(value)).toThrow(expect.objectContaining({ code: "ERR_ENCODE_VALUE" }));
  });

  it.each([
    ["nothing", ""],
    ["a truncated 2-byte varint", "40"],
    ["a truncated 4-byte varint", "800000"],
    ["a truncated 8-byte varint", "c0000000000000"],
  ])("refuses %s as ERR_DECODE_LENGTH", (_, hex) => {
    expect(() => decodeVarint(fromHex(hex))).toThrow(expect.objectContaining({ code: "ERR_DECODE_LENGTH" }));
    expect(() => decodeVarintBigInt(fromHex(hex))).toThrow(
      expect.objectContaining({ code: "ERR_DECODE_LENGTH" }),
    );
  });

  it.each([["4000"], ["8000003f"], ["c000000000003fff"], ["c00000003fffffff"]])(
    "refuses the non-minimal %s",
    (hex) => {
      expect(() => decodeVarintBigInt(fromHex(hex))).toThrow(
        expect.objectContaining({ code: "ERR_DECODE_VALUE" }),
      );
    },
  );

  it("reads at an offset of a subarray", () => {
    const outer = fromHex("ffff7bbdffff");
    const view = outer.subarray(1, 5); // ff 7b bd ff
    expect(decodeVarint(view, 1)).toEqual({ value: 15293, length: 2 });
  });
});

describe("varint: properties", () => {
  const value = fc.bigInt({ min: 0n, max: MAX_VARINT });

  it("decode(encode(v)) = v with the minimal length, from any offset", () => {
    fc.assert(
      fc.property(
        value,
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        (v, before, after) => {
          const encoded = encodeVarint(v);
          const outer = new Uint8Array([...before, ...encoded, ...after]);
          expect(decodeVarintBigInt(outer.subarray(before.length), 0)).toEqual({
            value: v,
            length: encoded.length,
          });
          expect(decodeVarintBigInt(outer, before.length).value).toBe(v);
          const minimal = v <= 63n ? 1 : v <= 16383n ? 2 : v <= 1073741823n ? 4 : 8;
          expect(encoded.length).toBe(minimal);
        },
      ),
    );
  });

  it("numbers and bigints agree", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(toHex(encodeVarint(n))).toBe(toHex(encodeVarint(BigInt(n))));
        expect(decodeVarint(encodeVarint(n)).value).toBe(n);
      }),
    );
  });

  it("random bytes decode to a canonical varint or throw DecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10 }), (bytes) => {
        try {
          const { value: v, length } = decodeVarintBigInt(bytes);
          expect(toHex(encodeVarint(v))).toBe(toHex(bytes.subarray(0, length)));
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
        try {
          decodeVarint(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});
