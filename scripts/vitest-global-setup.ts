import { execFileSync } from "node:child_process"

/** End-to-end tests run the built executables, so build them once before any test file. */
export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" })
}
