// The Labs panel inside the Code panel (docs/labs/README.md): the list of
// labs, each one's instructions (docs/labs/<id>.md), "Start lab", which puts
// the lab's starting point (labs/<id>/start.patch) into the editor as
// edits, and "Grade", which builds the edited kernel in the build worker and
// runs the lab's checks against it in the grading worker
// (web/code/labs-worker.ts), listing PASS or FAIL per check as each ends.
//
// Loaded on demand when the Labs button is first pressed. The instructions
// and starting points come in as text through Vite's glob imports; the
// solutions (labs/<id>/solution.patch) are never named here.

import type { BuildResult } from "./compile";
import { LABS, labById } from "./labs-catalog";
import type { CheckResult, GradeReport, Lab } from "./labs-grader";
import { applyToTree, patchedPaths } from "./patch";
import type { LabsReply, LabsRequest } from "./labs-worker";
import { make, setText } from "../panels/dom";
import { type SourceFiles, editedTree } from "./source-bundle";

const starts = import.meta.glob<string>("../../labs/*/start.patch", { query: "?raw", import: "default" });
const guides = import.meta.glob<string>("../../docs/labs/*.md", { query: "?raw", import: "default" });
/** A kernel that has not finished a check in this long is given up on (as
 *  scripts/grade-lib.ts STALL_MS): its worker is ended. */
const STALL_MS = 120_000;

/** What the Labs panel needs of the Code panel. */
export interface LabsHost {
  shipped: SourceFiles;
  /** The edits now (every file that differs from its shipped text). */
  edits(): SourceFiles;
  /** Makes each file's text `files[path]` in the editor and the store, and opens them. */
  setEdits(files: SourceFiles): void;
  /** Builds a tree in the build worker; the build's diagnostics go to the Problems list. */
  compile(tree: SourceFiles): Promise<BuildResult>;
}

/** What the browser tests read. */
export interface LabsSnapshot {
  lab: string | null;
  grading: boolean;
  status: string;
  results: CheckResult[];
  report: { passed: number; total: number } | null;
}

export interface LabsPanel {
  snapshot(): LabsSnapshot;
}

async function loadText(table: Record<string, () => Promise<string>>, suffix: string): Promise<string> {
  const key = Object.keys(table).find((k) => k.endsWith(suffix));
  if (key === undefined) throw new Error(`the page has no ${suffix}`);
  return table[key]!();
}

// ---- a small Markdown reader for the instructions (headings, paragraphs,
// lists, code blocks, tables, `code`, **bold**, *em*, [links](...)) into DOM
// nodes: text is never parsed as HTML ----

function inline(parent: HTMLElement, text: string): void {
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*|\[([^\]]+)\]\(([^)]+)\)/g;
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > at) parent.append(text.slice(at, m.index));
    if (m[1] !== undefined) parent.append(make("code", undefined, m[1]));
    else if (m[2] !== undefined) parent.append(make("strong", undefined, m[2]));
    else if (m[3] !== undefined) parent.append(make("em", undefined, m[3]));
    else parent.append(make("span", "labs-link", m[4]!)); // links lead out of the page's docs: shown as their text
    at = m.index + m[0].length;
  }
  if (at < text.length) parent.append(text.slice(at));
}

export function renderMarkdown(text: string): HTMLElement {
  const root = make("div", "labs-guide");
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith("```")) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
      i++;
      root.append(make("pre", "labs-code", body.join("\n")));
      continue;
    }
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (heading !== null) {
      const h = make(heading[1]!.length === 1 ? "h4" : "h5", "labs-heading");
      inline(h, heading[2]!);
      root.append(h);
      i++;
      continue;
    }
    if (line.startsWith("|")) {
      const table = make("table", "labs-table");
      let header = true;
      for (; i < lines.length && lines[i]!.startsWith("|"); i++) {
        const cells = lines[i]!.replace(/^\||\|$/g, "").split(/(?<!\\)\|/).map((c) => c.trim().replaceAll("\\|", "|"));
        if (cells.every((c) => /^-+$/.test(c))) { header = false; continue; }
        const row = make("tr");
        for (const c of cells) {
          const cell = make(header ? "th" : "td");
          inline(cell, c);
          row.append(cell);
        }
        table.append(row);
      }
      root.append(table);
      continue;
    }
    const item = /^(\s*)(\*|\d+\.) (.*)$/.exec(line);
    if (item !== null) {
      const list = make(item[2] === "*" ? "ul" : "ol", "labs-list");
      while (i < lines.length) {
        const m = /^(\s*)(\*|\d+\.) (.*)$/.exec(lines[i]!);
        if (m === null) break;
        let body = m[3]!;
        for (i++; i < lines.length && /^\s+\S/.test(lines[i]!) && !/^\s*(\*|\d+\.) /.test(lines[i]!); i++) body += ` ${lines[i]!.trim()}`;
        const li = make("li");
        inline(li, body);
        list.append(li);
      }
      root.append(list);
      continue;
    }
    if (line.trim() === "") { i++; continue; }
    const para: string[] = [];
    for (; i < lines.length && lines[i]!.trim() !== "" && !/^(#|```|\||\s*(\*|\d+\.) )/.test(lines[i]!); i++) para.push(lines[i]!.trim());
    const p = make("p");
    inline(p, para.join(" "));
    root.append(p);
  }
  return root;
}

// ---- the panel ----

export function startLabs(root: HTMLElement, host: LabsHost): LabsPanel {
  let current: Lab | null = null;
  let grading = false;
  let statusText = "";
  let results: CheckResult[] = [];
  let report: GradeReport | null = null;

  const list = make("ul", "labs-list-of-labs");
  list.id = "labs-list";
  const title = make("h4", "labs-title");
  const actions = make("div", "labs-actions");
  const startButton = make("button", "button", "Start lab");
  startButton.type = "button";
  startButton.id = "labs-start";
  startButton.title = "Put the lab's starting point into the editor as edits";
  const gradeButton = make("button", "button", "Grade");
  gradeButton.type = "button";
  gradeButton.id = "labs-grade";
  gradeButton.title = "Build the edited kernel and run the lab's checks on a machine of their own";
  const status = make("span", "code-status");
  status.id = "labs-status";
  status.setAttribute("role", "status");
  actions.append(startButton, gradeButton, status);
  const resultList = make("ul", "labs-results");
  resultList.id = "labs-results";
  resultList.setAttribute("aria-label", "Checks");
  const guide = make("div", "labs-guide-host");
  guide.id = "labs-guide";
  const detail = make("div", "labs-detail");
  detail.append(title, actions, resultList, guide);
  root.replaceChildren(list, detail);

  const showStatus = (text: string): void => {
    statusText = text;
    setText(status, text);
  };
  const renderResults = (): void => {
    resultList.replaceChildren();
    for (const r of results) {
      const li = make("li", `labs-result labs-result-${r.ok ? "pass" : "fail"}`);
      li.dataset.ok = String(r.ok);
      li.append(make("span", "labs-mark", r.ok ? "PASS" : "FAIL"), ` ${r.name}`);
      if (r.detail !== "") li.append(make(r.ok ? "span" : "pre", "labs-why", r.ok ? ` (${r.detail})` : r.detail));
      resultList.append(li);
    }
  };
  const refreshButtons = (): void => {
    startButton.disabled = current === null || grading;
    gradeButton.disabled = current === null || grading;
  };

  for (const lab of LABS) {
    const li = make("li");
    const button = make("button", "code-file labs-lab", `${lab.id}: ${lab.title}`);
    button.type = "button";
    button.dataset.lab = lab.id;
    button.title = lab.summary;
    button.addEventListener("click", () => void open(lab.id));
    li.append(button);
    list.append(li);
  }

  async function open(id: string): Promise<void> {
    const lab = labById(id);
    if (lab === undefined || grading) return;
    current = lab;
    results = [];
    report = null;
    renderResults();
    for (const b of list.querySelectorAll<HTMLButtonElement>("button")) b.setAttribute("aria-current", String(b.dataset.lab === id));
    setText(title, `${lab.title}`);
    showStatus(lab.summary);
    refreshButtons();
    guide.replaceChildren(make("p", "view-summary", "Loading the instructions…"));
    try {
      const text = await loadText(guides, `/${id}.md`);
      if (current === lab) guide.replaceChildren(renderMarkdown(text));
    } catch (error) {
      guide.replaceChildren(make("p", "view-summary", `The instructions could not be loaded: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  startButton.addEventListener("click", () => void (async () => {
    const lab = current;
    if (lab === null) return;
    let patch: string;
    try {
      patch = await loadText(starts, `/${lab.id}/start.patch`);
    } catch (error) {
      showStatus(`The starting point could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const paths = [...new Set(patchedPaths(patch))];
    const edits = host.edits();
    const touched = paths.filter((p) => p in edits);
    if (touched.length > 0 && !window.confirm(`Starting lab ${lab.id} replaces your edits of ${touched.join(", ")} with its starting point. Go on?`)) return;
    let tree: SourceFiles;
    try {
      tree = applyToTree(host.shipped, patch);
    } catch (error) {
      showStatus(`The starting point does not apply to these sources: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const files: SourceFiles = {};
    for (const p of paths) files[p] = tree[p]!;
    host.setEdits(files);
    results = [];
    report = null;
    renderResults();
    showStatus(`Lab ${lab.id} started: ${paths.map((p) => p.replace("kernel-as/src/", "")).join(", ")} ${paths.length === 1 ? "holds" : "hold"} the starting point. Edit, then Grade.`);
  })());

  gradeButton.addEventListener("click", () => void (async () => {
    const lab = current;
    if (lab === null || grading) return;
    grading = true;
    refreshButtons();
    results = [];
    report = null;
    renderResults();
    const started = performance.now();
    try {
      showStatus("Building the edited kernel…");
      const built = await host.compile(editedTree(host.shipped, host.edits()));
      if (!built.ok || built.wasm === null) {
        const errors = built.diagnostics.filter((d) => d.severity === "error");
        const first = errors[0];
        showStatus(`The kernel does not build (${errors.length} error${errors.length === 1 ? "" : "s"}${first !== undefined ? `; first: ${first.file !== null ? `${first.file.replace("kernel-as/src/", "")}:${first.line}: ` : ""}${first.message}` : ""}). Nothing was graded; see Problems.`);
        return;
      }
      showStatus(`Built in ${(built.ms / 1000).toFixed(1)} s; running ${lab.checks.length} checks…`);
      report = await grade(lab, built.wasm, (r) => {
        results.push(r);
        renderResults();
        showStatus(`Running the checks: ${results.length} of ${lab.checks.length} done…`);
      });
      results = report.results;
      renderResults();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      showStatus(report.passed === report.total
        ? `Lab ${lab.id}: all ${report.total} checks pass (${seconds} s).`
        : `Lab ${lab.id}: ${report.passed} of ${report.total} checks pass (${seconds} s).`);
    } catch (error) {
      showStatus(`Grading stopped: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      grading = false;
      refreshButtons();
    }
  })());

  refreshButtons();
  renderResults();
  showStatus("Choose a lab.");

  return {
    snapshot: () => ({ lab: current?.id ?? null, grading, status: statusText, results: [...results], report: report === null ? null : { passed: report.passed, total: report.total } }),
  };
}

let nextId = 1;

/** Runs the lab's checks on `wasm` in a fresh grading worker (ended
 *  afterwards, or when no check has finished for STALL_MS: the checks not
 *  run then fail saying why, as in Node). */
function grade(lab: Lab, wasm: Uint8Array, onResult: (r: CheckResult) => void): Promise<GradeReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./labs-worker.ts", import.meta.url), { type: "module", name: "keel-labs" });
    const id = nextId++;
    const started = performance.now();
    const results: CheckResult[] = [];
    const stall = (): void => {
      worker.terminate();
      const why = `the kernel did not finish this check within ${STALL_MS / 1000} s of real time (a loop in the kernel that never returns to the host?); the grader stopped it`;
      for (const check of lab.checks.slice(results.length)) {
        const result = { name: check.name, ok: false, detail: why, ms: 0 };
        results.push(result);
        onResult(result);
      }
      resolve({ lab: lab.id, passed: results.filter((r) => r.ok).length, total: results.length, results, ms: performance.now() - started });
    };
    let timer = setTimeout(stall, STALL_MS);
    const done = (): void => {
      clearTimeout(timer);
      worker.terminate();
    };
    worker.addEventListener("message", (event: MessageEvent<LabsReply>) => {
      const m = event.data;
      if (m.id !== id) return;
      if (m.type === "check") {
        clearTimeout(timer);
        timer = setTimeout(stall, STALL_MS);
        results.push(m.result);
        onResult(m.result);
      }
      else if (m.type === "graded") { done(); resolve(m.report); }
      else { done(); reject(new Error(m.message)); }
    });
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      done();
      reject(new Error(`the grading worker failed: ${event.message || "it could not be loaded"}`));
    });
    const request: LabsRequest = { type: "grade", id, lab: lab.id, wasm };
    worker.postMessage(request, [wasm.buffer]);
  });
}
