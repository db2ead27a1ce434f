// What a standalone report says about an answer one of its budgets left out. One place words every
// such note (the command's, the page's, the coverage line's), so a note names the budget that left
// the answer out (time: --max-seconds, size: --max-mb) and only that one. Pure: the CLI and the page share it.

/** The budget that left an answer out: computing time (`--max-seconds`) or page size (`--max-mb`). */
export type ReportBudget = 'time' | 'size';

/** What to do to see an answer the budget left out. */
export function budgetRemedy(budget: ReportBudget): string {
  return budget === 'time'
    ? 'Open the run in VS Code (answers are computed on demand), or write the report again with a larger --max-seconds (answers already computed are reused).'
    : 'Open the run in VS Code, or write the report again with a larger --max-mb.';
}

/**
 * The note of one answer left out: what it is, why (`reason`, naming the budget's limit: "to keep it
 * under 25 MB (it would add 1.2 MB)", "because computing ran past its time budget of 60 s"), and what to do.
 */
export function leftOutNote(what: string, budget: ReportBudget, reason: string): string {
  return `${what} was left out of this report ${reason}. ${budgetRemedy(budget)}`;
}
