// Preloaded into a CLI under test (`node --require main-log.cjs cli.cjs …`): appends to $MAIN_LOG the path of every
// read of the CLI's main bundle (`cli-main.cjs`, read by the entry point before it runs it), so a test can tell whether
// the CLI proper was loaded. Node's fs functions are replaced on the module object and pushed to ES module imports with
// syncBuiltinESMExports.
const fs = require("node:fs")
const { syncBuiltinESMExports } = require("node:module")

const file = process.env.MAIN_LOG
if (file) {
  const { appendFileSync, readFileSync } = fs
  appendFileSync(file, "")
  fs.readFileSync = function (path, ...rest) {
    if (typeof path === "string" && path.endsWith("cli-main.cjs")) appendFileSync(file, `${path}\n`)
    return readFileSync.call(this, path, ...rest)
  }
  syncBuiltinESMExports()
}
