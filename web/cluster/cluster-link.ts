// A cluster's exact-replay link (docs/share-links.md "Cluster links"):
// `?machines=N&clock=deterministic&disk=memory#cluster=P1.P2…`, one
// `#replay=` payload (web/share.ts: configuration and input events) per
// machine, in slot order, joined by dots (base64url never holds one). The
// configuration is the page's own; each machine's address is its slot's
// (web/cluster/registry.ts), added by the cluster view as when it was
// recorded. Replayed in lockstep (web/cluster/cluster.ts), the machines
// print what they printed.

import { MACHINES_MAX } from "../params";
import { ShareLinkError, decodeSession, encodeSession, type SharedSession } from "../share";

export const CLUSTER_KEY = "cluster";

/** The `cluster` payload of a URL fragment, or null. */
export function clusterPayloadOf(hash: string): string | null {
  return new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash).get(CLUSTER_KEY);
}

export async function encodeCluster(sessions: readonly SharedSession[]): Promise<string> {
  if (sessions.length < 2 || sessions.length > MACHINES_MAX) throw new ShareLinkError(`a cluster link holds 2 to ${MACHINES_MAX} machines, not ${sessions.length}`);
  return (await Promise.all(sessions.map((s) => encodeSession(s)))).join(".");
}

/** Reads a `#cluster=` payload; throws ShareLinkError saying which machine's part is wrong and how. */
export async function decodeCluster(payload: string): Promise<SharedSession[]> {
  const parts = payload.split(".");
  if (parts.length < 2 || parts.length > MACHINES_MAX) throw new ShareLinkError(`it holds ${parts.length} machines; a cluster has 2 to ${MACHINES_MAX}`);
  return Promise.all(parts.map(async (part, i) => {
    try {
      return await decodeSession(part);
    } catch (error) {
      if (error instanceof ShareLinkError) throw new ShareLinkError(`machine ${i + 1}'s recording: ${error.message}`);
      throw error;
    }
  }));
}

export async function clusterLink(base: string, sessions: readonly SharedSession[]): Promise<string> {
  return `${base}?machines=${sessions.length}&clock=deterministic&disk=memory#${CLUSTER_KEY}=${await encodeCluster(sessions)}`;
}
