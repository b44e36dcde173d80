// The Code panel (docs/code-panel.md): the kernel's own sources in
// CodeMirror 6, edited in the page, built by the AssemblyScript compiler in
// a Web Worker (web/code/build-worker.ts) and booted in place of the
// running kernel (the `kernel-boot` message to web/worker.ts).
//
// Loaded on demand by web/code/code-tab.ts the first time the Code tab is
// shown: this module, CodeMirror, the source bundle and (on the first edit
// or Build) the compiler are none of them part of the page's first load.
//
// Edits are kept per file in localStorage (web/code/edit-store.ts) a moment
// after typing stops; a file whose text differs from the shipped one is
// marked ● in the file list and its tab. Every open file keeps its own
// editor state (undo history, selection, diagnostics).

import { javascript } from "@codemirror/lang-javascript";
import { type Diagnostic, forEachDiagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorSelection, EditorState, type Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { basicSetup } from "codemirror";
import type { KernelInfo, PageToWorker } from "../protocol";
import { make, setText } from "../panels/dom";
import type { BuildReply, BuildRequest } from "./build-worker";
import type { BuildDiagnostic, BuildResult } from "./compile";
import { EditStore } from "./edit-store";
import type { LabsPanel, LabsSnapshot } from "./labs-panel";
import { ASCONFIG_PATH, KERNEL_ENTRY, type SourceFiles, changedFiles, editedTree, patchHash } from "./source-bundle";
import { fetchSources } from "./sources";
import { applyPatch, makePatch } from "./patch";
import { layoutChanges } from "../../scripts/layout-id.mjs";
import { ChangesView, InlineDiff, diffChunks } from "./diff-view";
import "./code.css";

/** How long after the last keystroke an edit is written to storage. */
const SAVE_DELAY_MS = 400;
/** How often the build's elapsed time is redrawn. */
const TICK_MS = 100;
const SOURCE_PREFIX = "kernel-as/src/";
/** asc numbers the messages it shares with TypeScript from 1000 up. */
const TS_CODES_FROM = 1000;

export interface CodeHooks {
  send(message: PageToWorker, transfer?: Transferable[]): void;
  /** A dim line in the console. */
  marker(text: string): void;
}

/** What the browser tests read through window.keel.code(). */
export interface CodeSnapshot {
  files: number;
  open: string[];
  active: string | null;
  edited: string[];
  building: boolean;
  /** The last build: its outcome, time and counts. */
  lastBuild: { ok: boolean; ms: number; errors: number; warnings: number } | null;
  diagnostics: BuildDiagnostic[];
  /** Diagnostics shown in the active editor (its lint state). */
  gutter: number;
  /** The last message the panel showed (built, failed, booted...). */
  status: string;
  kernel: KernelInfo;
  /** The diff views: the open file's (inline, its chunk count) and all edited files' (when shown). */
  diff: { inline: boolean; chunks: number; all: { files: string[]; chunks: number[]; patch: string } | null };
  /** The last hot swap asked for by Apply: how long the machine stood still, or why it was refused. */
  lastApply: { ok: boolean; swapMs: number | null; reason: string | null } | null;
  /** The Labs panel (web/code/labs-panel.ts), once opened. */
  labs: LabsSnapshot | null;
}

export interface CodePanel {
  kernelChanged(info: KernelInfo, how?: "boot" | "swap", swapMs?: number): void;
  kernelFailed(message: string, refused?: boolean): void;
  snapshot(): CodeSnapshot;
}

function shortName(path: string): string {
  return path.startsWith(SOURCE_PREFIX) ? path.slice(SOURCE_PREFIX.length) : path;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The compiler's own name for a code: AS for its own messages, TS for those it shares with TypeScript. */
function codeName(code: number): string {
  return code === 0 ? "" : `${code < TS_CODES_FROM ? "AS" : "TS"}${code}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A build diagnostic as CodeMirror's, placed in `doc` (clamped to it). */
function editorDiagnostic(state: EditorState, d: BuildDiagnostic): Diagnostic {
  const doc = state.doc;
  const at = (line: number, column: number): number => {
    const l = doc.line(Math.max(1, Math.min(line, doc.lines)));
    return Math.min(l.from + Math.max(0, column - 1), l.to);
  };
  const from = at(d.line, d.column);
  const to = Math.max(from, at(d.endLine, d.endColumn));
  const code = d.code !== 0 ? ` (${codeName(d.code)})` : "";
  return { from, to, severity: d.severity, message: `${d.message}${code}`, source: "asc" };
}

function localStore(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export async function startCodePanel(root: HTMLElement, hooks: CodeHooks, kernelAtStart: KernelInfo): Promise<CodePanel> {
  root.replaceChildren(make("p", "view-summary", "Loading the kernel's sources…"));
  const shipped = await fetchSources();
  const store = new EditStore(localStore(), shipped);
  const paths = Object.keys(shipped).sort((a, b) => (a === ASCONFIG_PATH ? -1 : b === ASCONFIG_PATH ? 1 : a.localeCompare(b)));

  let kernel = kernelAtStart;
  let building = false;
  let lastBuild: CodeSnapshot["lastBuild"] = null;
  let diagnostics: BuildDiagnostic[] = [];
  let statusText = "";
  const states = new Map<string, EditorState>();
  const open: string[] = [];
  let active: string | null = null;
  const saveTimers = new Map<string, ReturnType<typeof setTimeout>>();

  // ---- the DOM ----
  const bar = make("div", "code-bar");
  const buildButton = make("button", "button", "Build");
  buildButton.type = "button";
  buildButton.id = "code-build";
  buildButton.title = "Compile the kernel from the edited sources with its release flags, then reboot into it";
  const applyButton = make("button", "button", "Apply");
  applyButton.type = "button";
  applyButton.id = "code-apply";
  applyButton.title = "Compile the kernel, then continue the running machine under it (hot swap): the processes go on. Refused, with the reason, when the new kernel lays out its RAM differently";
  const revertFile = make("button", "button button-small", "Revert file");
  revertFile.type = "button";
  revertFile.id = "code-revert-file";
  const revertAll = make("button", "button button-small", "Revert all");
  revertAll.type = "button";
  revertAll.id = "code-revert-all";
  const status = make("span", "code-status");
  status.id = "code-status";
  status.setAttribute("role", "status");
  const kernelLine = make("span", "code-kernel");
  kernelLine.id = "code-kernel";
  const diffButton = make("button", "button button-small", "Changes");
  diffButton.type = "button";
  diffButton.id = "code-diff";
  diffButton.title = "Show the open file's differences from the shipped source in the editor (each chunk can be reverted)";
  diffButton.setAttribute("aria-pressed", "false");
  const allButton = make("button", "button button-small", "All changes");
  allButton.type = "button";
  allButton.id = "code-all-changes";
  allButton.title = "Show every edited file's differences from the shipped sources, and the patch";
  allButton.setAttribute("aria-pressed", "false");
  const labsButton = make("button", "button button-small", "Labs");
  labsButton.type = "button";
  labsButton.id = "code-labs";
  labsButton.setAttribute("aria-expanded", "false");
  labsButton.title = "Exercises with graders: start one, edit, grade (docs/labs/)";
  bar.append(buildButton, applyButton, revertFile, revertAll, diffButton, allButton, labsButton, status, kernelLine);
  const labsRoot = make("section", "labs");
  labsRoot.id = "code-labs-panel";
  labsRoot.setAttribute("aria-label", "Labs");
  labsRoot.hidden = true;

  const body = make("div", "code-body");
  const fileNav = make("nav", "code-files");
  fileNav.setAttribute("aria-label", "Kernel sources");
  const fileList = make("ul", "code-file-list");
  fileList.id = "code-files";
  fileNav.append(fileList);
  const main = make("div", "code-main");
  const tabs = make("div", "code-tabs");
  tabs.id = "code-tabs";
  // A group of buttons, not a tablist: each open file also has its close button.
  tabs.setAttribute("role", "group");
  tabs.setAttribute("aria-label", "Open files");
  const editorHost = make("div", "code-editor");
  editorHost.id = "code-editor";
  main.append(tabs, editorHost);
  body.append(fileNav, main);

  const problemsTitle = make("h4", "subhead", "Problems");
  problemsTitle.id = "code-problems-title";
  const problems = make("ul", "code-problems");
  problems.id = "code-problems";
  problems.setAttribute("aria-labelledby", "code-problems-title");
  root.replaceChildren(bar, labsRoot, body, problemsTitle, problems);

  const showStatus = (text: string): void => {
    statusText = text;
    setText(status, text);
  };
  const showKernel = (): void => {
    setText(kernelLine, kernel.patch === null ? "Running the shipped kernel." : `Running the modified kernel ${kernel.patch}.`);
  };

  // ---- editor states ----
  const currentText = (path: string): string => states.get(path)?.doc.toString() ?? store.get(path) ?? shipped[path]!;
  const edits = (): SourceFiles => {
    const all: SourceFiles = store.all();
    for (const [path, state] of states) {
      const text = state.doc.toString();
      if (text === shipped[path]) delete all[path];
      else all[path] = text;
    }
    return all;
  };
  const isEdited = (path: string): boolean => currentText(path) !== shipped[path];

  const save = (path: string): void => {
    clearTimeout(saveTimers.get(path));
    saveTimers.delete(path);
    const problem = store.set(path, currentText(path));
    if (problem !== null) showStatus(`Your edit to ${shortName(path)} is only in this tab: ${problem}.`);
  };
  const saveSoon = (path: string): void => {
    clearTimeout(saveTimers.get(path));
    saveTimers.set(path, setTimeout(() => save(path), SAVE_DELAY_MS));
  };

  const inline = new InlineDiff();
  const extensions: Extension[] = [
    basicSetup,
    javascript({ typescript: true }),
    lintGutter(),
    inline.extension(),
    EditorView.updateListener.of((update) => {
      if (!update.docChanged || active === null) return;
      states.set(active, update.state);
      saveSoon(active);
      markEdited();
      warmCompiler();
    }),
  ];
  const view = new EditorView({ parent: editorHost, state: EditorState.create({ doc: "", extensions }) });
  view.contentDOM.setAttribute("aria-label", "Kernel source");
  const changesView = new ChangesView({ open: (path) => { showAll(false); openFile(path); }, shortName }, [basicSetup, javascript({ typescript: true })]);
  main.append(changesView.root);
  const syncDiff = (): void => {
    if (active !== null) inline.sync(view, shipped[active]!);
  };
  const showAll = (on: boolean): void => {
    allButton.setAttribute("aria-pressed", String(on));
    changesView.root.hidden = !on;
    editorHost.hidden = on;
    tabs.hidden = on;
    if (on) changesView.render(shipped, edits());
    else changesView.clear();
  };
  diffButton.addEventListener("click", () => {
    inline.on = !inline.on;
    diffButton.setAttribute("aria-pressed", String(inline.on));
    if (!changesView.root.hidden) showAll(false);
    syncDiff();
  });
  allButton.addEventListener("click", () => showAll(changesView.root.hidden));

  /** The file's diagnostics from the last build, in `state`. */
  const withDiagnostics = (path: string, state: EditorState): EditorState =>
    state.update(setDiagnostics(state, diagnostics.filter((d) => d.file === path).map((d) => editorDiagnostic(state, d)))).state;

  const stateOf = (path: string): EditorState => {
    let state = states.get(path);
    if (state === undefined) {
      state = withDiagnostics(path, EditorState.create({ doc: store.get(path) ?? shipped[path]!, extensions }));
      states.set(path, state);
    }
    return state;
  };

  // ---- file list and tabs ----
  const fileButtons = new Map<string, HTMLButtonElement>();
  for (const path of paths) {
    const item = make("li");
    const button = make("button", "code-file", shortName(path));
    button.type = "button";
    button.dataset.path = path;
    button.title = path;
    button.addEventListener("click", () => openFile(path));
    fileButtons.set(path, button);
    item.append(button);
    fileList.append(item);
  }

  const renderTabs = (): void => {
    tabs.replaceChildren();
    for (const path of open) {
      const tab = make("span", "code-tab");
      tab.dataset.path = path;
      const select = make("button", "code-tab-name", baseName(path) + (isEdited(path) ? " ●" : ""));
      select.type = "button";
      select.setAttribute("aria-pressed", String(path === active));
      select.title = isEdited(path) ? `${path} (edited)` : path;
      select.addEventListener("click", () => openFile(path));
      const close = make("button", "code-tab-close", "×");
      close.type = "button";
      close.setAttribute("aria-label", `Close ${baseName(path)}`);
      close.addEventListener("click", () => closeFile(path));
      tab.append(select, close);
      tabs.append(tab);
    }
  };
  const markEdited = (): void => {
    for (const [path, button] of fileButtons) {
      const edited = isEdited(path);
      button.classList.toggle("code-file-edited", edited);
      button.setAttribute("aria-current", String(path === active));
      const text = shortName(path) + (edited ? " ●" : "");
      setText(button, text);
    }
    renderTabs();
    revertFile.disabled = active === null || !isEdited(active);
    revertAll.disabled = changedFiles(shipped, edits()).length === 0;
    if (!changesView.root.hidden) changesView.render(shipped, edits());
  };

  function openFile(path: string, line?: number, column?: number, focus = true): void {
    if (!(path in shipped)) return;
    if (active !== null && active !== path) states.set(active, view.state);
    if (!open.includes(path)) open.push(path);
    if (active !== path) {
      active = path;
      view.setState(stateOf(path));
      syncDiff();
    }
    if (line !== undefined) {
      const doc = view.state.doc;
      const l = doc.line(Math.max(1, Math.min(line, doc.lines)));
      const at = Math.min(l.from + Math.max(0, (column ?? 1) - 1), l.to);
      view.dispatch({ selection: EditorSelection.cursor(at), effects: EditorView.scrollIntoView(at, { y: "center" }) });
    }
    markEdited();
    if (focus) view.focus();
  }

  function closeFile(path: string): void {
    const index = open.indexOf(path);
    if (index < 0) return;
    if (saveTimers.has(path)) save(path);
    open.splice(index, 1);
    // Its state goes; the text is in storage (or is the shipped one).
    if (path === active) {
      active = null;
      const next = open[Math.min(index, open.length - 1)];
      if (next !== undefined) openFile(next);
      else view.setState(EditorState.create({ doc: "", extensions }));
    }
    states.delete(path);
    markEdited();
  }

  const revert = (path: string): void => {
    clearTimeout(saveTimers.get(path));
    saveTimers.delete(path);
    store.revert(path);
    if (!states.has(path)) return;
    const fresh = withDiagnostics(path, EditorState.create({ doc: shipped[path]!, extensions }));
    states.set(path, fresh);
    if (path === active) {
      view.setState(fresh);
      syncDiff();
    }
  };
  revertFile.addEventListener("click", () => {
    if (active === null) return;
    revert(active);
    showStatus(`${shortName(active)} is as shipped again.`);
    markEdited();
  });
  revertAll.addEventListener("click", () => {
    const changed = changedFiles(shipped, edits());
    if (changed.length > 1 && !window.confirm(`Revert all ${changed.length} edited files to the shipped sources?`)) return;
    for (const path of paths) revert(path);
    store.revertAll();
    showStatus("Every file is as shipped again.");
    markEdited();
  });

  // ---- problems ----
  const renderProblems = (): void => {
    problems.replaceChildren();
    for (const d of diagnostics) {
      const item = make("li", `code-problem code-problem-${d.severity}`);
      const where = d.file !== null ? `${shortName(d.file)}:${d.line}:${d.column}` : "";
      const label = `${d.severity}${d.code !== 0 ? ` ${codeName(d.code)}` : ""}${where !== "" ? ` ${where}` : ""}: ${d.message}`;
      if (d.file !== null) {
        const button = make("button", "code-problem-link", label);
        button.type = "button";
        button.dataset.file = d.file;
        button.dataset.line = String(d.line);
        const file = d.file;
        button.addEventListener("click", () => openFile(file, d.line, d.column));
        item.append(button);
      } else item.textContent = label;
      problems.append(item);
    }
    if (diagnostics.length === 0) problems.append(make("li", "code-problem-none", lastBuild === null ? "Not built yet." : "No problems."));
  };
  const applyDiagnostics = (): void => {
    for (const [path, state] of states) {
      if (path === active) view.dispatch(setDiagnostics(view.state, diagnostics.filter((d) => d.file === path).map((d) => editorDiagnostic(view.state, d))));
      else states.set(path, withDiagnostics(path, state));
    }
    if (active !== null) states.set(active, view.state);
    renderProblems();
  };

  // ---- building ----
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, (result: BuildResult) => void>();
  const buildWorker = (): Worker => {
    if (worker !== null) return worker;
    worker = new Worker(new URL("./build-worker.ts", import.meta.url), { type: "module", name: "keel-build" });
    worker.addEventListener("message", (event: MessageEvent<BuildReply>) => {
      const done = pending.get(event.data.id);
      pending.delete(event.data.id);
      done?.(event.data.result);
    });
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      const message = `the build worker failed: ${event.message || "it could not be loaded"}`;
      for (const done of pending.values()) {
        done({ ok: false, wasm: null, ms: 0, stderr: "", diagnostics: [{ severity: "error", code: 0, message, file: null, line: 0, column: 0, endLine: 0, endColumn: 0 }] });
      }
      pending.clear();
      worker?.terminate();
      worker = null;
    });
    return worker;
  };
  /** Someone who edits is likely to build: fetch the compiler meanwhile. */
  let warmed = false;
  const warmCompiler = (): void => {
    if (warmed) return;
    warmed = true;
    const request: BuildRequest = { type: "load" };
    buildWorker().postMessage(request);
  };
  const compile = (files: SourceFiles): Promise<BuildResult> => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    const request: BuildRequest = { type: "build", id, files };
    buildWorker().postMessage(request);
  });

  /** The edits of the tree the running kernel was built from ({} for the
   *  shipped one), and of the one last sent to the worker. */
  let runningEdits: SourceFiles = {};
  let sentEdits: { name: string | null; edits: SourceFiles } | null = null;
  let lastApply: CodeSnapshot["lastApply"] = null;
  /** The build a refused Apply sent, kept so that Build right after it does not compile again. */
  let applying: { key: string; wasm: Uint8Array } | null = null;
  let lastWasm: { key: string; wasm: Uint8Array } | null = null;
  const editsKey = (files: SourceFiles): string => JSON.stringify(Object.keys(files).sort().map((path) => [path, files[path]]));

  const build = async (mode: "boot" | "apply"): Promise<void> => {
    if (building) return;
    building = true;
    buildButton.disabled = true;
    applyButton.disabled = true;
    for (const path of [...saveTimers.keys()]) save(path);
    const patch = edits();
    const key = editsKey(patch);
    const started = performance.now();
    const tick = setInterval(() => showStatus(`Building… ${seconds(performance.now() - started)}`), TICK_MS);
    showStatus("Building…");
    let result: BuildResult;
    try {
      const reuse = mode === "boot" && lastWasm !== null && lastWasm.key === key && lastBuild?.ok === true;
      result = reuse ? { ok: true, wasm: lastWasm!.wasm.slice(), diagnostics, ms: lastBuild!.ms, stderr: "" } : await compile(editedTree(shipped, patch));
      lastWasm = null;
    } finally {
      clearInterval(tick);
      building = false;
      buildButton.disabled = false;
      applyButton.disabled = false;
    }
    diagnostics = result.diagnostics;
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    const warnings = diagnostics.filter((d) => d.severity === "warning").length;
    lastBuild = { ok: result.ok, ms: result.ms, errors, warnings };
    applyDiagnostics();
    if (!result.ok || result.wasm === null) {
      showStatus(`Build failed in ${seconds(result.ms)}: ${plural(errors, "error")}, ${plural(warnings, "warning")}. The running kernel is unchanged.`);
      return;
    }
    applying = mode === "apply" ? { key, wasm: result.wasm.slice() } : null;
    const name = await patchHash(shipped, patch);
    const counts = warnings > 0 ? ` (${plural(warnings, "warning")})` : "";
    sentEdits = { name: name === "shipped" ? null : name, edits: patch };
    if (mode === "apply") {
      lastApply = null;
      showStatus(`Built in ${seconds(result.ms)}${counts}; applying the ${name === "shipped" ? "shipped kernel" : `modified kernel ${name}`} to the running machine…`);
      hooks.send({ type: "kernel-apply", bytes: result.wasm, patch: name === "shipped" ? null : name, diff: makePatch(shipped, patch) }, [result.wasm.buffer]);
    } else if (name === "shipped") {
      showStatus(`Built in ${seconds(result.ms)}${counts}; no file is edited, so the shipped kernel boots.`);
      hooks.marker("reboot: shipped kernel");
      hooks.send({ type: "kernel-reset" });
    } else {
      showStatus(`Built in ${seconds(result.ms)}${counts}; booting the modified kernel ${name}…`);
      hooks.marker(`reboot: modified kernel ${name}`);
      hooks.send({ type: "kernel-boot", bytes: result.wasm, patch: name, diff: makePatch(shipped, patch) }, [result.wasm.buffer]);
    }
  };
  buildButton.addEventListener("click", () => void build("boot"));
  applyButton.addEventListener("click", () => void build("apply"));

  /** A kernel booted from a share link's patch: its change becomes the
   *  panel's edits, unless the panel holds edits of its own (kept). */
  let linkNote = "";
  const adoptLinkPatch = (info: KernelInfo): void => {
    if (info.patch === null || info.diff == null || sentEdits !== null) return;
    if (changedFiles(shipped, edits()).length > 0) {
      linkNote = ` The running kernel ${info.patch} comes from the link's patch; your own edits are kept here (Revert all and reload the link to edit its change).`;
      return;
    }
    let linked: SourceFiles;
    try {
      linked = applyPatch(shipped, info.diff);
    } catch {
      return; // it applied when the page built it; the shipped sources have not changed since
    }
    for (const [path, text] of Object.entries(linked)) {
      store.set(path, text);
      if (states.has(path)) {
        const fresh = withDiagnostics(path, EditorState.create({ doc: text, extensions }));
        states.set(path, fresh);
        if (path === active) {
          view.setState(fresh);
          syncDiff();
        }
      }
    }
    runningEdits = linked;
    sentEdits = { name: info.patch, edits: linked };
    linkNote = ` The link's change ${info.patch} is loaded as your edits (${plural(Object.keys(linked).length, "file")}).`;
    markEdited();
  };
  adoptLinkPatch(kernelAtStart);

  // ---- labs (docs/labs/README.md): loaded when first opened ----
  let labs: LabsPanel | null = null;
  let labsLoading = false;
  /** Puts each file's text in the editor and the store (the shipped text reverts it). */
  const setEdits = (files: SourceFiles): void => {
    for (const [path, text] of Object.entries(files)) {
      if (!(path in shipped)) continue;
      clearTimeout(saveTimers.get(path));
      saveTimers.delete(path);
      const problem = store.set(path, text);
      if (problem !== null) showStatus(`Your edit to ${shortName(path)} is only in this tab: ${problem}.`);
      const fresh = withDiagnostics(path, EditorState.create({ doc: text, extensions }));
      states.set(path, fresh);
      if (path === active) {
        view.setState(fresh);
        syncDiff();
      }
      if (!open.includes(path)) open.push(path);
    }
    const first = Object.keys(files).find((path) => path in shipped);
    if (first !== undefined) openFile(first, undefined, undefined, false);
    markEdited();
  };
  /** A lab's build: one at a time with Build's (the worker runs one compiler). */
  const buildOnly = async (tree: SourceFiles): Promise<BuildResult> => {
    if (building) throw new Error("a Build is running; grade when it has finished");
    building = true;
    buildButton.disabled = true;
    for (const path of [...saveTimers.keys()]) save(path);
    let result: BuildResult;
    try {
      result = await compile(tree);
    } finally {
      building = false;
      buildButton.disabled = false;
    }
    diagnostics = result.diagnostics;
    applyDiagnostics();
    return result;
  };
  labsButton.addEventListener("click", () => {
    labsRoot.hidden = !labsRoot.hidden;
    labsButton.setAttribute("aria-expanded", String(!labsRoot.hidden));
    if (labs !== null || labsLoading) return;
    labsLoading = true;
    labsRoot.replaceChildren(make("p", "view-summary", "Loading the labs…"));
    import("./labs-panel").then((module) => {
      labs = module.startLabs(labsRoot, { shipped, edits, setEdits, compile: buildOnly });
    }, (error: unknown) => {
      labsLoading = false;
      labsRoot.replaceChildren(make("p", "view-summary", `The labs could not be loaded: ${error instanceof Error ? error.message : String(error)}`));
    });
  });

  showKernel();
  renderProblems();
  openFile(KERNEL_ENTRY, undefined, undefined, false);
  const editedCount = changedFiles(shipped, store.all()).length;
  showStatus(`${plural(paths.length, "file")}${editedCount > 0 ? `, ${editedCount} edited` : ""}. Build compiles them with the kernel's release flags.${linkNote}`);

  return {
    kernelChanged(info, how = "boot", swapMs) {
      kernel = info;
      if (how === "boot" && sentEdits === null) {
        adoptLinkPatch(info);
        if (linkNote !== "") showStatus(linkNote.trim());
      }
      if (info.patch === null) runningEdits = {};
      else if (sentEdits !== null && sentEdits.name === info.patch) runningEdits = sentEdits.edits;
      showKernel();
      const which = info.patch === null ? "shipped kernel" : `modified kernel ${info.patch}`;
      if (how === "swap") {
        lastApply = { ok: true, swapMs: swapMs ?? null, reason: null };
        showStatus(`Applied in place${swapMs !== undefined ? ` in ${swapMs.toFixed(1)} ms` : ""}: the machine runs on under the ${which}, its processes with it.`);
      } else if (lastBuild?.ok) showStatus(`Built in ${seconds(lastBuild.ms)}; now running the ${which}.`);
    },
    kernelFailed(message, refused = false) {
      if (!refused) {
        showStatus(message);
        return;
      }
      // Which declarations make the layouts differ, when the panel knows both trees.
      const changes = sentEdits === null ? [] : layoutChanges(editedTree(shipped, runningEdits), editedTree(shipped, sentEdits.edits));
      const named = changes.slice(0, 3).map((c) => `${shortName(c.key)} (${c.change})`).join(", ");
      const more = changes.length > 3 ? ` and ${changes.length - 3} more` : "";
      const reason = `${message}${named !== "" ? ` Layout declarations that differ: ${named}${more}.` : ""} Build reboots into it instead (the processes end; the disk stays).`;
      lastApply = { ok: false, swapMs: null, reason };
      lastWasm = applying;
      showStatus(reason);
    },
    snapshot: () => {
      let gutter = 0;
      forEachDiagnostic(view.state, () => gutter++);
      return {
        files: paths.length,
        open: [...open],
        active,
        edited: changedFiles(shipped, edits()),
        building,
        lastBuild,
        diagnostics,
        gutter,
        status: statusText,
        kernel,
        lastApply,
        diff: { inline: inline.on, chunks: diffChunks(view.state), all: changesView.root.hidden ? null : changesView.snapshot() },
        labs: labs?.snapshot() ?? null,
      };
    },
  };
}
