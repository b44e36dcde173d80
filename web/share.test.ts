import { describe, expect, it } from "vitest";
import type { ReplayEvent } from "../host/replay";
import {
  ShareLinkError, checkRun, decodeSession, encodeSession, exactLink, fromBase64Url, packSession, pageBase, plainLink,
  replayPayloadOf, runInput, toBase64Url, typedLines, unpackSession, type SharedSession,
} from "./share";

const enc = (text: string) => new TextEncoder().encode(text);

/** A session as a person makes it: one chunk per keystroke, a reboot, the end. */
function sampleSession(): SharedSession {
  const events: ReplayEvent[] = [];
  let run = 3;
  let timeNs = 1_234_567;
  for (const ch of "ls -l\recho hello | wc\r") {
    events.push({ kind: "input", boot: 1, run, timeNs, bytes: enc(ch) });
    run += 2;
    timeNs += 38_170;
  }
  events.push({ kind: "reboot", boot: 1, run: run + 40, timeNs: timeNs + 9_000_000 });
  events.push({ kind: "input", boot: 2, run: 0, timeNs: 0, bytes: enc("é\x1d") });
  events.push({ kind: "end", boot: 2, run: 812, timeNs: 4_000_000_017 });
  return { config: { ramMiB: 256, cmdline: "quiet log=debug", userland: true }, events };
}

describe("the exact-replay payload", () => {
  it("packs and unpacks a session unchanged", () => {
    const session = sampleSession();
    expect(unpackSession(packSession(session))).toEqual(session);
  });

  it("round-trips through deflate-raw and base64url, and stays short", async () => {
    const session = sampleSession();
    const payload = await encodeSession(session);
    expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(payload.length).toBeLessThan(200); // 24 keystrokes, a reboot, the end
    expect(await decodeSession(payload)).toEqual(session);
  });

  it("puts the payload in the fragment of the page's own address", async () => {
    const base = pageBase("https://example.org/demo/keel/?clock=deterministic#old");
    expect(base).toBe("https://example.org/demo/keel/");
    const link = await exactLink(base, sampleSession());
    const url = new URL(link);
    expect(url.search).toBe("");
    const payload = replayPayloadOf(url.hash);
    expect(payload).not.toBeNull();
    expect(await decodeSession(payload!)).toEqual(sampleSession());
  });

  it("refuses what is not a payload, saying why", async () => {
    await expect(decodeSession("not base64!")).rejects.toThrow(/base64url/);
    await expect(decodeSession("AAAA")).rejects.toThrow(ShareLinkError);
    const good = await encodeSession(sampleSession());
    await expect(decodeSession(good.slice(0, good.length - 8))).rejects.toThrow(ShareLinkError);
    await expect(decodeSession("A".repeat(70_000))).rejects.toThrow(/at most/);
  });

  it("refuses a payload of another version, with bytes after its end, or impossible values", () => {
    const packed = packSession(sampleSession());
    const otherVersion = packed.slice();
    otherVersion[0] = 9;
    expect(() => unpackSession(otherVersion)).toThrow(/format 9/);
    expect(() => unpackSession(Uint8Array.from([...packed, 0]))).toThrow(/after its end/);
    expect(() => unpackSession(packed.subarray(0, packed.length - 3))).toThrow(/cut short/);
    const tinyRam = packSession({ ...sampleSession(), config: { ramMiB: 1, cmdline: "", userland: true } });
    expect(() => unpackSession(tinyRam)).toThrow(/1 MiB/);
  });

  it("refuses a deflate bomb", async () => {
    const zeros = new Uint8Array(4 << 20);
    const stream = new Blob([zeros]).stream().pipeThrough(new CompressionStream("deflate-raw"));
    const bomb = new Uint8Array(await new Response(stream).arrayBuffer());
    await expect(decodeSession(toBase64Url(bomb))).rejects.toThrow(/more than/);
  });

  it("base64url round-trips every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64Url(toBase64Url(all))).toEqual(all);
  });
});

describe("plain links and run", () => {
  it("carries only non-default configuration and the typed lines", () => {
    const link = plainLink("https://h/k/", { ramMiB: 256, clock: "realtime", cmdline: "", userland: true }, ["ls -l", "echo hi"]);
    const url = new URL(link);
    expect(url.searchParams.get("ram")).toBe("256");
    expect(url.searchParams.has("clock")).toBe(false);
    expect(url.searchParams.get("run")).toBe("ls -l\necho hi");
    expect(link).toContain("run=ls%20-l%0Aecho%20hi");
    expect(plainLink("https://h/k/", { ramMiB: 128, clock: "realtime", cmdline: "", userland: true }, [])).toBe("https://h/k/");
  });

  it("types each run line followed by Enter", () => {
    expect(runInput("ls -l")).toBe("ls -l\r");
    expect(runInput("ls\necho hi\n")).toBe("ls\recho hi\r");
    expect(runInput("a\r\nb")).toBe("a\rb\r");
  });

  it("accepts newlines, tabs and Ctrl-] in run, and nothing else below space", () => {
    expect(checkRun("ls\n\x1dmem\techo")).toBeNull();
    expect(checkRun("ls\x00")).toMatch(/control/);
    expect(checkRun("x".repeat(5000))).toMatch(/at most/);
  });

  it("turns keystrokes into the command lines they ran", () => {
    const keys = ["l", "x", "\x7f", "s", "\r", "ech", "\x1b[A", "o hi\r", "oops\x03", "\r", "\x1dmem\r", "unfinished"];
    expect(typedLines(keys.map(enc))).toEqual(["ls", "echo hi", "\x1dmem"]);
    expect(typedLines(["a\r\nb\n"])).toEqual(["a", "b"]);
  });
});
