import { request } from "node:http"
import type { AddressInfo } from "node:net"
import { connect } from "node:net"
import { startServer } from "@opensync/testkit/Server"
import { describe, expect, it } from "vitest"
import { drainMs, holdingServer, refusedBodyMs } from "../src/NodeServer.js"

/** GET `url`: its status and body, or "no answer" after `timeoutMs`. */
const get = (url: string, timeoutMs: number) =>
  new Promise<string>((done) => {
    const req = request(url, (res) => {
      let body = ""
      res.on("data", (chunk) => (body += chunk))
      res.on("end", () => done(`${res.statusCode} ${body}`))
    })
    req.setTimeout(timeoutMs, () => {
      req.destroy()
      done("no answer")
    })
    req.on("error", (error) => done(`error ${error.message}`))
    req.end()
  })

/**
 * POSTs a chunked body (no Content-Length) of `a`s to `url`, 64 KiB at a time, `total` bytes in all or without end;
 * gives the answer (status and body, or the error) once the connection ended.
 */
const postChunked = (url: string, key: string, total: number) =>
  new Promise<{ status: number | undefined; body: string; error?: string }>((done) => {
    const chunk = Buffer.alloc(64 * 1024, "a")
    let written = 0
    let status: number | undefined
    let body = ""
    let finished = false
    const finish = (error?: string) => {
      if (finished) return
      finished = true
      done({ status, body, ...(error !== undefined ? { error } : {}) })
    }
    const req = request(url, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }
    })
    req.on("response", (res) => {
      status = res.statusCode
      res.on("data", (data) => (body += data))
    })
    req.on("error", (error) => finish(error.message))
    req.on("close", () => finish())
    req.write('{"events":["')
    const pump = () => {
      while (written < total) {
        written += chunk.length
        if (!req.write(chunk)) return void req.once("drain", pump)
      }
      req.end('"]}')
    }
    pump()
  })

describe("the local server's node:http server", () => {
  it("answers a chunked body over the size limit with 413, not a reset, and cuts one without end", {
    timeout: 120_000
  }, async () => {
    // (the platform stops reading by destroying the request: the client, still sending, got ECONNRESET)
    const running = await startServer()
    try {
      const refused = await postChunked(`${running.url}/sync/events`, running.key, 9 * 1024 * 1024)
      expect(refused.error).toBeUndefined()
      expect(refused.status).toBe(413)
      expect(JSON.parse(refused.body)).toMatchObject({ _tag: "PayloadTooLarge" })
      // A body that never ends is answered too, and its connection closed.
      const started = Date.now()
      const endless = await postChunked(`${running.url}/sync/events`, running.key, Number.POSITIVE_INFINITY)
      expect(endless.status).toBe(413)
      expect(JSON.parse(endless.body)).toMatchObject({ _tag: "PayloadTooLarge" })
      expect(Date.now() - started).toBeLessThan(refusedBodyMs + 30_000)
      // The server goes on serving.
      expect(await get(`${running.url}/health`, 10_000)).toMatch(/^200 /)
    } finally {
      await running.stop()
    }
  })

  it("holds a request that arrives before the app is attached, and hands it over once it is", async () => {
    const server = holdingServer()
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
    const { port } = server.address() as AddressInfo
    try {
      // The app is attached while the request waits (the store still opening), as `Server.layer` does
      const answer = get(`http://127.0.0.1:${port}/health`, 10_000)
      await new Promise((done) => setTimeout(done, 300))
      server.on("request", (_req, res) => res.end("ok"))
      expect(await answer).toBe("200 ok")
      // and later requests go straight to it
      expect(await get(`http://127.0.0.1:${port}/health`, 10_000)).toBe("200 ok")
    } finally {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  })

  it("a stopped server exits although a client connected and sent nothing", { timeout: 60_000 }, async () => {
    const running = await startServer()
    const socket = connect(Number(new URL(running.url).port), "127.0.0.1")
    await new Promise((done) => socket.once("connect", done))
    // and one that sent half a request
    const half = connect(Number(new URL(running.url).port), "127.0.0.1")
    await new Promise((done) => half.once("connect", done))
    half.write("POST /sync/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    socket.on("error", () => {})
    half.on("error", () => {})
    const started = Date.now()
    const exited = new Promise<number | null>((done) =>
      running.process.once("exit", (code: number | null) => done(code))
    )
    running.process.kill("SIGTERM")
    const code = await Promise.race([
      exited,
      new Promise<"still running">((done) => setTimeout(() => done("still running"), 30_000))
    ])
    socket.destroy()
    half.destroy()
    if (code === "still running") running.process.kill("SIGKILL")
    expect(code).not.toBe("still running")
    // it waited for them a while, not forever
    expect(Date.now() - started).toBeLessThan(drainMs + 20_000)
    await running.stop()
  })
})
