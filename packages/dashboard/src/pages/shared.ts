import type { Stats } from "@opensync/domain/Api"
import * as Sources from "@opensync/domain/Sources"
import { run } from "../api.js"
import { useApp } from "../context.js"
import { useQuery } from "../query.js"

/** Sources, projects and models the user has data for (from the all-time rollups), for filter menus. */
export const useFilterOptions = () => {
  const app = useApp()
  const stats = useQuery<Stats>(`${app.scope}|options`, () =>
    run(app.client.sessions.stats({ urlParams: { from: 0, to: Date.now() + 86_400_000, bucket: "month" } }))
  )
  const known = Sources.sources.map((source) => source.id)
  const sources = [...new Set([...known, ...(stats.data?.bySource.map((s) => s.source) ?? [])])]
  return {
    sources,
    projects: (stats.data?.byProject.map((p) => p.project) ?? []).sort((a, b) => a.localeCompare(b)),
    models: (stats.data?.byModel.map((m) => m.model) ?? []).sort((a, b) => a.localeCompare(b))
  }
}

/** Saves a fetched file under a name. */
export const download = (blob: Promise<Blob>, name: string) =>
  blob.then(
    (b) => {
      const url = URL.createObjectURL(b)
      const a = document.createElement("a")
      a.href = url
      a.download = name
      document.body.append(a)
      a.click()
      a.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    },
    (e: Error) => alert(e.message)
  )
