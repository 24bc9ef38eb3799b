// Preloaded into a CLI under test (`node --require read-log.cjs cli.cjs …`): records every read of a `.jsonl` file
// (the file, the position and the bytes read) and writes them, one JSON object a line, to $READ_LOG at exit. Node's fs
// functions are replaced on the module object and pushed to ES module imports with syncBuiltinESMExports.
const fs = require("node:fs")
const { syncBuiltinESMExports } = require("node:module")

const file = process.env.READ_LOG
if (file) {
  const paths = new Map()
  const reads = []
  const { openSync, closeSync, readSync, writeFileSync } = fs
  fs.openSync = function (target, ...rest) {
    const fd = openSync.call(this, target, ...rest)
    if (typeof target === "string" && target.endsWith(".jsonl")) paths.set(fd, target)
    return fd
  }
  fs.closeSync = function (fd) {
    paths.delete(fd)
    return closeSync.call(this, fd)
  }
  fs.readSync = function (fd, buffer, ...rest) {
    const bytes = readSync.call(this, fd, buffer, ...rest)
    const path = paths.get(fd)
    if (path !== undefined) {
      // readSync(fd, buffer, offset, length, position) or readSync(fd, buffer, { position })
      const position = typeof rest[0] === "object" && rest[0] !== null ? rest[0].position : rest[2]
      reads.push({ path, position: position ?? null, bytes })
    }
    return bytes
  }
  process.on("exit", () => writeFileSync(file, reads.map((read) => JSON.stringify(read)).join("\n")))
  syncBuiltinESMExports()
}
