// The grading worker thread's entry (scripts/grade-lib.ts gradeInWorker):
// registers tsx's loader in this thread, then runs the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./grade-worker.ts");
