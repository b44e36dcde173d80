// The page's side of shareable links (docs/share-links.md): reads a link
// (`#replay=` for an exact replay, `?run=` for lines to type after boot),
// shows the replay's progress in the status bar, and the Share button with
// its dialog. The formats are in web/share.ts, the worker's recording in
// web/share-worker.ts.
//
// During a replay the console takes no typing (the worker would ignore it
// anyway: input at other moments would change what the replay shows); it
// comes back, and `run` is typed, once the replay has ended.

import type { Terminal } from "@xterm/xterm";
import type { ReplayProgress } from "../host/replay";
import { type KeelParams, type ParamError, describeParamError } from "./params";
import type { BootConfig, MachineStatus, PageToWorker, SessionRecording, WorkerToPage } from "./protocol";
import {
  ShareLinkError, decodePatch, decodeSession, encodePatch, exactLink, inputsOf, pageBase, patchPayloadOf, plainLink,
  replayPayloadOf, runInput, typedLines, withPatch, type SharedSession,
} from "./share";
import { exactReloadLink } from "./share";

/** What the browser tests read of a link's kernel patch (window.keel.sharePatch()). */
export interface PatchView {
  /** The link carries a patch. */
  requested: boolean;
  /** Its kernel is being built. */
  building: boolean;
  /** Why it was not used (damaged, does not apply, does not compile), or null. */
  error: string | null;
  /** The patch's name once its kernel is built. */
  name: string | null;
  /** The page built the very kernel the session ran (equal build ids). */
  sameBuild: boolean | null;
  buildMs: number | null;
}

/** What the browser tests read (window.keel.replay()). */
export interface ReplayView {
  /** A replay link was opened and read. */
  requested: boolean;
  progress: ReplayProgress | null;
  /** Why the replay stopped early, if it did. */
  stopped: string | null;
  /** A link's `run` lines typed line by line: how many so far, of all (absent: none). */
  lines?: { typed: number; total: number };
}

interface ShareUiOptions {
  params: Readonly<KeelParams>;
  send(message: PageToWorker): void;
  term: Terminal;
}

/** Longest part of a bad payload quoted in the banner. */
const QUOTE_CHARS = 40;

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`page is missing #${id}`);
  return found;
}

/** Adds one line to the URL-parameter banner (the page's own list in web/index.html). */
function reportParamError(error: ParamError): void {
  const item = document.createElement("li");
  item.textContent = describeParamError(error);
  item.dataset.param = error.name;
  element("param-error-list", HTMLUListElement).append(item);
  element("param-errors", HTMLDivElement).hidden = false;
}

export class ShareUi {
  private readonly params: Readonly<KeelParams>;
  private readonly send: (message: PageToWorker) => void;
  private readonly term: Terminal;
  private readonly button = element("share", HTMLButtonElement);
  private readonly replayItem = element("status-replay-item", HTMLDivElement);
  private readonly replayText = element("status-replay", HTMLElement);
  /** What the machine boots with: the URL's configuration, or the replay link's. */
  private booting: LinkConfig;
  private replay: ReplayView = { requested: false, progress: null, stopped: null };
  private patch: PatchView = { requested: false, building: false, error: null, name: null, sameBuild: null, buildMs: null };
  private runTyped = false;
  private hasBooted = false;
  private nextRequest = 1;
  private waiting = 0;
  private lastLink: string | null = null;
  private dialog: ShareDialog | null = null;

  constructor(options: ShareUiOptions) {
    this.params = options.params;
    this.send = options.send;
    this.term = options.term;
    const p = options.params;
    this.booting = { ramMiB: p.ramMiB, cmdline: p.cmdline, userland: p.userland, clock: p.clock, ...(p.cpus > 1 ? { cpus: p.cpus } : {}) };
    this.button.addEventListener("click", () => this.requestRecording());
    // Pasting another replay link into the address bar changes only the
    // fragment, which does not load the page again: load it.
    window.addEventListener("hashchange", () => {
      if (replayPayloadOf(window.location.hash) !== null) window.location.reload();
    });
  }

  /** Reads an exact-replay link, if the page was opened with one, into `config`
   *  (which it changes in place): deterministic clock, a fresh shipped disk,
   *  the recorded RAM, command line and user land. A link that cannot be read
   *  is reported in the banner, and `config` is left as the URL made it. */
  async prepareBoot(config: BootConfig): Promise<BootConfig> {
    const payload = replayPayloadOf(window.location.hash);
    if (payload === null) return this.params.snapshot === "" ? config : this.prepareSnapshot(config);
    let session: SharedSession;
    try {
      session = await decodeSession(payload);
    } catch (error) {
      const reason = error instanceof ShareLinkError ? error.message : `cannot be read (${String(error)})`;
      const value = payload.length > QUOTE_CHARS ? `${payload.slice(0, QUOTE_CHARS)}…` : payload;
      reportParamError({ name: "replay", value, reason: `is not a recording Keel can replay: ${reason}` });
      return config;
    }
    Object.assign(config, {
      ramBytes: session.config.ramMiB * 1024 * 1024, clock: "deterministic", cmdline: session.config.cmdline,
      userland: session.config.userland, disk: "memory", replay: session.events,
      ...(session.config.cpus !== undefined ? { cpus: session.config.cpus } : {}),
    } satisfies Partial<BootConfig>);
    this.booting = { ...session.config, clock: "deterministic" };
    this.replay = { requested: true, progress: null, stopped: null };
    this.term.options.disableStdin = true;
    this.showReplay();
    return config;
  }

  /** Builds the kernel a link's `#patch=` carries (web/code/patch-boot.ts)
   *  into `config.kernel`. A patch that cannot be read, applied or built is
   *  named in the banner, and the shipped kernel boots without the link's
   *  replay (on the shipped kernel it could only diverge). */
  async preparePatch(config: BootConfig): Promise<BootConfig> {
    const payload = patchPayloadOf(window.location.hash);
    if (payload === null) return config;
    this.patch = { ...this.patch, requested: true, building: true };
    const note = (text: string) => this.term.write(`\x1b[2m${text}…\x1b[0m\r\n`);
    try {
      const patch = await decodePatch(payload).catch((error: unknown) => {
        throw new Error(`is not a kernel patch Keel can read: ${error instanceof ShareLinkError ? error.message : String(error)}`);
      });
      const { buildPatchedKernel } = await import("./code/patch-boot");
      const built = await buildPatchedKernel(patch.diff, note);
      config.kernel = { bytes: built.bytes, patch: built.name, diff: patch.diff };
      this.patch = { ...this.patch, building: false, name: built.name, sameBuild: built.build === patch.build, buildMs: built.buildMs };
      note(`built the kernel ${built.name} in ${(built.buildMs / 1000).toFixed(1)} s; booting it`);
      if (built.build !== patch.build) {
        note(`this is not the kernel the session ran (build ${built.build.slice(0, 12)} here, ${patch.build.slice(0, 12)} in the link: another compiler or other shipped sources), so a replay may diverge`);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.patch = { ...this.patch, building: false, error: reason };
      const value = payload.length > QUOTE_CHARS ? `${payload.slice(0, QUOTE_CHARS)}…` : payload;
      const dropped = config.replay !== undefined ? " (and the link's replay is not played: it ran on the patched kernel)" : "";
      reportParamError({ name: "patch", value, reason: `${reason.startsWith("is not") ? reason : `could not be used: ${reason}`}${dropped}` });
      if (config.replay !== undefined) {
        delete config.replay;
        this.replay = { requested: false, progress: null, stopped: null };
        this.term.options.disableStdin = false;
        this.showReplay();
      }
    }
    return config;
  }

  /** For window.keel. */
  patchView(): PatchView {
    return { ...this.patch };
  }

  /** The machine has booted: Share works from now on. */
  booted(): void {
    this.button.disabled = false;
    this.hasBooted = true;
  }

  /** `run` is typed the first time the booted machine waits for input (the
   *  shell at its prompt; typed earlier, the kernel would echo it among the
   *  boot log), or when a replay has ended. */
  statusChanged(status: MachineStatus): void {
    if (this.hasBooted && status.state === "idle" && !this.replay.requested) this.typeRun();
  }

  onMessage(message: Extract<WorkerToPage, { type: "share-recording" | "replay" | "run-progress" }>): void {
    if (message.type === "run-progress") {
      this.replay.lines = { typed: message.typed, total: message.total };
      this.showLines();
      return;
    }
    if (message.type === "replay") {
      this.replay = { requested: true, progress: message.progress, stopped: message.stopped ?? null, lines: this.replay.lines };
      this.showReplay();
      if (!this.replayRunning()) {
        this.term.options.disableStdin = false;
        this.typeRun();
      }
      return;
    }
    if (message.id !== this.waiting) return;
    this.waiting = 0;
    this.button.removeAttribute("aria-busy");
    this.makeLink(message.recording).then(
      (view) => this.openDialog(view),
      (error: unknown) => this.openDialog({ link: "", exact: false, text: `No link could be made: ${String(error)}`, note: null }),
    );
  }

  /** For window.keel. */
  replayView(): ReplayView {
    return {
      ...this.replay,
      progress: this.replay.progress === null ? null : { ...this.replay.progress },
      ...(this.replay.lines === undefined ? {} : { lines: { ...this.replay.lines } }),
    };
  }

  shareLink(): string | null {
    return this.lastLink;
  }

  /** A `?snapshot=` link: fetches the file for the worker, which restores it
   *  instead of booting (web/worker.ts checks it as the Restore buttons do),
   *  on a fresh copy of the shipped disk, so the visitor's own stored disk
   *  is never replaced by a link. A file that cannot be fetched is named in
   *  the URL-parameter banner, and the machine boots as usual. */
  private async prepareSnapshot(config: BootConfig): Promise<BootConfig> {
    const url = new URL(this.params.snapshot, window.location.href);
    let bytes: Uint8Array;
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      const reason = error instanceof TypeError ? `the network request failed (${error.message})` : String(error instanceof Error ? error.message : error);
      reportParamError({ name: "snapshot", value: this.params.snapshot, reason: `could not be fetched: ${reason}` });
      return config;
    }
    return Object.assign(config, { disk: "memory", snapshot: { url: url.href, bytes } } satisfies Partial<BootConfig>);
  }

  private replayRunning(): boolean {
    return this.replay.requested && this.replay.stopped === null && !(this.replay.progress?.finished ?? false);
  }

  private typeRun(): void {
    if (this.runTyped || this.params.run === "") return;
    this.runTyped = true;
    // Line by line, each once the console waits for input (web/share-player.ts).
    this.send({ type: "run-lines", text: this.params.run });
  }

  /** The status bar's Replay item while a link's `run` lines are typed
   *  (after an exact replay, if there was one, it shows that instead). */
  private showLines(): void {
    const lines = this.replay.lines;
    if (lines === undefined || this.replay.requested) return; // an exact replay's item says how that went
    this.replayItem.hidden = false;
    const text = lines.typed < lines.total ? `typing ${lines.typed}/${lines.total}` : "typed";
    this.replayText.dataset.replay = text;
    this.replayText.textContent = text;
    this.replayText.title = lines.typed < lines.total
      ? `Typing the link's lines: ${lines.typed} of ${lines.total} typed, each once the console waits for input.`
      : `Typed all ${lines.total} of the link's lines, each once the console waited for input.`;
  }

  private showReplay(): void {
    this.replayItem.hidden = !this.replay.requested;
    const p = this.replay.progress;
    let text: string;
    let title: string;
    if (this.replay.stopped !== null) {
      text = "stopped";
      title = `The replay ${this.replay.stopped}${p ? ` after ${p.delivered} of ${p.total} inputs` : ""}.`;
    } else if (p === null) {
      text = "starting";
      title = "Booting the recorded machine on a fresh copy of the shipped disk.";
    } else if (!p.finished) {
      text = `${p.delivered}/${p.total}`;
      title = `Replaying: ${p.delivered} of ${p.total} recorded inputs given. Typing resumes when the replay ends.`;
    } else if (p.diverged === null) {
      text = "done";
      title = `Replayed all ${p.total} recorded inputs exactly, each at its recorded moment. Type away.`;
    } else {
      text = "diverged";
      title = `The replay did not follow the recording: ${p.diverged}. (A different kernel build, or a session that began on another disk.)`;
    }
    this.replayText.dataset.replay = text;
    if (this.replayText.textContent !== text) this.replayText.textContent = text;
    this.replayText.title = title;
  }

  private requestRecording(): void {
    this.waiting = this.nextRequest++;
    this.button.setAttribute("aria-busy", "true");
    this.send({ type: "share-request", id: this.waiting });
  }

  private async makeLink(recording: SessionRecording): Promise<LinkView> {
    const base = pageBase(window.location.href);
    const { clock, ...config } = this.booting;
    const inputs = recording.events.filter((e) => e.kind === "input").length;
    // A kernel changed in the page travels with the link as its diff.
    let patchPayload: string | null = null;
    let patchProblem: string | null = null;
    const kernel = recording.kernel;
    if (kernel !== undefined && kernel.patch !== null && kernel.diff !== null) {
      try {
        patchPayload = await encodePatch({ diff: kernel.diff, build: kernel.build });
      } catch (error) {
        patchProblem = error instanceof Error ? error.message : String(error);
      }
    }
    const carried = (link: string) => (patchPayload === null ? link : withPatch(link, patchPayload));
    const patchText = patchPayload === null ? ""
      : ` It carries the kernel's change ${kernel!.patch} as a patch (${patchPayload.length} characters), which the page that opens it applies and builds before booting.`;
    const inexact = recording.inexact ?? (patchProblem !== null ? `the kernel's change cannot travel in a link (${patchProblem})` : null);
    if (clock === "deterministic" && inexact === null && recording.events.length > 0) {
      const link = carried(await exactLink(base, { config, events: recording.events }));
      return {
        link,
        exact: true,
        text: `Exact replay: opening this link boots the same machine (deterministic clock, ${config.ramMiB} MiB) on a fresh copy of the shipped disk and gives it everything typed here (${inputs} inputs) at the same moments, to the same screen.${patchText}`,
        note: recording.shippedDisk ? null
          : "This session started on the disk kept in this browser. The replay starts from the shipped disk: if files were changed before this session, it will differ (and say so).",
      };
    }
    const lines = typedLines(inputsOf(recording.events));
    const link = carried(plainLink(base, this.booting, lines));
    const why = clock === "deterministic"
      ? `Not exact: ${inexact ?? "nothing was recorded"}.`
      : "Not exact: the clock is realtime, so what happens depends on timing. Open Keel with clock=deterministic for links that replay exactly.";
    return {
      link,
      exact: false,
      text: `${why} The link carries the configuration and the ${lines.length} command line${lines.length === 1 ? "" : "s"} typed (as run), typed again once the machine has booted.${patchText}`,
      note: null,
      // The same lines on the deterministic clock: once they have run there, Share makes an exact link.
      exactReload: clock === "realtime" && recording.inexact === null
        ? exactReloadLink(base, this.booting, lines)
        : null,
    };
  }

  private openDialog(view: LinkView): void {
    this.lastLink = view.link === "" ? null : view.link;
    this.dialog ??= new ShareDialog(this.button);
    this.dialog.open(view);
  }
}

type LinkConfig = SharedSession["config"] & { clock: BootConfig["clock"] };

interface LinkView {
  link: string;
  exact: boolean;
  text: string;
  note: string | null;
  /** A page to reload into for an exact link (deterministic clock, the same lines), or null. */
  exactReload?: string | null;
}

/** A modal <dialog>: the link in a read-only field (selectable when the
 *  clipboard is not available), Copy and Close. Escape closes it; focus
 *  goes to the field on opening and back to Share on closing. */
class ShareDialog {
  private readonly dialog = document.createElement("dialog");
  private readonly text = document.createElement("p");
  private readonly note = document.createElement("p");
  private readonly field = document.createElement("textarea");
  private readonly copy = document.createElement("button");
  private readonly copied = document.createElement("p");
  /** "Make this an exact link": reloads in deterministic mode with the same lines. */
  private readonly exact = document.createElement("button");
  private exactTarget: string | null = null;

  constructor(private readonly opener: HTMLButtonElement) {
    const d = this.dialog;
    d.id = "share-dialog";
    d.className = "share-dialog";
    d.setAttribute("aria-labelledby", "share-title");
    d.setAttribute("aria-describedby", "share-text");
    const title = document.createElement("h2");
    title.id = "share-title";
    title.className = "share-title";
    title.textContent = "Share this session";
    this.text.id = "share-text";
    this.note.className = "share-note";
    const label = document.createElement("label");
    label.htmlFor = "share-link";
    label.textContent = "Link";
    this.field.id = "share-link";
    this.field.className = "share-link";
    this.field.readOnly = true;
    this.field.rows = 4;
    this.field.spellcheck = false;
    this.field.addEventListener("focus", () => this.field.select());
    this.copy.type = "button";
    this.copy.className = "button";
    this.copy.textContent = "Copy";
    this.copy.addEventListener("click", () => void this.copyLink());
    const close = document.createElement("button");
    close.type = "button";
    close.className = "button";
    close.textContent = "Close";
    close.addEventListener("click", () => d.close());
    this.copied.className = "share-copied";
    this.copied.setAttribute("role", "status");
    this.exact.type = "button";
    this.exact.className = "button";
    this.exact.textContent = "Make this an exact link";
    this.exact.title = "Reload Keel on the deterministic clock and a fresh shipped disk, typing the same lines; then Share makes a link that replays exactly.";
    this.exact.addEventListener("click", () => {
      if (this.exactTarget !== null) window.location.assign(this.exactTarget);
    });
    const buttons = document.createElement("div");
    buttons.className = "share-buttons";
    buttons.append(this.copy, this.exact, close);
    d.append(title, this.text, this.note, label, this.field, buttons, this.copied);
    // Escape fires "cancel" and closes the dialog; either way focus returns to Share.
    d.addEventListener("close", () => this.opener.focus());
    // A click on the backdrop (outside the dialog's box) closes it too.
    d.addEventListener("click", (event) => {
      if (event.target === d) {
        const r = d.getBoundingClientRect();
        const inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
        if (!inside) d.close();
      }
    });
    document.body.append(d);
  }

  open(view: LinkView): void {
    this.text.textContent = view.text;
    this.note.textContent = view.note ?? "";
    this.note.hidden = view.note === null;
    this.field.value = view.link;
    this.dialog.dataset.exact = String(view.exact);
    this.copy.disabled = view.link === "";
    this.exactTarget = view.exactReload ?? null;
    this.exact.hidden = this.exactTarget === null;
    this.copied.textContent = view.link === "" ? "" : `${view.link.length} characters.`;
    if (!this.dialog.open) this.dialog.showModal();
    this.field.focus();
    this.field.select();
  }

  private async copyLink(): Promise<void> {
    this.field.focus();
    this.field.select();
    try {
      if (navigator.clipboard === undefined) throw new Error("no clipboard");
      await navigator.clipboard.writeText(this.field.value);
      this.copied.textContent = "Copied to the clipboard.";
    } catch {
      this.copied.textContent = "The clipboard is not available here: the link is selected, press Ctrl+C (⌘C) to copy it.";
    }
  }
}
