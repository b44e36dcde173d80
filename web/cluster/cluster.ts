// The cluster view (docs/network.md "The cluster view"): `?machines=N`
// runs N machines in the page, each in its own Web Worker (web/worker.ts)
// with its own console, joined by the page's switch (web/cluster/relay.ts);
// `?switch=NAME` joins that switch to other tabs' over a BroadcastChannel
// (web/cluster/channel.ts). Machine 1 is the page's own machine (its screen,
// console and buttons, web/main.ts); this module adds the others, the
// switch, and which machine the panels inspect.
//
// Realtime clock: each worker runs freely; frames are relayed as they come.
// Deterministic clock: the page runs the machines in lockstep quanta
// (LOCKSTEP_QUANTUM_NS of virtual time, as host/net/cluster.ts does in one
// process): every worker runs up to the same horizon and answers, then the
// switch delivers, then the horizon moves on. A frame arrives at the first
// boundary after it was sent, in every run, so a share link of the
// machines' inputs (web/cluster/cluster-link.ts) replays to the same consoles.

import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { parseMac } from "../../host/net/backend";
import type { BootConfig, MachineStatus, PageToWorker, SessionRecording, WorkerToPage } from "../protocol";
import { FrameRelay } from "./relay";
import { NetInterface } from "../../host/net/netif";
import type { VmRequest } from "../vm-protocol";
import { HTTP_HOST_ADDRESS, HTTP_HOST_MAC, HTTP_TICK_MS, failVm, serveVmRequest } from "../vm-serve";
import { registerMachine, slotAddress } from "./registry";
import { ChannelUplink, claimSlots } from "./channel";
import type { ReplayEvent } from "../../host/replay";
import { clusterLink } from "./cluster-link";
import { pageBase, type SharedSession } from "../share";

/** Virtual time between the switch's deliveries in lockstep: 1 ms (a round
 *  trip of messages to every worker per quantum; host/net/cluster.ts uses
 *  100 µs in one process). */
export const LOCKSTEP_QUANTUM_NS = 1_000_000;

export interface ClusterMachineView {
  name: string;
  slot: number;
  mac: string;
  ip: string;
  state: MachineStatus["state"] | "loading";
  fatal: string | null;
  replay: { delivered: number; total: number; finished: boolean; diverged: string | null } | null;
}

export interface ClusterSnapshot {
  machines: ClusterMachineView[];
  /** Which machine the panels inspect (an index into machines). */
  inspected: number;
  lockstep: boolean;
  /** Virtual time all machines have reached (lockstep), ns. */
  horizonNs: number;
  switchName: string | null;
  relay: { fromPort: number; toPort: number; dropped: number; badBatches: number }[];
  /** Frames carried to and from other tabs. */
  channel: { sent: number; received: number } | null;
  /** The last link Share cluster made, or why it could not. */
  link: string | null;
  linkError: string | null;
}

interface Member {
  view: ClusterMachineView;
  worker: Worker;
  send(message: PageToWorker, transfer?: Transferable[]): void;
  /** Null for machine 1 (the page's own console). */
  term: Terminal | null;
  port: number;
  idle: boolean;
}

export interface ClusterOptions {
  machines: number;
  switchName: string;
  /** The page's own machine: its worker (its messages come through onPrimaryMessage). */
  primary: Worker;
  primaryTerm: Terminal;
  /** Where the other machines' panel answers go. */
  panelsReceive(message: Extract<WorkerToPage, { type: "inspect-result" }>): void;
}

export class Cluster {
  private readonly members: Member[] = [];
  private readonly relay = new FrameRelay();
  private uplink: ChannelUplink | null = null;
  private uplinkPort = -1;
  private inspected = 0;
  private lockstep = false;
  private horizonNs = 0;
  private waiting = 0;
  private started = false;
  private paused: (() => void) | null = null;
  private pumpQueued = false;
  private wallStart = 0;
  private readonly host: HTMLElement;
  private readonly waitingRecordings = new Map<number, (r: SessionRecording) => void>();
  private nextId = 1;
  private base: BootConfig | null = null;
  private link: string | null = null;
  private linkError: string | null = null;

  /** Claims the machines' slots (across tabs, with Web Locks) and builds the view; boot with boot(). */
  static async create(options: ClusterOptions): Promise<Cluster> {
    const slots = options.switchName === ""
      ? Array.from({ length: options.machines }, (_, i) => i + 1)
      : await claimSlots(options.switchName, options.machines);
    return new Cluster(options, slots);
  }

  private constructor(private readonly options: ClusterOptions, slots: number[]) {
    this.host = document.getElementById("cluster") ?? document.body;
    this.host.hidden = false;
    const list = document.getElementById("cluster-machines") ?? this.host;
    slots.forEach((slot, index) => {
      const address = slotAddress(slot);
      const view: ClusterMachineView = { ...address, slot, state: "loading", fatal: null, replay: null };
      let worker = options.primary;
      let term: Terminal | null = null;
      const card = document.createElement("section");
      card.className = "cluster-machine";
      card.dataset.machine = address.name;
      const title = document.createElement("h3");
      title.className = "cluster-title";
      const stateText = document.createElement("span");
      stateText.className = "cluster-state";
      title.append(`${address.name} `, Object.assign(document.createElement("span"), {
        className: "pane-sub", textContent: `${address.ip} · ${address.mac}${index === 0 ? " · the console above" : ""}`,
      }), " ", stateText);
      card.append(title);
      if (index > 0) {
        worker = new Worker(new URL("../worker.ts", import.meta.url), { type: "module", name: address.name });
        const consoleHost = document.createElement("div");
        consoleHost.className = "console-host cluster-console";
        consoleHost.setAttribute("aria-label", `Serial console of ${address.name}`);
        card.append(consoleHost);
        term = new Terminal({
          convertEol: true, cursorBlink: true, fontSize: 13, rows: 14, scrollback: 5000,
          theme: { background: "#000000", foreground: "#d7dde5", cursor: "#d7dde5" },
        });
        const fit = new FitAddon();
        term.loadAddon(fit);
        term.open(consoleHost);
        fit.fit();
        new ResizeObserver(() => fit.fit()).observe(consoleHost);
      }
      list.append(card);
      const member: Member = {
        view, worker, term, port: this.relay.addPort(parseMac(address.mac)), idle: false,
        send: (message, transfer = []) => worker.postMessage(message, transfer),
      };
      const showState = () => {
        stateText.textContent = view.fatal !== null ? "failed" : view.state;
        stateText.dataset.state = view.fatal !== null ? "failed" : view.state;
      };
      showState();
      (member as Member & { showState: () => void }).showState = showState;
      this.members.push(member);
      registerMachine({
        name: address.name, slot, mac: address.mac, ip: address.ip, worker,
        serveHttp: (request, port) => this.serveHttp(member, request, port),
      });
      if (index > 0) {
        worker.addEventListener("message", (event: MessageEvent<WorkerToPage>) => this.onMessage(index, event.data));
        worker.addEventListener("error", (event) => {
          event.preventDefault();
          view.fatal = `the kernel's worker failed: ${event.message || "it could not be loaded"}`;
          showState();
        });
        term!.onData((data) => member.send({ type: "input", data }));
      }
    });
    if (options.switchName !== "") {
      this.uplink = new ChannelUplink(options.switchName, slots.map((s) => parseMac(slotAddress(s).mac)), (frame) => {
        this.relay.fromPortFrame(this.uplinkPort, frame);
        this.queuePump();
      });
      this.uplinkPort = this.relay.addPort(new Uint8Array(6));
    }
    const select = document.getElementById("cluster-inspect");
    if (select instanceof HTMLSelectElement) {
      for (const m of this.members) select.append(new Option(m.view.name, m.view.name));
      select.addEventListener("change", () => this.inspect(select.selectedIndex));
    }
  }

  /** The boot config of each machine: the page's, with the machine's NIC and address. */
  configFor(index: number, base: BootConfig): BootConfig {
    const member = this.members[index]!;
    this.lockstep = base.clock === "deterministic";
    const cmdline = `ip=${member.view.ip}${base.cmdline === "" ? "" : ` ${base.cmdline}`}`;
    // Every machine runs on its own fresh copy of the shipped disk: one
    // stored disk cannot be shared by several machines (or tabs).
    return { ...base, cmdline, disk: "memory", nic: { mac: member.view.mac, lockstep: this.lockstep } };
  }

  /** Boots the other machines (machine 1 is booted by the page with configFor(0, ...)). */
  boot(base: BootConfig, replays: (ReplayEvent[] | undefined)[] = []): void {
    this.base = { ...base };
    this.lockstep = base.clock === "deterministic";
    this.setUpShare();
    this.members.forEach((m, i) => {
      if (i === 0) return;
      const config = this.configFor(i, base);
      const replay = replays[i];
      if (replay !== undefined) config.replay = replay;
      else delete config.replay;
      delete config.snapshot;
      m.send({ type: "boot", config });
    });
  }

  get size(): number {
    return this.members.length;
  }

  get isLockstep(): boolean {
    return this.lockstep;
  }

  /** Messages from machine 1's worker that are the cluster's; true when taken. */
  onPrimaryMessage(message: WorkerToPage): boolean {
    return this.onMessage(0, message);
  }

  /** The panels' query, to the machine they inspect. */
  panelsSend(message: PageToWorker): void {
    this.members[this.inspected]!.send(message);
  }

  inspect(index: number): void {
    if (index >= 0 && index < this.members.length) this.inspected = index;
  }

  term(index: number): Terminal | null {
    if (index === 0) return this.options.primaryTerm;
    return this.members[index]?.term ?? null;
  }

  snapshot(): ClusterSnapshot {
    return {
      machines: this.members.map((m) => ({ ...m.view, replay: m.view.replay === null ? null : { ...m.view.replay } })),
      inspected: this.inspected,
      lockstep: this.lockstep,
      horizonNs: this.horizonNs,
      switchName: this.options.switchName === "" ? null : this.options.switchName,
      relay: this.relay.stats(),
      link: this.link,
      linkError: this.linkError,
      channel: this.uplink?.stats() ?? null,
    };
  }

  /** Lockstep: each machine's recording, all taken at the same horizon. */
  async recordings(): Promise<SessionRecording[]> {
    await this.pause();
    try {
      return await Promise.all(this.members.map((m) => new Promise<SessionRecording>((resolve) => {
        const id = this.nextId++;
        this.waitingRecordings.set(id, resolve);
        m.send({ type: "share-request", id: -id });
      })));
    } finally {
      this.resume();
    }
  }

  private setUpShare(): void {
    const button = document.getElementById("cluster-share");
    const field = document.getElementById("cluster-link");
    if (!(button instanceof HTMLButtonElement) || !(field instanceof HTMLInputElement)) return;
    button.hidden = false;
    if (!this.lockstep || this.options.switchName !== "") {
      button.disabled = true;
      button.title = this.options.switchName !== ""
        ? "Machines in other tabs are not in this page's lockstep: a session across tabs cannot be replayed"
        : "An exact replay needs clock=deterministic (the machines then run in lockstep)";
      return;
    }
    button.title = "A link that replays every machine's input, in lockstep, to the same consoles";
    button.addEventListener("click", () => {
      this.shareLink().then((link) => {
        field.value = link;
        field.hidden = false;
        field.select();
      }).catch((error: unknown) => {
        this.linkError = String(error instanceof Error ? error.message : error);
        field.value = `No link: ${this.linkError}`;
        field.hidden = false;
      });
    });
  }

  /** The cluster's exact-replay link (web/cluster/cluster-link.ts). */
  async shareLink(): Promise<string> {
    if (!this.lockstep || this.base === null) throw new Error("an exact replay needs clock=deterministic");
    const recordings = await this.recordings();
    const inexact = recordings.map((r, i) => (r.inexact === null ? null : `${this.members[i]!.view.name}: ${r.inexact}`)).filter((x) => x !== null);
    if (inexact.length > 0) throw new Error(`it would not replay exactly (${inexact.join("; ")})`);
    const config = { ramMiB: this.base.ramBytes / (1024 * 1024), cmdline: this.base.cmdline, userland: this.base.userland };
    const sessions: SharedSession[] = recordings.map((r) => ({ config, events: r.events }));
    this.link = await clusterLink(pageBase(window.location.href), sessions);
    this.linkError = null;
    return this.link;
  }

  private onMessage(index: number, message: WorkerToPage): boolean {
    const member = this.members[index]!;
    const show = () => (member as Member & { showState: () => void }).showState();
    switch (message.type) {
      case "net-frames":
        this.relay.fromPort(member.port, message.batch);
        this.queuePump();
        return true;
      case "stepped":
        this.relay.fromPort(member.port, message.batch);
        member.idle = message.idle;
        if (--this.waiting === 0) this.barrier();
        return true;
      case "booted":
        member.view.state = "running";
        show();
        this.maybeStart();
        return index > 0;
      case "status":
        member.view.state = message.status.state;
        show();
        return index > 0;
      case "fatal":
        member.view.fatal = message.message;
        show();
        return index > 0;
      case "replay":
        member.view.replay = { ...message.progress, diverged: message.progress.diverged ?? message.stopped ?? null };
        return index > 0;
      case "share-recording":
        if (message.id < 0) {
          this.waitingRecordings.get(-message.id)?.(message.recording);
          this.waitingRecordings.delete(-message.id);
          return true;
        }
        return index > 0;
    }
    if (index === 0) return false;
    switch (message.type) {
      case "uart": {
        const length = message.bytes.length;
        member.term!.write(message.bytes, () => member.send({ type: "uart-ack", bytes: length }));
        break;
      }
      case "console-marker":
        member.term!.write(`\r\n\x1b[2m──── ${message.text} ────\x1b[0m\r\n`);
        break;
      case "inspect-result":
        this.options.panelsReceive(message);
        break;
      case "log":
        console.info(`[${member.view.name}] ${message.text}`);
        break;
    }
    return true;
  }

  // ---- ./vm/<machine>/ (docs/service-worker.md) ----------------------------

  private http: NetInterface | null = null;
  private httpOpen = 0;
  private httpTicker: ReturnType<typeof setInterval> | null = null;

  /** A `./vm/` request for a machine of the cluster: the page's HTTP client
   *  on the page's switch (10.0.0.9) asks port 80 of the machine's address.
   *  In lockstep its frames travel at the next quantum boundary like every
   *  other frame, and its timers run on the horizon. */
  private serveHttp(member: Member, request: VmRequest, port: MessagePort): void {
    if (member.view.fatal !== null || member.view.state === "loading") {
      return failVm(port, 503, "The machine is not running", `${member.view.name} has not booted yet (or failed to): try again once its shell is up.`);
    }
    this.http ??= new NetInterface({
      attach: (endpoint) => {
        const link = this.relay.wire.attach(endpoint);
        return {
          transmit: (frame) => {
            link.transmit(frame);
            this.queuePump();
          },
          get up() { return link.up; },
          detach: () => link.detach(),
        };
      },
    }, {
      mac: HTTP_HOST_MAC, ip: HTTP_HOST_ADDRESS, prefix: 24,
      now: () => (this.lockstep ? this.horizonNs : performance.now() * 1e6),
    });
    const nif = this.http;
    this.httpOpen++;
    this.httpTicker ??= setInterval(() => {
      nif.tick();
      this.queuePump();
    }, HTTP_TICK_MS);
    serveVmRequest(nif, request, member.view.ip.replace(/\/\d+$/, ""), port, () => {
      if (--this.httpOpen === 0 && this.httpTicker !== null) {
        clearInterval(this.httpTicker);
        this.httpTicker = null;
      }
    });
  }

  // ---- realtime: relay as frames come -------------------------------------

  private queuePump(): void {
    if (this.lockstep || this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.relay.pump();
      for (const m of this.members) {
        if (this.relay.waiting(m.port) === 0) continue;
        const batch = this.relay.take(m.port);
        m.send({ type: "net-frames", batch }, [batch.buffer]);
      }
      this.flushUplink();
    });
  }

  private flushUplink(): void {
    if (this.uplink === null) return;
    for (const frame of this.relay.takeFrames(this.uplinkPort)) this.uplink.send(frame);
  }

  // ---- lockstep -----------------------------------------------------------

  private maybeStart(): void {
    if (!this.lockstep || this.started || this.members.some((m) => m.view.state === "loading")) return;
    this.started = true;
    this.wallStart = performance.now();
    this.step();
  }

  private step(): void {
    this.horizonNs += LOCKSTEP_QUANTUM_NS;
    this.waiting = this.members.length;
    for (const m of this.members) {
      const batch = this.relay.take(m.port);
      m.send({ type: "step", horizonNs: this.horizonNs, batch }, [batch.buffer]);
    }
  }

  /** Every machine has reached the horizon: deliver, then the next quantum. */
  private barrier(): void {
    this.relay.pump();
    this.flushUplink();
    if (this.paused !== null) {
      const resolve = this.paused;
      this.paused = null;
      this.holding = true;
      resolve();
      return;
    }
    this.next();
  }

  private holding = false;

  private next(): void {
    // When every machine idles, virtual time goes no faster than the wall
    // clock's (the content of each quantum never depends on when it runs).
    const idle = this.members.every((m) => m.idle) && this.relay.queued === 0;
    const ahead = this.horizonNs / 1e6 - (performance.now() - this.wallStart);
    if (idle && ahead > 1) setTimeout(() => this.step(), ahead);
    else if (!idle && ahead < -250) {
      this.wallStart = performance.now() - this.horizonNs / 1e6; // busy: do not race to catch up later
      this.step();
    } else this.step();
  }

  /** Resolves at the next barrier, with stepping held until resume(). */
  private pause(): Promise<void> {
    if (!this.started) return Promise.resolve();
    return new Promise((resolve) => { this.paused = resolve; });
  }

  private resume(): void {
    if (!this.holding) return;
    this.holding = false;
    this.next();
  }
}
