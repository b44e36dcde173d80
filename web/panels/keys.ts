// Keyboard movement for the panels' composite controls, as pure functions:
// the tab list (left/right, wrapping), lists of rows (up/down), and the
// memory map's cursor (a grid of frames). Each returns the new position, or
// null when the key is not theirs (so the browser keeps its meaning).

export function nextTab(current: number, key: string, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case "ArrowRight":
      return (current + 1) % count;
    case "ArrowLeft":
      return (current - 1 + count) % count;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/** Rows of a table: up/down by one, PageUp/PageDown by `page`, Home/End; no wrapping. */
export function nextRow(current: number, key: string, count: number, page = 10): number | null {
  if (count <= 0) return null;
  const clamp = (i: number): number => Math.max(0, Math.min(count - 1, i));
  switch (key) {
    case "ArrowDown":
      return clamp(current + 1);
    case "ArrowUp":
      return clamp(current - 1);
    case "PageDown":
      return clamp(current + page);
    case "PageUp":
      return clamp(current - page);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/** A cell of a grid `cols` wide holding `count` cells: arrows move by a
 *  cell or a row, PageUp/PageDown by `pageRows` rows, Home/End to the ends. */
export function nextCell(current: number, key: string, cols: number, count: number, pageRows = 16): number | null {
  if (count <= 0 || cols <= 0) return null;
  const clamp = (i: number): number => Math.max(0, Math.min(count - 1, i));
  switch (key) {
    case "ArrowRight":
      return clamp(current + 1);
    case "ArrowLeft":
      return clamp(current - 1);
    case "ArrowDown":
      return current + cols < count ? current + cols : current;
    case "ArrowUp":
      return current - cols >= 0 ? current - cols : current;
    case "PageDown":
      return clamp(current + cols * pageRows);
    case "PageUp":
      return clamp(current - cols * pageRows);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}
