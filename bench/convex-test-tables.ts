import type { Plugin } from "vite"
import { defineConfig, type ViteUserConfig } from "vitest/config"
import { convexTestPatch } from "../scripts/convex-test-scanned.js"

/**
 * A speed-up of convex-test for the data-size measurement only. Its in-memory database answers every query by listing
 * every document of every table (`Object.keys` of all documents and a regular expression on each id), then filtering
 * and sorting the table's documents: a scheduled delete-all of 10,000 sessions makes tens of thousands of queries, each
 * sorting the whole sessions table, and takes hours. This adds what a real database has:
 *
 * - the ids of each table in a set, updated where committed writes land, so a query lists only its table;
 * - each index used, as a sorted array of the committed documents (kept sorted on commit), so an index range is two
 *   binary searches and a slice, into which the querying transaction's own pending writes are merged.
 *
 * What a query returns and in which order is unchanged (the same comparison of the same fields: the index's fields,
 * then creation time and id), and so is everything after it (filters, limits, pagination, read accounting).
 */

const tableIndex = `
    _tableIds = new Map();
    _sortedIndexes = new Map();
    _idsOfTable(tableName) {
        return this._entryOf(this._tableIds, tableName, () => new Set());
    }
    _indexesOfTable(tableName) {
        return this._entryOf(this._sortedIndexes, tableName, () => new Map());
    }
    _entryOf(map, key, empty) {
        let entry = map.get(key);
        if (entry === undefined) {
            entry = empty();
            map.set(key, entry);
        }
        return entry;
    }
    _compareByFields(fields, a, b) {
        for (const fp of fields) {
            const v = compareValues(evaluateFieldPath(fp, a), evaluateFieldPath(fp, b));
            if (v !== 0) return v;
        }
        return 0;
    }
    _positionIn(index, doc) {
        let lo = 0;
        let hi = index.docs.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (this._compareByFields(index.fields, index.docs[mid], doc) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
    _commitToIndexes(id, before, after) {
        const tableName = tableNameFromId(id);
        if (after === null) this._idsOfTable(tableName).delete(id);
        else this._idsOfTable(tableName).add(id);
        for (const index of this._indexesOfTable(tableName).values()) {
            if (before !== null) {
                const at = this._positionIn(index, before);
                if (index.docs[at]?._id !== id) throw new Error("convex-test-tables: an index lost track of " + id);
                index.docs.splice(at, 1);
            }
            if (after !== null) index.docs.splice(this._positionIn(index, after), 0, after);
        }
    }
    _pendingIdsOf(tableName) {
        const ids = new Set();
        for (const level of this._writes) {
            for (const id of Object.keys(level)) if (tableNameFromId(id) === tableName) ids.add(id);
        }
        return ids;
    }
    _indexRange(tableName, indexName, fields, range) {
        const indexes = this._indexesOfTable(tableName);
        let index = indexes.get(indexName);
        if (index === undefined) {
            const docs = [];
            for (const id of this._idsOfTable(tableName)) docs.push(this._documents[id]);
            docs.sort((a, b) => this._compareByFields(fields, a, b));
            index = { fields, docs };
            indexes.set(indexName, index);
        }
        const bounds = range.map((e) => ({ ...e, v: evaluateQueryValue(e.value) }));
        const before = (doc) => {
            for (const e of bounds) {
                const c = compareValues(evaluateFieldPath(e.fieldPath, doc), e.v);
                if (e.type === "Eq") {
                    if (c !== 0) return c < 0;
                } else if (e.type === "Gt") {
                    if (c <= 0) return true;
                } else if (e.type === "Gte") {
                    if (c < 0) return true;
                }
            }
            return false;
        };
        const after = (doc) => {
            for (const e of bounds) {
                const c = compareValues(evaluateFieldPath(e.fieldPath, doc), e.v);
                if (e.type === "Eq") {
                    if (c !== 0) return c > 0;
                } else if (e.type === "Lt") {
                    if (c >= 0) return true;
                } else if (e.type === "Lte") {
                    if (c > 0) return true;
                }
            }
            return false;
        };
        const search = (past) => {
            let lo = 0;
            let hi = index.docs.length;
            while (lo < hi) {
                const mid = (lo + hi) >> 1;
                if (past(index.docs[mid])) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        };
        const first = search(before);
        const end = search((doc) => !after(doc));
        const committed = end > first ? index.docs.slice(first, end) : [];
        const pending = this._pendingIdsOf(tableName);
        if (pending.size === 0) return committed;
        // this transaction's own writes: their latest version replaces the committed one, in order
        const docs = committed.filter((doc) => !pending.has(doc._id));
        for (const id of pending) {
            const doc = this.get(tableName, id);
            if (doc === null || !range.every((e) => evaluateRangeFilter(doc, e))) continue;
            let lo = 0;
            let hi = docs.length;
            while (lo < hi) {
                const mid = (lo + hi) >> 1;
                if (this._compareByFields(fields, docs[mid], doc) < 0) lo = mid + 1;
                else hi = mid;
            }
            docs.splice(lo, 0, doc);
        }
        return docs;
    }
    _iterateDocs(tableName, callback) {`

const fastSource = `
    _resolveQuerySource(query) {
        const source = query.source;
        if (source.type === "IndexRange") {
            const [tableName, indexName] = source.indexName.split(".");
            const index = this._schema?.tables.get(tableName)?.indexes?.find(({ indexDescriptor }) => indexDescriptor === indexName);
            const fields = indexName === "by_creation_time" ? ["_creationTime", "_id"] : indexName === "by_id" ? ["_id"]
                : index === undefined ? undefined : index.fields.concat(["_creationTime", "_id"]);
            if (fields !== undefined) {
                const docs = this._indexRange(tableName, source.indexName, fields, source.range);
                validateIndexRangeExpression(source, fields);
                const order = source.order ?? "asc";
                const filters = query.operators.filter((operator) => "filter" in operator).map((operator) => operator.filter);
                const limit = query.operators.filter((operator) => "limit" in operator)[0] ?? null;
                return {
                    sortedDocs: order === "asc" ? docs : docs.reverse(),
                    filterFn: (doc) => filters.every((f) => evaluateFilter(doc, f)),
                    limit: limit?.limit ?? null,
                    fieldPathsToSortBy: fields,
                    order,
                };
            }
        }
        return this._resolveQuerySourceByScan(query);
    }
    _resolveQuerySourceByScan(query) {`

const patches: ReadonlyArray<readonly [string, string]> = [
  [
    "const ids = new Set(Object.keys(this._documents).filter(isInTable));",
    "const ids = new Set(this._idsOfTable(tableName));"
  ],
  [
    `                if (write === null) {
                    delete this._documents[_id];
                }
                else {
                    this._documents[_id] =
                        commitTs === null ? write : resolveCommittedValues(write, commitTs);
                }`,
    `                const before = this._documents[_id] ?? null;
                if (write === null) {
                    delete this._documents[_id];
                }
                else {
                    this._documents[_id] =
                        commitTs === null ? write : resolveCommittedValues(write, commitTs);
                }
                this._commitToIndexes(_id, before, this._documents[_id] ?? null);`
  ],
  ["    _iterateDocs(tableName, callback) {", tableIndex],
  ["    _resolveQuerySource(query) {", fastSource]
]

/** The vite plugin that applies the speed-up to convex-test's module (and fails if convex-test changed). */
export const convexTestTables = (): Plugin =>
  convexTestPatch("opensync:convex-test-tables", "apply the table index", patches)

type TestOptions = NonNullable<ViteUserConfig["test"]>

/** A vitest config that runs `test.include` on convex-test (inlined, in forked processes) with the speed-up applied. */
export const convexTestConfig = (test: TestOptions) =>
  defineConfig({
    plugins: [convexTestTables()],
    test: { server: { deps: { inline: ["convex-test"] } }, pool: "forks", ...test }
  })
