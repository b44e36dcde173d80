import { describe, expect, it } from "vitest";
import { matchesFilter, packetLine } from "./net-panel";
import { decodeFrame } from "../../host/net/decode";

describe("the packet log's filter", () => {
  it("keeps a line holding every word, in any case, and everything for an empty filter", () => {
    const line = "  1.20 s out   98 B  ICMP 10.0.0.2 → 10.0.0.3 echo request id=1 seq=1 len=64 ttl=64";
    expect(matchesFilter(line, "")).toBe(true);
    expect(matchesFilter(line, "   ")).toBe(true);
    expect(matchesFilter(line, "icmp")).toBe(true);
    expect(matchesFilter(line, "ECHO 10.0.0.3")).toBe(true);
    expect(matchesFilter(line, "echo tcp")).toBe(false);
    expect(matchesFilter(line, "reply")).toBe(false);
  });

  it("a row names the direction, length and decoded summary", () => {
    const row = { seq: 0, timeNs: 2e6, dir: "in" as const, decoded: decodeFrame(new Uint8Array(14)) };
    expect(packetLine(row)).toBe("    2 ms in    14 B  00:00:00:00:00:00 → 00:00:00:00:00:00 0x0000 14 bytes");
  });
});
