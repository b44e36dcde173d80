// The status bar's cross-origin isolation indicator. Keel needs no isolation:
// it runs one vCPU and passes plain messages (web/protocol.ts). A page that
// is cross-origin isolated (served with COOP: same-origin and COEP:
// require-corp) may share memory between workers, which several vCPUs will
// need; the indicator says which of the two this page is.

export interface IsolationView {
  text: string;
  title: string;
}

export function describeIsolation(isolated: boolean): IsolationView {
  return isolated
    ? { text: "isolated", title: "cross-origin isolated: ready for several vCPUs" }
    : { text: "not isolated", title: "not cross-origin isolated: one vCPU; everything works" };
}

/** Fills the indicator element in with this page's state. */
export function showIsolation(indicator: HTMLElement, isolated = self.crossOriginIsolated === true): void {
  const { text, title } = describeIsolation(isolated);
  indicator.textContent = text;
  indicator.title = title;
  indicator.dataset.isolated = String(isolated);
  indicator.setAttribute("aria-label", title);
}
