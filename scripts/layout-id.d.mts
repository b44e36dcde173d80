// Types of scripts/layout-id.mjs (the kernel's layout id, docs/code-panel.md).
export declare const LAYOUT_ID_NAME: string;
export declare function tokenize(text: string): string[];
export declare function topLevelStatements(text: string): string[][];
export declare function layoutDeclarations(text: string): [string, string][];
export declare function layoutEntries(files: Readonly<Record<string, string>>): Map<string, string>;
export declare function layoutId(files: Readonly<Record<string, string>>): number;
export interface LayoutChange {
  key: string;
  change: "added" | "removed" | "changed";
}
export declare function layoutChanges(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): LayoutChange[];
export declare function layoutIdArgs(files: Readonly<Record<string, string>>): string[];
