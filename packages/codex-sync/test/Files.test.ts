/** Codex's session files listed: date folders that are links (a history moved to another disk) are followed. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Files from "../src/Files.js"

const ID = "01a24126-d071-7d40-b1a6-dce6c095a6d9"

describe("Codex's session files", () => {
  it("follows a date folder that is a link, and a link that loops ends at the listing's depth", () => {
    const root = mkdtempSync(join(tmpdir(), "codex-files-"))
    try {
      const home = join(root, "home")
      const elsewhere = join(root, "other-disk", "2025")
      mkdirSync(join(elsewhere, "11", "02"), { recursive: true })
      const moved = join(elsewhere, "11", "02", `rollout-2025-11-02T09-00-00-${ID}.jsonl`)
      writeFileSync(moved, "{}\n")
      const sessions = join(home, ".codex", "sessions")
      mkdirSync(join(sessions, "2026", "12", "04"), { recursive: true })
      const here = join(sessions, "2026", "12", "04", `rollout-2026-12-04T13-03-12-${ID.replace("01a", "02a")}.jsonl`)
      writeFileSync(here, "{}\n")
      symlinkSync(elsewhere, join(sessions, "2025"))
      // A link back up: listed no deeper than the date folders
      symlinkSync(sessions, join(sessions, "2026", "12", "loop"))
      const paths = Files.rolloutPaths({ HOME: home, CODEX_HOME: join(home, ".codex") })
      expect([...paths].sort()).toEqual(
        [here, join(sessions, "2025", "11", "02", `rollout-2025-11-02T09-00-00-${ID}.jsonl`)].sort()
      )
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
