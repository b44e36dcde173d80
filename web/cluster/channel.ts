// Tabs of one origin on one switch (docs/network.md "Across tabs"):
// `?switch=NAME` gives the page's switch an uplink port whose frames go out
// on the BroadcastChannel "keel-switch-NAME", and frames other tabs send on
// it come in through that port. Each tab takes the frames addressed to one
// of its machines, or to everyone (broadcast and multicast); the page's
// switch does the rest. A tab that closes just stops sending: the others
// run on, and their switches forget its MACs as they age out.
//
// Addresses: each machine holds a Web Lock "keel-switch-NAME-slot-K" for as
// long as its tab lives, K being its slot (web/cluster/registry.ts), so two
// tabs never take the same MAC and address, and a closed tab's slots are free
// again.

export const MAX_SLOTS = 254;

/** Takes the lowest `count` free slots of switch `name` (Web Locks, held until the tab closes). */
export async function claimSlots(name: string, count: number): Promise<number[]> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks === undefined) throw new Error("this browser has no Web Locks, which ?switch= needs to give each tab's machines their own addresses");
  const slots: number[] = [];
  for (let slot = 1; slot <= MAX_SLOTS && slots.length < count; slot++) {
    const taken = await new Promise<boolean>((resolve) => {
      void locks.request(`keel-switch-${name}-slot-${slot}`, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        // Held for the tab's life: the promise never settles.
        return lock === null ? undefined : new Promise<void>(() => undefined);
      });
    });
    if (taken) slots.push(slot);
  }
  if (slots.length < count) throw new Error(`switch ${name} has no ${count} free addresses left`);
  return slots;
}

interface ChannelMessage {
  from: string;
  frame: Uint8Array;
}

export class ChannelUplink {
  private readonly channel: BroadcastChannel;
  private readonly id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  private readonly local: Set<string>;
  private sent = 0;
  private received = 0;

  constructor(name: string, localMacs: readonly Uint8Array[], private readonly deliver: (frame: Uint8Array) => void) {
    this.channel = new BroadcastChannel(`keel-switch-${name}`);
    this.local = new Set(localMacs.map(macKey));
    this.channel.addEventListener("message", (event: MessageEvent<ChannelMessage>) => {
      const { from, frame } = event.data ?? {};
      if (from === this.id || !(frame instanceof Uint8Array) || frame.length < 14) return;
      if (!takes(frame, this.local)) return;
      this.received++;
      this.deliver(frame);
    });
  }

  send(frame: Uint8Array): void {
    this.sent++;
    this.channel.postMessage({ from: this.id, frame } satisfies ChannelMessage);
  }

  stats(): { sent: number; received: number } {
    return { sent: this.sent, received: this.received };
  }

  close(): void {
    this.channel.close();
  }
}

/** Whether a tab whose machines have MACs `local` takes a frame from the channel. */
export function takes(frame: Uint8Array, local: ReadonlySet<string>): boolean {
  if ((frame[0]! & 1) !== 0) return true; // broadcast and multicast
  return local.has(macKey(frame.subarray(0, 6)));
}

export function macKey(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}
