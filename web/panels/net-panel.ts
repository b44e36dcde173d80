// The Network panel (docs/panels.md): the machine's interface (MAC,
// address, link, the NIC's counters), netd's sockets as netstat shows them
// (read from netd's exported state, host/net/netview.ts), and the packet
// log: frames captured at the card, decoded, newest last. The log keeps at
// most LOG_ROWS rows; the filter box hides rows by their text (every word
// must appear, any case); pause stops new rows without losing the ring's
// place, so unpausing shows what the capture still holds.

import type { NetView, PacketRow } from "../../host/net/netview";
import type { InspectQuery, InspectResult } from "../../host/inspect-types";
import { byId, formatNs, make, setText } from "./dom";

export const LOG_ROWS = 500;

/** True when `line` contains every whitespace-separated word of `filter`, ignoring case. */
export function matchesFilter(line: string, filter: string): boolean {
  const text = line.toLowerCase();
  return filter.toLowerCase().split(/\s+/).filter((w) => w !== "").every((w) => text.includes(w));
}

/** The log line of a captured frame. */
export function packetLine(p: PacketRow): string {
  return `${formatNs(p.timeNs).padStart(8)} ${p.dir === "out" ? "out" : "in "} ${p.decoded.length.toString().padStart(4)} B  ${p.decoded.summary}`;
}

function cells(row: HTMLTableRowElement, values: readonly string[]): void {
  while (row.cells.length < values.length) row.insertCell();
  values.forEach((v, i) => setText(row.cells[i]!, v));
}

export class NetworkPanel {
  private readonly summary = byId("net-summary", HTMLParagraphElement);
  private readonly ifBody = byId("net-if-body", HTMLTableSectionElement);
  private readonly sockBody = byId("net-sock-body", HTMLTableSectionElement);
  private readonly log = byId("net-log", HTMLOListElement);
  private readonly filter = byId("net-filter", HTMLInputElement);
  private readonly pause = byId("net-pause", HTMLInputElement);
  private readonly count = byId("net-log-count", HTMLSpanElement);
  /** The next capture number to ask for. */
  private next = 0;
  /** Frames the capture had forgotten before we asked (the ring moved on). */
  missed = 0;
  last: NetView | null = null;

  constructor() {
    this.filter.addEventListener("input", () => this.applyFilter());
    byId("net-clear", HTMLButtonElement).addEventListener("click", () => {
      this.log.replaceChildren();
      this.updateCount();
    });
  }

  /** Asks for the view (called by the poller while the tab is shown). */
  async refresh(request: (query: InspectQuery) => Promise<InspectResult>): Promise<void> {
    const result = await request({ what: "net", packetsFrom: this.next });
    if (result.what === "net") this.show(result.net);
    else if (result.what === "error") setText(this.summary, result.message);
  }

  /** A new machine: its capture starts again. */
  restart(): void {
    this.next = 0;
    this.log.replaceChildren();
  }

  show(view: NetView): void {
    this.last = view;
    if (view.packetsNext < this.next) this.restart(); // a new machine's capture
    const nic = view.nic;
    const address = view.netd?.address ?? "";
    const rows: string[][] = [];
    if (nic !== null) {
      const c = nic.counters;
      rows.push(["nic0", nic.mac, address || "—", nic.link ? "up" : "down", `${c.txFrames} (${c.txBytes} B)`, `${c.rxFrames} (${c.rxBytes} B)`,
        String(c.rxDropped), String(c.txErrors + c.rxErrors + c.badIndex)]);
    }
    const st = view.netd?.stats;
    if (st !== undefined) {
      // netd's loopback interface: every packet it carries is sent and received once.
      const traffic = `${st.lo_packets ?? 0} (${st.lo_bytes ?? 0} B)`;
      rows.push(["lo", "—", "127.0.0.1/8", "up", traffic, traffic, String(st.lo_dropped ?? 0), "0"]);
    }
    while (this.ifBody.rows.length > rows.length) this.ifBody.deleteRow(-1);
    rows.forEach((r, i) => cells(this.ifBody.rows[i] ?? this.ifBody.insertRow(), r));
    if (view.netd === null) {
      setText(this.summary, nic === null ? "This machine has no network card." : `Sockets unknown: ${view.netdProblem}`);
    } else {
      const sockets = `${view.netd.sockets.length} socket${view.netd.sockets.length === 1 ? "" : "s"}`;
      setText(this.summary, nic === null
        ? `netd (pid ${view.netd.pid}), no network card, loopback only: ${sockets}`
        : `netd (pid ${view.netd.pid}) at ${address}: ${sockets}`);
    }
    this.showSockets(view);
    if (!this.pause.checked) this.append(view);
    this.updateCount();
  }

  private showSockets(view: NetView): void {
    const socks = view.netd?.sockets ?? [];
    while (this.sockBody.rows.length > socks.length) this.sockBody.deleteRow(-1);
    socks.forEach((s, i) => {
      const row = this.sockBody.rows[i] ?? this.sockBody.insertRow();
      const tcpTimes = s.proto === "tcp" && s.state !== "LISTEN" && s.state !== "TIME_WAIT";
      cells(row, [s.proto, s.local, s.remote, s.state, String(s.recvQ), String(s.sendQ),
        tcpTimes ? String(s.srttUs) : "", tcpTimes ? String(s.cwnd) : "", tcpTimes ? String(s.retransmits) : ""]);
    });
  }

  private append(view: NetView): void {
    const first = view.packets[0]?.seq ?? view.packetsNext;
    if (first > this.next) this.missed += first - this.next;
    this.next = view.packetsNext;
    if (view.packets.length === 0) return;
    const filter = this.filter.value;
    const rows = view.packets.map((p) => {
      const item = make("li", p.dir === "out" ? "net-out" : "net-in", packetLine(p));
      if (p.decoded.problem !== "") item.classList.add("net-bad");
      item.dataset.proto = p.decoded.protocol;
      item.hidden = !matchesFilter(item.textContent ?? "", filter);
      return item;
    });
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 4;
    this.log.append(...rows);
    while (this.log.childElementCount > LOG_ROWS) this.log.firstElementChild?.remove();
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  private applyFilter(): void {
    const filter = this.filter.value;
    for (const li of this.log.children) (li as HTMLElement).hidden = !matchesFilter(li.textContent ?? "", filter);
    this.updateCount();
  }

  private updateCount(): void {
    const shown = this.visibleLines().length;
    setText(this.count, `${shown} of ${this.log.childElementCount} shown${this.pause.checked ? ", paused" : ""}`);
  }

  /** The rows the filter lets through, as text. */
  visibleLines(): string[] {
    return [...this.log.children].filter((li) => !(li as HTMLElement).hidden).map((li) => li.textContent ?? "");
  }
}
