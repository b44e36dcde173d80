// Bulk TCP between two Keel machines in one Node process on the virtual
// switch (docs/network.md "Tests"): A's `pattern` writes a deterministic
// stream into nc, B's nc hands what arrives to `pattern -v`, which checks
// every byte in order and the length: 16 MiB on a clean wire.
//
// The receiver runs `nc -d`: without it nc -l also copies its standard
// input (the console, whose input never ends) to the peer, so it never
// closes its side, the sender's nc waits for that close for ever, and the
// test times out: the hang of the session that first tried this.

import { describe, expect, it } from "vitest";
import { bootPair, runBoth, shellBoth } from "./testing/net-pair.js";

/** Sends `bytes` of pattern SEED from A to B over TCP; returns what B's check printed. */
function transfer(pair: ReturnType<typeof bootPair>, bytes: number, seed: number, port: number, maxMs: number): { sender: string; receiver: string } {
  const { sw, a, b } = pair;
  const mark = b.output.length;
  b.machine.input(`nc -d -l ${port} | pattern -v ${bytes} ${seed}\r`);
  runBoth(a, b, sw, () => b.since(mark).includes("\n"));
  const sender = shellBoth(a, b, sw, `pattern ${bytes} ${seed} | nc 10.0.0.2 ${port}`, maxMs);
  runBoth(a, b, sw, () => /\n\$ $/.test(b.since(mark)), maxMs);
  return { sender, receiver: b.since(mark) };
}

describe("bulk TCP between two machines", () => {
  it("16 MiB arrive whole and in order, and the machines ping each other", () => {
    const pair = bootPair();
    const { sw, a, b } = pair;
    const { sender, receiver } = transfer(pair, 16 << 20, 7, 5000, 240_000);
    expect(receiver).toContain("nc: connection from 10.0.0.1:49152\n");
    expect(receiver).toContain("pattern: 16777216 bytes ok\n");
    expect(sender).not.toMatch(/nc:|pattern:/); // no error on the sending side
    expect(shellBoth(a, b, sw, "ping -c 2 10.0.0.2")).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(shellBoth(b, a, sw, "ping -c 2 10.0.0.1")).toContain("2 packets transmitted, 2 received, 0% packet loss");
  }, 300_000);

  it("a wrong byte, a short stream and a long one are each caught by pattern -v (the check can fail)", () => {
    const pair = bootPair();
    const { sw, a, b } = pair;
    expect(shellBoth(a, b, sw, "pattern 5000 3 | pattern -v 5000 3")).toContain("pattern: 5000 bytes ok");
    expect(shellBoth(a, b, sw, "pattern 5000 3 | pattern -v 5000 4")).toMatch(/pattern: byte 0 is \d+, not \d+/);
    expect(shellBoth(a, b, sw, "pattern 4999 3 | pattern -v 5000 3")).toContain("pattern: input ended after 4999 of 5000 bytes");
    expect(shellBoth(a, b, sw, "pattern 5001 3 | pattern -v 5000 3")).toContain("pattern: more than 5000 bytes");
  });

});
