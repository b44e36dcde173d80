// The page's light and dark themes. The default follows the system
// (prefers-color-scheme, in CSS); the toggle button sets an explicit choice
// on <html data-theme>, remembered in localStorage. Canvases that draw in
// theme colours listen through onThemeChange.

import type { Theme } from "./colors";

export const THEME_STORAGE_KEY = "keel-theme";

/** The theme in effect: the stored choice if there is a valid one, else the system's. */
export function resolveTheme(stored: string | null, systemPrefersDark: boolean): Theme {
  if (stored === "light" || stored === "dark") return stored;
  return systemPrefersDark ? "dark" : "light";
}

function readStored(): string | null {
  try {
    return window.localStorage.getItem(THEME_STORAGE_KEY);
  } catch {
    return null; // storage blocked: follow the system
  }
}

function store(theme: Theme): void {
  try {
    window.localStorage.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // Not remembered, but the page still switches.
  }
}

export interface ThemeControl {
  current(): Theme;
  onChange(listener: (theme: Theme) => void): void;
}

export function startTheme(button: HTMLButtonElement): ThemeControl {
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  const listeners: ((theme: Theme) => void)[] = [];
  let theme = resolveTheme(readStored(), system.matches);

  const apply = (): void => {
    const stored = readStored();
    if (stored === "light" || stored === "dark") document.documentElement.dataset.theme = stored;
    else delete document.documentElement.dataset.theme;
    const other = theme === "dark" ? "light" : "dark";
    button.textContent = theme === "dark" ? "Light theme" : "Dark theme";
    button.setAttribute("aria-label", `Switch to the ${other} theme (now ${theme})`);
    button.dataset.theme = theme;
    for (const listener of listeners) listener(theme);
  };

  button.addEventListener("click", () => {
    theme = theme === "dark" ? "light" : "dark";
    store(theme);
    apply();
  });
  system.addEventListener("change", () => {
    const next = resolveTheme(readStored(), system.matches);
    if (next === theme) return;
    theme = next;
    apply();
  });
  apply();
  return {
    current: () => theme,
    onChange: (listener) => listeners.push(listener),
  };
}
