import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { getSession } from "../src/Server.js"

/**
 * A server that answers the first request on each connection (keeping it open) and closes a connection when a second
 * request arrives on it: what a test met when it reused a keep-alive connection the server had just closed (its idle
 * time ran out while the test held the event loop, "other side closed").
 */
const closingServer = async () => {
  const server = net.createServer((socket) => {
    let requests = 0
    socket.on("data", (chunk) => {
      if (!chunk.toString("latin1").includes("\r\n\r\n")) return
      requests++
      if (requests > 1) {
        socket.destroy()
        return
      }
      const body = JSON.stringify({ session: { id: "s" }, messages: [], toolCalls: [] })
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `connection: keep-alive\r\nkeep-alive: timeout=60\r\n\r\n${body}`
      )
    })
    socket.on("error", () => {})
  })
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening))
  const address = server.address() as net.AddressInfo
  return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise((closed) => server.close(closed)) }
}

describe("testkit Server helpers", () => {
  it("getSession asks on a connection of its own: a kept-alive one the server closed does not fail it", async () => {
    const server = await closingServer()
    try {
      for (let i = 0; i < 3; i++) {
        const stored = await getSession({ url: server.url, key: "osk_test" }, "s")
        expect(stored?.detail.session).toEqual({ id: "s" })
      }
    } finally {
      await server.close()
    }
  })
})
