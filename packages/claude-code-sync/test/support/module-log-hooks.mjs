// The loader hooks of module-log.mjs (they run on Node's loader thread).
import { appendFileSync } from "node:fs"

let file

export const initialize = (data) => {
  file = data
}

export const load = async (url, context, next) => {
  appendFileSync(file, `${url}\n`)
  return next(url, context)
}
