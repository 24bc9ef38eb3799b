/**
 * `opencode-sync`'s entry point (`dist/cli.mjs`): runs the CLI (`main.ts`, bundled as `dist/cli-main.cjs`) with V8's code
 * cache (`CodeCache`, kept in `$XDG_CACHE_HOME/opencode-sync`), so a later run does not compile the bundle again: the
 * background sync the plugin starts after a turn starts ~0.1 s sooner. No Effect here.
 */
import * as CodeCache from "@opensync/client/kit/CodeCache"

CodeCache.runCli(new URL("./cli-main.cjs", import.meta.url), "opencode-sync")
