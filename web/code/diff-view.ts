// The Code panel's diff views against the shipped sources (docs/code-panel.md):
//   * per file: the editor itself shows what differs from the shipped text,
//     removed lines above the lines that replaced them, changed lines marked
//     in the gutter, long unchanged stretches folded; each changed chunk has
//     a Revert button that puts that chunk back as shipped. The file stays
//     editable.
//   * all edited files: one read-only view per edited file, the same way,
//     with its name (a click opens the file) and its counts of added and
//     removed lines; and the change as a unified diff (web/code/patch.ts)
//     to copy, the text `git apply` takes.
// Both come from @codemirror/merge (the CodeMirror project's own merge and
// diff views), which aligns and highlights chunks in the editor's own
// document model.
import { getChunks, unifiedMergeView } from "@codemirror/merge";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { make, setText } from "../panels/dom";
import { diffLines, makePatch, splitLines } from "./patch";
import type { SourceFiles } from "./source-bundle";

/** Unchanged lines kept around a change when the rest is folded. */
const MARGIN_LINES = 3;

function revertControl(type: "reject" | "accept", action: (e: MouseEvent) => void): HTMLElement {
  if (type === "accept") {
    // Accepting would change the shipped side; there is nothing to accept into.
    const none = document.createElement("span");
    none.hidden = true;
    return none;
  }
  const button = make("button", "code-diff-revert", "Revert");
  button.type = "button";
  button.title = "Put this chunk back as shipped";
  button.addEventListener("mousedown", action);
  return button;
}

/** The editor's extension showing the difference from `original`. */
export function inlineDiff(original: string, editable: boolean): Extension {
  return unifiedMergeView({
    original,
    gutter: true,
    highlightChanges: true,
    syntaxHighlightDeletions: true,
    mergeControls: editable ? revertControl : false,
    collapseUnchanged: { margin: MARGIN_LINES, minSize: MARGIN_LINES + 1 },
  });
}

/** Changed chunks the editor's diff shows (0 when it shows none). */
export function diffChunks(state: EditorState): number {
  return getChunks(state)?.chunks.length ?? 0;
}

/** A compartment for the editor: empty, or the inline diff of the open file. */
export class InlineDiff {
  readonly compartment = new Compartment();
  on = false;

  extension(): Extension {
    return this.compartment.of([]);
  }

  /** Shows (or hides) the difference of `view`'s document from `original`. */
  sync(view: EditorView, original: string): void {
    view.dispatch({ effects: this.compartment.reconfigure(this.on ? inlineDiff(original, true) : []) });
  }
}

/** Lines added and removed between two texts. */
export function lineCounts(before: string, after: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const op of diffLines(splitLines(before), splitLines(after))) {
    if (op.kind === "add") added++;
    else if (op.kind === "del") removed++;
  }
  return { added, removed };
}

export interface ChangesHooks {
  open(path: string): void;
  shortName(path: string): string;
}

/** The all-files view: every edited file's diff, and the patch to copy. */
export class ChangesView {
  private views: EditorView[] = [];
  private patchText = "";
  private shown: string[] = [];
  readonly root = make("section", "code-changes");

  constructor(private readonly hooks: ChangesHooks, private readonly extensions: Extension[]) {
    this.root.id = "code-changes";
    this.root.hidden = true;
    this.root.setAttribute("aria-label", "Changes against the shipped sources");
  }

  /** Draws the diff of every file `edits` changes. */
  render(shipped: SourceFiles, edits: SourceFiles): void {
    this.clear();
    const changed = Object.keys(edits).filter((p) => p in shipped && shipped[p] !== edits[p]).sort();
    this.shown = changed;
    this.patchText = makePatch(shipped, edits);
    const head = make("div", "code-changes-head");
    const summary = make("p", "code-changes-summary");
    summary.id = "code-changes-summary";
    const copy = make("button", "button button-small", "Copy patch");
    copy.type = "button";
    copy.id = "code-copy-patch";
    copy.disabled = changed.length === 0;
    copy.title = "Copy the change as a unified diff against the shipped sources (git apply reads it)";
    const copied = make("span", "code-changes-copied");
    copied.setAttribute("role", "status");
    copy.addEventListener("click", () => {
      navigator.clipboard?.writeText(this.patchText).then(
        () => setText(copied, "Copied."),
        () => setText(copied, "The clipboard is not available here."),
      ) ?? setText(copied, "The clipboard is not available here.");
    });
    let added = 0;
    let removed = 0;
    const files = make("div", "code-changes-files");
    for (const path of changed) {
      const counts = lineCounts(shipped[path]!, edits[path]!);
      added += counts.added;
      removed += counts.removed;
      const file = make("article", "code-changes-file");
      file.dataset.path = path;
      const title = make("h5", "code-changes-title");
      const open = make("button", "code-changes-open", this.hooks.shortName(path));
      open.type = "button";
      open.title = `Open ${path}`;
      open.addEventListener("click", () => this.hooks.open(path));
      title.append(open, make("span", "code-changes-counts", ` +${counts.added} −${counts.removed}`));
      const host = make("div", "code-changes-editor");
      file.append(title, host);
      files.append(file);
      this.views.push(new EditorView({
        parent: host,
        state: EditorState.create({
          doc: edits[path]!,
          extensions: [...this.extensions, EditorState.readOnly.of(true), EditorView.editable.of(false), inlineDiff(shipped[path]!, false)],
        }),
      }));
    }
    setText(summary, changed.length === 0
      ? "No file differs from the shipped sources."
      : `${changed.length} file${changed.length === 1 ? "" : "s"} changed, +${added} −${removed} lines; the patch is ${this.patchText.length} characters.`);
    head.append(summary, copy, copied);
    this.root.replaceChildren(head, files);
  }

  clear(): void {
    for (const view of this.views) view.destroy();
    this.views = [];
    this.shown = [];
    this.root.replaceChildren();
  }

  /** What the browser tests read. */
  snapshot(): { files: string[]; chunks: number[]; patch: string } {
    return { files: [...this.shown], chunks: this.views.map((v) => diffChunks(v.state)), patch: this.patchText };
  }
}
