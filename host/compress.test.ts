import { describe, expect, it } from "vitest";
import { OutputLimitError, compress, concatBytes, decompress } from "./compress";

describe("compress/decompress", () => {
  const data = new Uint8Array(200_000).map((_, i) => (i * 7) % 251 < 20 ? i & 0xff : 0);

  it.each(["gzip", "deflate-raw"] as const)("round-trips %s and shrinks repetitive data", async (format) => {
    const packed = await compress(data, format);
    expect(packed.length).toBeLessThan(data.length / 4);
    expect(await decompress(packed, format, data.length)).toEqual(data);
  });

  it("stops at the limit instead of unpacking a bomb", async () => {
    const bomb = await compress(new Uint8Array(50_000_000), "gzip");
    expect(bomb.length).toBeLessThan(100_000);
    await expect(decompress(bomb, "gzip", 1_000_000)).rejects.toBeInstanceOf(OutputLimitError);
  });

  it("rejects data in another format, and garbage", async () => {
    const packed = await compress(data, "gzip");
    await expect(decompress(packed, "deflate-raw", data.length)).rejects.toThrow();
    await expect(decompress(new Uint8Array([1, 2, 3, 4, 5]), "gzip", 100)).rejects.toThrow();
  });

  it("joins byte arrays in order", () => {
    expect(concatBytes([new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3])])).toEqual(new Uint8Array([1, 2, 3]));
    expect(concatBytes([])).toEqual(new Uint8Array(0));
  });
});
