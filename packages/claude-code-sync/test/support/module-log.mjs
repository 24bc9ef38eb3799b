// Preloaded into a CLI under test (`node --import module-log.mjs cli.mjs …`): appends the URL of every ES module the
// program loads to $MODULE_LOG, one a line, so a test can tell whether the CLI's main bundle (cli-main.mjs) was loaded.
import { register } from "node:module"

if (process.env.MODULE_LOG) register("./module-log-hooks.mjs", import.meta.url, { data: process.env.MODULE_LOG })
