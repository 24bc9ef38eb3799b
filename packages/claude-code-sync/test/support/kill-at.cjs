// Preloaded into a CLI under test (`node --require kill-at.cjs cli.cjs …`): SIGKILLs the process at the n-th
// occurrence of one operation, before or after it runs. `KILL_AT=<op>:<n>:<before|after>`, where op is
//   append        a file renamed into outbox/pending/ (events queued)
//   followup      a file renamed into followups/ (a transcript to re-read recorded)
//   inbox-remove  an inbox item removed
//   checkpoint    the import bookkeeping's index renamed into imported/ (what was imported recorded)
//   transcript    a .jsonl file opened (the transcript reader reads it in chunks from that descriptor)
//   send          a POST /sync/events (after: the server has answered; before: nothing sent)
// Node's fs functions are replaced on the module object and pushed to ES module imports with syncBuiltinESMExports.
const fs = require("node:fs")
const { sep } = require("node:path")
const { syncBuiltinESMExports } = require("node:module")

const [op, nth, when = "after"] = (process.env.KILL_AT ?? "").split(":")
const n = Number(nth)
let seen = 0
const die = () => process.kill(process.pid, "SIGKILL")

const wrap = (name, matches) => {
  const original = fs[name]
  fs[name] = function (...args) {
    if (!matches(...args)) return original.apply(this, args)
    seen += 1
    if (seen === n && when === "before") die()
    const result = original.apply(this, args)
    if (seen === n) die()
    return result
  }
}

const under = (dir) => (target) => String(target).includes(`${sep}${dir}${sep}`)

if (op === "append") wrap("renameSync", (_from, to) => under(`outbox${sep}pending`)(to))
if (op === "followup") wrap("renameSync", (_from, to) => under("followups")(to))
if (op === "checkpoint") wrap("renameSync", (_from, to) => under("imported")(to))
if (op === "inbox-remove") wrap("rmSync", (target) => under("inbox")(target))
if (op === "transcript") wrap("openSync", (target) => typeof target === "string" && target.endsWith(".jsonl"))
if (op === "send") {
  const original = globalThis.fetch
  globalThis.fetch = async (input, init) => {
    if (!String(input?.url ?? input).includes("/sync/events")) return original(input, init)
    seen += 1
    if (seen === n && when === "before") die()
    const response = await original(input, init)
    if (seen === n) die()
    return response
  }
}
syncBuiltinESMExports()
