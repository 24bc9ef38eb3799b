// Preloaded into a CLI under test (`node --require stdout-eagain.cjs cli.cjs …`): the CLI's first synchronous write to
// file descriptor 1 takes only its first 10 bytes, and the next fails with EAGAIN, as on a full non-blocking pipe.
const fs = require("node:fs")

const { writeSync } = fs
let calls = 0
fs.writeSync = function (fd, buffer, offset, ...rest) {
  if (fd === 1 && calls < 2) {
    calls++
    if (calls === 1 && typeof buffer !== "string")
      return writeSync.call(this, fd, buffer.subarray(offset ?? 0, (offset ?? 0) + 10))
    const error = new Error("EAGAIN: resource temporarily unavailable, write")
    error.code = "EAGAIN"
    error.errno = -11
    error.syscall = "write"
    throw error
  }
  return writeSync.call(this, fd, buffer, offset, ...rest)
}
