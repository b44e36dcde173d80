// Cluster links (docs/share-links.md "Cluster links"): one replay payload
// per machine, joined by dots; a damaged part is named by its machine.
import { describe, expect, it } from "vitest";
import { clusterLink, clusterPayloadOf, decodeCluster, encodeCluster } from "./cluster-link";
import { ShareLinkError, type SharedSession } from "../share";

const config = { ramMiB: 64, cmdline: "quiet", userland: true };
const session = (text: string): SharedSession => ({
  config,
  events: [
    { kind: "input", boot: 1, run: 40, timeNs: 5_000_000, bytes: new TextEncoder().encode(text) },
    { kind: "end", boot: 1, run: 90, timeNs: 9_000_000 },
  ],
});

describe("cluster links", () => {
  it("carry every machine's configuration and events, in order", async () => {
    const sessions = [session("ping -c 2 10.0.0.2\r"), session("echo hi\r"), session("ls\r")];
    const link = await clusterLink("https://keel.example/", sessions);
    expect(link).toMatch(/^https:\/\/keel\.example\/\?machines=3&clock=deterministic&disk=memory#cluster=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const payload = clusterPayloadOf(new URL(link).hash)!;
    expect(await decodeCluster(payload)).toEqual(sessions);
  });

  it("refuse one machine, more than four, and a damaged part, naming the machine", async () => {
    await expect(encodeCluster([session("a")])).rejects.toThrow(ShareLinkError);
    const one = await encodeCluster([session("a"), session("b")]);
    await expect(decodeCluster(one.split(".")[0]!)).rejects.toThrow("it holds 1 machines; a cluster has 2 to 4");
    await expect(decodeCluster(Array(5).fill(one.split(".")[0]).join("."))).rejects.toThrow("it holds 5 machines");
    await expect(decodeCluster(`${one.split(".")[0]}.AAAA`)).rejects.toThrow(/^machine 2's recording: /);
    expect(clusterPayloadOf("#replay=x")).toBeNull();
  });
});
