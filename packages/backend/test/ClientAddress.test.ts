/**
 * The client a failed authentication is counted against (`Auth.clientOf`) where there is no socket address (a Convex
 * HTTP action): the address the proxy in front added last to `X-Forwarded-For`, not the first entry, which the client
 * writes itself (rotating it escaped the throttle: every request was a new client).
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { describe, expect, it } from "@effect/vitest"
import { clientOf } from "../src/Auth.js"

const request = (headers: Record<string, string>) =>
  HttpServerRequest.fromWeb(new Request("https://opensync.example.convex.site/api/sessions", { headers }))

describe("the client of a request without a socket address", () => {
  it("is the last X-Forwarded-For entry, whatever the client put before it", () => {
    const seen = new Set(
      Array.from({ length: 20 }, (_, i) => clientOf(request({ "x-forwarded-for": `10.0.${i}.1, 203.0.113.7` })))
    )
    expect([...seen]).toEqual(["203.0.113.7"])
    expect(clientOf(request({ "x-forwarded-for": "203.0.113.7" }))).toBe("203.0.113.7")
    expect(clientOf(request({ "x-forwarded-for": " 198.51.100.1 ,  203.0.113.7 , " }))).toBe("203.0.113.7")
  })

  it("else X-Real-IP, else unknown; with the origin of a browser page", () => {
    expect(clientOf(request({ "x-real-ip": "203.0.113.9" }))).toBe("203.0.113.9")
    expect(clientOf(request({}))).toBe("unknown")
    expect(clientOf(request({ "x-forwarded-for": "203.0.113.7", origin: "https://evil.example" }))).toBe(
      "203.0.113.7 https://evil.example"
    )
  })
})
