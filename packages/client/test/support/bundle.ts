import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

/** Bundles a script of `test/fixtures/` (run by a test as a child process) into `outfile`, an ES module for node. */
export const bundleFixture = (fixture: string, outfile: string) =>
  esbuild.build({
    entryPoints: [fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url))],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning"
  })
