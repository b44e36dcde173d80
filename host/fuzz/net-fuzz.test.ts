// Malformed frames for netd (host/fuzz/net-frames.ts, docs/fuzzing.md
// "Frames"): a fixed budget of seeds; each run checks no panic, netd alive
// and answering (a ping), and every frame of memory back. KEEL_FUZZ_FRAMES
// and KEEL_FUZZ_NET_SEEDS make it longer.
import { describe, expect, it } from "vitest";
import { fuzzFrame, Rng, runNetFuzz } from "./net-frames.js";

const FRAMES = Number(process.env.KEEL_FUZZ_FRAMES ?? 1500);
const SEEDS = Number(process.env.KEEL_FUZZ_NET_SEEDS ?? 2);

describe("the frame fuzzer", () => {
  it("is a pure function of its seed, and reaches every layer", () => {
    const a = new Rng(9), b = new Rng(9);
    const frames = Array.from({ length: 300 }, () => fuzzFrame(a));
    expect(Array.from({ length: 300 }, () => fuzzFrame(b))).toEqual(frames);
    const types = new Set(frames.filter((f) => f.length >= 34 && f[12] === 8 && f[13] === 0).map((f) => f[23]));
    expect([...types].sort((x, y) => x! - y!)).toEqual(expect.arrayContaining([1, 6, 17]));
    expect(frames.some((f) => f[12] === 8 && f[13] === 6)).toBe(true);
    expect(frames.some((f) => f.length >= 34 && f[12] === 8 && f[13] === 0 && (f[26] === 127 || f[30] === 127))).toBe(true); // martians
  });

  it(`${SEEDS} seeds of ${FRAMES} malformed frames: no panic, netd still answers a ping, every frame of memory back`, () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = runNetFuzz(seed, FRAMES);
      expect(r.ping).toContain("1 packets transmitted, 1 received");
      // The junk reached netd's parsers and was counted there.
      const n = (re: RegExp) => Number(re.exec(r.ifconfig)?.[1] ?? NaN);
      expect(n(/ip in \d+ bad (\d+)/), r.ifconfig).toBeGreaterThan(0);
      expect(n(/udp in \d+ sent \d+ bad (\d+)/), r.ifconfig).toBeGreaterThan(0);
      expect(n(/icmp bad (\d+)/), r.ifconfig).toBeGreaterThan(0);
      expect(n(/udp in (\d+)/), r.ifconfig).toBeGreaterThan(0); // sound datagrams reached the bound port
      expect(n(/tcp: segments in \d+ sent \d+ bad (\d+)/), r.ifconfig).toBeGreaterThan(0);
      expect(n(/resets-sent (\d+)/), r.ifconfig).toBeGreaterThan(0); // sound segments for no connection got their RST
      expect(n(/lo: inet 127\.0\.0\.1\/8 loopback\n {2}packets (\d+)/), r.ifconfig).toBe(0); // no frame from the wire went round through lo
    }
  }, 240_000);
});
