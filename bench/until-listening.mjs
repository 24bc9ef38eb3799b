// Runs a command that starts the server (e.g. `npm start -- --port 0`) and exits as soon as it prints
// "listening on", stopping the command's whole process group: `hyperfine 'node bench/until-listening.mjs npm start'`
// then measures the time from `npm start` to a server that answers. Exits 1 if the server is not up within 120 s.
import { spawn } from "node:child_process"

const [command, ...args] = process.argv.slice(2)
if (command === undefined) {
  console.error("usage: node bench/until-listening.mjs COMMAND [ARGS...]")
  process.exit(2)
}
const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] })
let output = ""
const stop = (code) => {
  clearTimeout(timer)
  try {
    process.kill(-child.pid, "SIGTERM")
  } catch {}
  if (code !== 0) process.stderr.write(output)
  process.exit(code)
}
const timer = setTimeout(() => stop(1), 120_000)
const watch = (chunk) => {
  output += chunk
  if (output.includes("listening on")) stop(0)
}
child.stdout.setEncoding("utf8").on("data", watch)
child.stderr.setEncoding("utf8").on("data", watch)
child.on("exit", () => stop(1))
