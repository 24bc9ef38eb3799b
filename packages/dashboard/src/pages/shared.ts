import type { Facets } from "@opensync/domain/Api"
import * as Sources from "@opensync/domain/Sources"
import { run } from "../api.js"
import { useApp } from "../context.js"
import { useQuery } from "../query.js"

/** Sources, projects and models the user has data for (`GET /api/facets`, a cheap query), for filter menus. */
export const useFilterOptions = () => {
  const app = useApp()
  const facets = useQuery<Facets>(`${app.scope}|facets`, () => run(app.client.sessions.facets()))
  const known = Sources.sources.map((source) => source.id)
  const sources = [...new Set([...known, ...(facets.data?.sources.map((s) => s.value) ?? [])])]
  const byName = (a: string, b: string) => a.localeCompare(b)
  return {
    sources,
    projects: (facets.data?.projects.map((p) => p.value) ?? []).sort(byName),
    models: (facets.data?.models.map((m) => m.value) ?? []).sort(byName)
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
