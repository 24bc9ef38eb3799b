import type { Plugin } from "vite"

/**
 * Makes convex-test count what production Convex counts against a function's "documents scanned" limit: every
 * document in the index range a query walks, including those a `.filter()` drops ("Filters effectively loop over your
 * table", docs.convex.dev/database/reading-data/filters). Stock convex-test charges only the documents a query returns,
 * so a query whose filter drops most of its range (the sign-ins list walking thousands of revoked sign-ins) passed
 * every test and failed in production. Each `queryNext` also charges the documents the filter dropped before the one it
 * returns (and, at the end of the stream, those after the last match), in production's order; queries without a
 * filter are charged as before. A convex-test whose code no longer has these lines fails the run.
 */
const patches: ReadonlyArray<readonly [string, string]> = [
  [
    `        const results = this._evaluateQuery(query);
        this._queryResults[id] = results;`,
    `        const { sortedDocs, filterFn, limit } = this._resolveQuerySource(query);
        const entries = [];
        let dropped = [];
        for (const doc of sortedDocs) {
            if (limit !== null && entries.length >= limit) break;
            if (filterFn(doc)) { entries.push({ doc, dropped }); dropped = []; }
            else dropped.push(doc);
        }
        entries.push({ doc: null, dropped });
        this._queryResults[id] = entries;`
  ],
  [
    `        if (results.length === 0) {
            return { value: null, done: true };
        }
        else {
            return { value: results.shift(), done: false };
        }`,
    `        const entry = results.shift();
        if (entry === undefined) return { value: null, done: true };
        const tracker = getTransactionManager().getMetricsTracker();
        for (const doc of entry.dropped) tracker?.trackRead(getDocumentSize(doc));
        if (entry.doc === null) { results.unshift({ doc: null, dropped: [] }); return { value: null, done: true }; }
        return { value: entry.doc, done: false };`
  ]
]

export const scannedDocuments = (): Plugin =>
  convexTestPatch("opensync:convex-test-scanned", "count filtered documents", patches)

/**
 * A vite plugin that rewrites convex-test's module with `patches` (each `from` must occur exactly once: a convex-test
 * that changed fails the run, saying it cannot `what`).
 */
export const convexTestPatch = (
  name: string,
  what: string,
  patches: ReadonlyArray<readonly [string, string]>
): Plugin => ({
  name,
  enforce: "pre",
  transform(code, id) {
    if (!/convex-test[\\/]dist[\\/]index\.js$/.test(id)) return null
    let out = code
    for (const [from, to] of patches) {
      if (out.split(from).length !== 2) {
        throw new Error(`convex-test changed: cannot ${what} (${JSON.stringify(from.trim().slice(0, 60))})`)
      }
      out = out.replace(from, to)
    }
    return out
  }
})
