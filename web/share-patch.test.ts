// A share link's kernel patch (web/share.ts, docs/share-links.md): the
// payload round-trips for any diff text (fast-check), sits beside the
// replay in the fragment, and a damaged payload is a ShareLinkError saying
// what is wrong with it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compress } from "../host/compress";
import {
  MAX_PAYLOAD_CHARS, ShareLinkError, decodePatch, encodePatch, patchPayloadOf, replayPayloadOf, toBase64Url, withPatch,
} from "./share";

const BUILD = "ab".repeat(32);

async function packed(json: string): Promise<string> {
  return toBase64Url(await compress(new TextEncoder().encode(json), "deflate-raw"));
}

describe("the patch payload", () => {
  it("round-trips any diff text and build id", async () => {
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 2000, unit: "binary" }), fc.stringMatching(/^[0-9a-f]{64}$/), async (diff, build) => {
      expect(await decodePatch(await encodePatch({ diff, build }))).toEqual({ diff, build });
    }), { numRuns: 40 });
  });

  it("sits beside the replay in the fragment, and alone after a plain link", async () => {
    const payload = await encodePatch({ diff: "--- a/x\n+++ b/x\n", build: BUILD });
    const exact = withPatch("https://example.org/keel/#replay=AAAA", payload);
    expect(replayPayloadOf(new URL(exact).hash)).toBe("AAAA");
    expect(patchPayloadOf(new URL(exact).hash)).toBe(payload);
    const plain = withPatch("https://example.org/keel/?run=ls", payload);
    expect(new URL(plain).searchParams.get("run")).toBe("ls");
    expect(patchPayloadOf(new URL(plain).hash)).toBe(payload);
    expect(replayPayloadOf(new URL(plain).hash)).toBeNull();
  });

  it("refuses damaged payloads, saying why", async () => {
    const good = await encodePatch({ diff: "--- a/kernel-as/src/main.ts\n+++ b/kernel-as/src/main.ts\n@@ -1 +1 @@\n-a\n+b\n", build: BUILD });
    await expect(decodePatch("not base64!")).rejects.toThrow(/base64url/);
    await expect(decodePatch(good.slice(0, good.length - 6))).rejects.toThrow(ShareLinkError);
    await expect(decodePatch("A".repeat(MAX_PAYLOAD_CHARS + 1))).rejects.toThrow(/at most/);
    await expect(decodePatch(await packed("{}"))).rejects.toThrow(/has format undefined/);
    await expect(decodePatch(await packed("not json"))).rejects.toThrow(/not JSON/);
    await expect(decodePatch(await packed(JSON.stringify({ v: 1, diff: "", build: BUILD })))).rejects.toThrow(/no diff/);
    await expect(decodePatch(await packed(JSON.stringify({ v: 1, diff: "x", build: "nope" })))).rejects.toThrow(/no kernel build id/);
    const bomb = await packed(JSON.stringify({ v: 1, diff: "x".repeat(2 << 20), build: BUILD }));
    await expect(decodePatch(bomb)).rejects.toThrow(/more than/);
    await expect(encodePatch({ diff: "", build: BUILD })).rejects.toThrow(/empty/);
  });
});
