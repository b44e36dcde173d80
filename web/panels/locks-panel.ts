// Locks: the kernel's named locks (kernel-as/src/lib/lock.ts, read by
// host/locks.ts) with their statistics, as the monitor's `locks` prints
// them: one row per lock (name, kind, rank, acquisitions, contended
// acquisitions, spin iterations, the longest wait, who holds it now). Asked
// with { what: "locks" } after each overview while the tab is shown. Like
// the monitor, the rows leave out the kernel's self-test locks and the
// per-vCPU cache locks of vCPUs the machine does not have (a vCPU's lock
// that was ever taken is always shown).

import type { CacheFill, LockInfo } from "../../host/locks";
import { byId, make, setText } from "./dom";

/** Ranks from here are the kernel's self-test locks (RANK_TEST_A in lib/lock.ts). */
export const LOCK_RANK_TESTS = 200;

/** One row of the table, as text. */
export interface LockRow {
  name: string;
  kind: string;
  rank: string;
  acquisitions: string;
  contended: string;
  spins: string;
  longest: string;
  holder: string;
}

/** Who holds the lock now, in the monitor's words: "-", "vCPU 1", "2 readers", "a writer". */
export function lockHolder(lock: LockInfo): string {
  if (!lock.held) return "-";
  if (lock.kind === "rw") return lock.holderCpu === -1 ? "a writer" : `${lock.readers} ${lock.readers === 1 ? "reader" : "readers"}`;
  return lock.holderCpu === null ? "held" : `vCPU ${lock.holderCpu}`;
}

/** The vCPU a per-vCPU cache lock belongs to ("frames-cpu1" is 1), or null for a global lock. */
export function lockCpu(name: string): number | null {
  const m = /-cpu(\d+)$/.exec(name);
  return m === null ? null : Number(m[1]);
}

/** Whether the table shows the lock on a machine of `cpus` vCPUs. */
export function lockShown(lock: LockInfo, cpus: number): boolean {
  if (lock.rank >= LOCK_RANK_TESTS) return false;
  const cpu = lockCpu(lock.name);
  return cpu === null || cpu === 0 || cpu < cpus || lock.acquisitions > 0 || lock.held;
}

/** The rows of the table, in the registry's order. */
export function lockRows(locks: LockInfo[], cpus: number): LockRow[] {
  return locks.filter((l) => lockShown(l, cpus)).map((l) => ({
    name: l.name,
    kind: l.kind,
    rank: String(l.rank),
    acquisitions: String(l.acquisitions),
    contended: String(l.contended),
    spins: String(l.spins),
    longest: String(l.maxSpins),
    holder: lockHolder(l),
  }));
}

/** The line above the table: totals, and the share of acquisitions that waited. */
export function locksSummary(rows: LockInfo[]): string {
  if (rows.length === 0) return "No locks in the kernel's registry.";
  const acquired = rows.reduce((n, l) => n + l.acquisitions, 0);
  const contended = rows.reduce((n, l) => n + l.contended, 0);
  const held = rows.filter((l) => l.held).length;
  const share = acquired === 0 ? "" : ` (${((100 * contended) / acquired).toFixed(contended === 0 ? 0 : 2)}%)`;
  return `${rows.length} locks: ${acquired} acquisitions, ${contended} contended${share}; ${held === 0 ? "none" : held} held now. The monitor's "locks reset" zeroes the counts.`;
}

/** The line under the table: what each vCPU's allocator caches hold (the monitor's "per-vCPU caches" line). */
export function cachesLine(caches: CacheFill[]): string {
  if (caches.length === 0) return "";
  const frames = caches.reduce((n, c) => n + c.frames, 0);
  const objects = caches.reduce((n, c) => n + c.magazineObjects, 0);
  const each = caches.map((c) => `vCPU ${c.cpu}: ${c.frames} ${c.frames === 1 ? "frame" : "frames"}, ${c.magazineObjects} ${c.magazineObjects === 1 ? "object" : "objects"}`).join("; ");
  return `Per-vCPU caches: ${frames} free frames and ${objects} kmalloc objects held in front of the allocators (${each}).`;
}

const COLUMNS: (keyof LockRow)[] = ["name", "kind", "rank", "acquisitions", "contended", "spins", "longest", "holder"];
const NUMERIC = new Set<keyof LockRow>(["rank", "acquisitions", "contended", "spins", "longest"]);

export class LocksPanel {
  private readonly body = byId("locks-body", HTMLTableSectionElement);
  private readonly summary = byId("locks-summary", HTMLParagraphElement);
  private readonly cachesText = byId("locks-caches", HTMLParagraphElement);
  /** The last answer's locks, as shown (the browser tests). */
  shown: LockInfo[] = [];
  /** The last answer's cache fill. */
  caches: CacheFill[] = [];

  constructor(private readonly cpus: number) {}

  update(locks: LockInfo[], caches: CacheFill[] = []): void {
    this.caches = caches;
    setText(this.cachesText, cachesLine(caches));
    this.shown = locks.filter((l) => lockShown(l, this.cpus));
    const rows = lockRows(locks, this.cpus);
    // Rows keyed by name: only cells whose text changed are touched.
    while (this.body.rows.length > rows.length) this.body.deleteRow(-1);
    rows.forEach((row, i) => {
      let tr = this.body.rows[i];
      if (tr === undefined) {
        tr = this.body.insertRow();
        for (const column of COLUMNS) {
          const cell = column === "name" ? make("th", "mono") : make("td", NUMERIC.has(column) ? "num" : "");
          if (column === "name") cell.setAttribute("scope", "row");
          tr.append(cell);
        }
      }
      tr.dataset.lock = row.name;
      COLUMNS.forEach((column, c) => setText(tr.cells[c]!, row[column]));
      tr.classList.toggle("lock-held", row.holder !== "-");
      tr.classList.toggle("lock-contended", row.contended !== "0");
    });
    setText(this.summary, locksSummary(this.shown));
  }

  /** The table's cells as shown, row by row (the browser tests). */
  cells(): string[][] {
    return [...this.body.rows].map((tr) => [...tr.cells].map((c) => c.textContent ?? ""));
  }

  failed(message: string): void {
    setText(this.summary, `The kernel's locks could not be read: ${message}`);
  }
}
