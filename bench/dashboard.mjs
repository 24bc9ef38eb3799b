// Dashboard benchmark: the JS the browser downloads, and the time to first render of the sessions page on the big
// read store (100,000 sessions / ~2,000,000 messages, made by `node bench/run.mjs --only=read`).
//
//   node bench/dashboard.mjs [--quick] [--samples=15]
//
// Baselines measured in the same run: the gzip size of React + ReactDOM alone (the floor of any React app), and the
// time for the same browser to navigate to the server's /health (a round trip with no JavaScript). Also the bytes the
// server sends for the initial JS and CSS, plain and as compressed for a browser (br), and the time of the filter
// menus' query (`GET /api/facets`) against the all-time stats it replaced.
//
// Fails (exit code 1) when it cannot measure: no built dashboard, no cached read store of the version `bench/read.mjs`
// builds, or a page that never renders its 50 rows.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import http from "node:http"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { gzipSync } from "node:zlib"
import * as esbuild from "esbuild"
import { launchChromium } from "../packages/testkit/src/Chromium.mjs"
import { benchDir, fmt, fmtInt, markdownTable, parseFlags, rootDir, startServer, summarize } from "./lib.mjs"
import { STORE_VERSION } from "./read.mjs"

const flags = parseFlags(process.argv.slice(2))
const samples = Number(flags.samples ?? 15)
const dist = join(rootDir, "packages/dashboard/dist")
const requireDashboard = createRequire(join(rootDir, "packages/dashboard/package.json"))
const gz = (buffer) => gzipSync(buffer, { level: 9 }).length
const kib = (bytes) => `${fmt(bytes / 1024)} KiB`

// ---------- size ----------
if (!existsSync(join(dist, "index.html"))) throw new Error("packages/dashboard/dist is missing: run `npm run build`")
const html = readFileSync(join(dist, "index.html"), "utf8")
const initialNames = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]))
const assets = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".js") || f.endsWith(".css"))
const files = assets.map((name) => {
  const body = readFileSync(join(dist, "assets", name))
  return { name, raw: body.length, gzip: gz(body), initial: initialNames.has(name) }
})
const js = files.filter((f) => f.name.endsWith(".js"))
const sum = (list, key) => list.reduce((total, f) => total + f[key], 0)
const initial = js.filter((f) => f.initial)
// React ships its production builds unminified; minify them the way Vite minifies the dashboard.
const reactFloor = gz(
  Buffer.from(
    esbuild.transformSync(
      [
        readFileSync(join(dirname(requireDashboard.resolve("react/package.json")), "cjs/react.production.js"), "utf8"),
        readFileSync(
          join(dirname(requireDashboard.resolve("react-dom/package.json")), "cjs/react-dom.production.js"),
          "utf8"
        ),
        readFileSync(
          join(dirname(requireDashboard.resolve("react-dom/package.json")), "cjs/react-dom-client.production.js"),
          "utf8"
        )
      ].join("\n;"),
      { minify: true }
    ).code
  )
)

// ---------- bytes on the wire, and the filter menus' query ----------
const cssNames = [...html.matchAll(/href="\/assets\/([^"]+\.css)"/g)].map((m) => m[1])

/** Bytes the server sends for each asset: plain, and to a browser that accepts br and gzip. */
const servedSizes = async (baseUrl, names) => {
  const size = (path, acceptEncoding) =>
    new Promise((done, fail) => {
      http
        .get(`${baseUrl}${path}`, { headers: { "accept-encoding": acceptEncoding } }, (res) => {
          let bytes = 0
          res.on("data", (chunk) => {
            bytes += chunk.length
          })
          res.on("end", () =>
            res.statusCode === 200
              ? done({ bytes, encoding: res.headers["content-encoding"] ?? "identity" })
              : fail(new Error(`GET ${path} answered ${res.statusCode}`))
          )
        })
        .on("error", fail)
    })
  const out = { plain: 0, compressed: 0, encodings: new Set() }
  for (const name of names) {
    out.plain += (await size(`/assets/${name}`, "identity")).bytes
    const compressed = await size(`/assets/${name}`, "gzip, deflate, br")
    out.compressed += compressed.bytes
    out.encodings.add(compressed.encoding)
  }
  return { ...out, encodings: [...out.encodings].join(", "), files: names.length }
}

/** The filter menus' query (`/api/facets`) against the all-time stats the Sessions page used to ask for, interleaved. */
const filterQueries = async (baseUrl, key) => {
  const paths = { facets: "/api/facets", stats: `/api/stats?from=0&to=${Date.now() + 86_400_000}&bucket=month` }
  const times = { facets: [], stats: [] }
  for (let i = 0; i < samples + 2; i++) {
    for (const [name, path] of Object.entries(paths)) {
      const t0 = performance.now()
      const reply = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } })
      if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}`)
      await reply.arrayBuffer()
      if (i >= 2) times[name].push(performance.now() - t0)
    }
  }
  return { facets: summarize(times.facets), stats: summarize(times.stats) }
}

// ---------- first render on the big store ----------
/** Waits (60 s at most) for the sessions page's 50 rows; its value is the page's clock at the first frame with them. */
const fiftyRows = (page) =>
  page.waitForFunction(
    () => document.querySelectorAll(".sessions-table tbody tr").length === 50 && performance.now(),
    undefined,
    { timeout: 60_000, polling: "raf" }
  )
const storeName = flags.quick === true ? "quick" : "full"
const storeDir = join(benchDir, ".cache", `store-${STORE_VERSION}-${storeName}`)
let render = null
let served = null
let filters = null
if (!existsSync(join(storeDir, "meta.json"))) {
  throw new Error(
    `no cached ${storeName} read store (${storeDir}): run \`node bench/read.mjs${flags.quick ? " --quick" : ""}\` first`
  )
}
{
  const meta = JSON.parse(readFileSync(join(storeDir, "meta.json"), "utf8"))
  // The browser first: when it cannot start, no server is left running.
  const browser = await launchChromium()
  const server = await startServer(join(storeDir, "data"))
  try {
    served = await servedSizes(server.url, [...initialNames, ...cssNames])
    filters = await filterQueries(server.url, meta.key)
    // Signed in once as a user is, through the page's `#key=` link: the server's cookie holds one half of the sign-in
    // token and the page's localStorage the other; every sample starts from that state.
    const signInContext = await browser.newContext()
    const signInPage = await signInContext.newPage()
    await signInPage.goto(`${server.url}/sessions#key=${meta.key}`)
    await fiftyRows(signInPage)
    const signedIn = await signInContext.storageState()
    await signInContext.close()
    const sessionsTimes = []
    const healthTimes = []
    const apiTimes = []
    for (let i = 0; i < samples + 2; i++) {
      // A fresh context each time: empty HTTP cache, so every sample downloads and parses all of the JS.
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, storageState: signedIn })
      const page = await context.newPage()
      await page.goto(`${server.url}/health`)
      const health = await page.evaluate(() => performance.getEntriesByType("navigation")[0].responseEnd)
      await page.goto(`${server.url}/sessions`, { waitUntil: "commit" })
      const rendered = await (await fiftyRows(page)).jsonValue()
      const api = await page.evaluate(
        () => performance.getEntriesByType("resource").find((e) => e.name.includes("/api/sessions?"))?.duration ?? null
      )
      if (i >= 2) {
        sessionsTimes.push(rendered)
        healthTimes.push(health)
        if (api !== null) apiTimes.push(api)
      }
      await context.close()
    }
    if (sessionsTimes.length < samples) throw new Error(`only ${sessionsTimes.length} of ${samples} renders measured`)
    render = {
      store: meta.counts,
      sessions: summarize(sessionsTimes),
      health: summarize(healthTimes),
      api: summarize(apiTimes)
    }
  } finally {
    await browser.close()
    await server.stop()
  }
}

// ---------- report ----------
const lines = [
  "## Dashboard",
  "",
  `JS shipped (${js.length} files; the initial load is the entry chunk, pages and charts are loaded on demand):`,
  "",
  markdownTable(
    ["", "raw", "gzip", "gzip vs React+ReactDOM alone"],
    [
      [
        "initial JS (sessions page)",
        kib(sum(initial, "raw")),
        kib(sum(initial, "gzip")),
        `${fmt(sum(initial, "gzip") / reactFloor, 2)}×`
      ],
      ["all JS (every page)", kib(sum(js, "raw")), kib(sum(js, "gzip")), `${fmt(sum(js, "gzip") / reactFloor, 2)}×`],
      ["baseline: React + ReactDOM production, minified", "", kib(reactFloor), "1.00×"],
      ...files
        .sort((a, b) => b.gzip - a.gzip)
        .map((f) => [`\`${f.name}\`${f.initial ? " (initial)" : ""}`, kib(f.raw), kib(f.gzip), ""])
    ]
  ),
  ""
]
lines.push(
  `Served by \`opensync serve\` for the initial load (${served.files} files, JS and CSS): ${kib(served.plain)} plain, ` +
    `${kib(served.compressed)} to a browser that accepts br/gzip (${served.encodings}; ${fmt((100 * served.compressed) / served.plain, 0)} %).`,
  "",
  `Filter menus of the Sessions page (${filters.facets.n} interleaved samples): \`GET /api/facets\` p50 ${fmt(filters.facets.p50)} ms, ` +
    `p95 ${fmt(filters.facets.p95)} ms; the all-time \`GET /api/stats\` they used to need: p50 ${fmt(filters.stats.p50)} ms, ` +
    `p95 ${fmt(filters.stats.p95)} ms (facets / stats at p50: ${fmt(filters.facets.p50 / filters.stats.p50, 2)}).`,
  ""
)
lines.push(
  `Time to first render of /sessions (50 rows, cold HTTP cache, already signed in) on a store of ` +
    `${fmtInt(render.store.sessions)} sessions / ${fmtInt(render.store.messages)} messages, ${render.sessions.n} samples:`,
  "",
  markdownTable(
    ["", "p50 ms", "p95 ms", "max ms", "vs /health navigation"],
    [
      [
        "/sessions first render",
        fmt(render.sessions.p50),
        fmt(render.sessions.p95),
        fmt(render.sessions.max),
        `${fmt(render.sessions.p50 / render.health.p50, 1)}×`
      ],
      ["of which GET /api/sessions", fmt(render.api.p50), fmt(render.api.p95), fmt(render.api.max), ""],
      ["baseline: navigate to /health", fmt(render.health.p50), fmt(render.health.p95), fmt(render.health.max), "1.0×"]
    ]
  ),
  ""
)
console.log(lines.join("\n"))
