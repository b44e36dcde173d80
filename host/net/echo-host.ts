// A host on the virtual switch that only answers: ARP requests for its
// address and ICMP echo requests to it (docs/network.md, "In the page").
// The page's machine would otherwise be alone on its switch, with nobody
// to ping. It keeps no state, sends nothing unasked, and ignores every
// frame it does not understand (never throws).

import type { NetBackend, NetLink } from "./backend.js";
import { decodeFrame, ETHERTYPE_ARP, ETHERTYPE_IPV4, IP_PROTO_ICMP } from "./decode.js";
import { internetChecksum } from "./tcp.js";

const ipBytes = (a: string): number[] => a.split(".").map(Number);

export class EchoHost {
  private readonly link: NetLink;
  /** Requests answered. */
  answered = { arp: 0, echo: 0 };

  constructor(backend: NetBackend, readonly mac: Uint8Array, readonly address: string) {
    this.link = backend.attach({ mac, receive: (frame) => this.receive(frame) });
  }

  detach(): void {
    this.link.detach();
  }

  private receive(f: Uint8Array): void {
    const d = decodeFrame(f);
    if (d.arp && d.arp.op === 1 && d.arp.targetIp === this.address) {
      const reply = new Uint8Array(42);
      reply.set(f.subarray(6, 12), 0);
      reply.set(this.mac, 6);
      reply.set([ETHERTYPE_ARP >> 8, ETHERTYPE_ARP & 255, 0, 1, 8, 0, 6, 4, 0, 2], 12);
      reply.set(this.mac, 22);
      reply.set(ipBytes(this.address), 28);
      reply.set(f.subarray(22, 32), 32); // the asker's MAC and address
      this.answered.arp++;
      this.link.transmit(reply);
      return;
    }
    const ip = d.ip;
    if (!ip || !d.icmp || d.problem !== "" || ip.dst !== this.address || ip.protocol !== IP_PROTO_ICMP || d.icmp.type !== 8) return;
    if (d.eth!.type !== ETHERTYPE_IPV4) return;
    const at = 14 + ip.headerLength;
    const out = f.slice(0, 14 + ip.totalLength);
    out.set(f.subarray(6, 12), 0);
    out.set(this.mac, 6);
    // IPv4: addresses swapped, a fresh TTL and checksum.
    out.set(f.subarray(26, 30), 30);
    out.set(f.subarray(30, 34), 26);
    out[22] = 64;
    out[24] = out[25] = 0;
    const ipSum = internetChecksum(out.subarray(14, at));
    out[24] = ipSum >> 8;
    out[25] = ipSum & 255;
    // ICMP: an echo reply with the request's identifier, sequence and data.
    out[at] = 0;
    out[at + 2] = out[at + 3] = 0;
    const sum = internetChecksum(out.subarray(at));
    out[at + 2] = sum >> 8;
    out[at + 3] = sum & 255;
    this.answered.echo++;
    this.link.transmit(out);
  }
}
