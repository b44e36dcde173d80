// A VirtualSwitch that pumps itself, for a process whose endpoints are not
// run in lockstep (the runner's `--net gateway`: its machine and a gateway):
// every frame sent through one of its links schedules pump() on the next
// turn of the event loop, never inside the sender's call (a machine's slice
// never runs into its own card), and `afterPump` runs after each pump (the
// runner wakes its machine there, for the frames the pump delivered).

import type { NetBackend, NetEndpoint, NetLink } from "./backend.js";
import { VirtualSwitch } from "./switch.js";

/** `link`, with `afterTransmit` called after every frame it sends (to schedule a pump). */
export function notifyingLink(link: NetLink, afterTransmit: () => void): NetLink {
  return {
    transmit: (frame) => {
      link.transmit(frame);
      afterTransmit();
    },
    get up() { return link.up; },
    detach: () => link.detach(),
  };
}

export class SelfPumpingSwitch implements NetBackend {
  readonly wire: VirtualSwitch;
  private scheduled = false;

  constructor(name: string, private readonly afterPump: () => void = () => {}) {
    this.wire = new VirtualSwitch(name);
  }

  attach(endpoint: NetEndpoint): NetLink {
    return notifyingLink(this.wire.attach(endpoint), () => this.schedule());
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.wire.pump() > 0) this.afterPump();
    });
  }
}
