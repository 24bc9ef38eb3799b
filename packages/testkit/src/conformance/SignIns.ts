import { beforeAll, describe, expect, it } from "@effect/vitest"
import type { ApiKey, SignIn } from "@opensync/domain"
import { as, expectError, type Harness } from "./Harness.js"

interface Created {
  readonly token: string
  readonly expiresAt: number
  readonly user: { readonly id: string; readonly name: string }
}

/** The cookie's value from a `Set-Cookie` header. */
const cookieOf = (setCookie: string | null): string => /opensync_session=([^;]*)/.exec(setCookie ?? "")?.[1] ?? ""

/**
 * Dashboard sign-ins: a `full` key buys a 7-day token; the cookie holds only half of it (the page sends the other
 * half as `X-OpenSync-Session`), so the cookie alone, which a browser also sends to other ports of the host,
 * authenticates nothing; revoking the key ends its sign-ins at once; Settings lists and ends sign-ins.
 */
export const section = (h: Harness): void => {
  const { request, get, post, del } = h
  describe("dashboard sign-ins", () => {
    let key: ApiKey.CreatedApiKey
    const signIn = async (apiKey: string, userAgent?: string) => {
      const reply = await request("POST", "/auth/session", {
        key: null,
        json: { apiKey },
        ...(userAgent === undefined ? {} : { headers: { "user-agent": userAgent } })
      })
      expect(reply.status).toEqual(201)
      return { ...as<Created>(reply), cookie: cookieOf(reply.headers.get("set-cookie")) }
    }
    const withCookie = (cookie: string, secret?: string) => ({
      key: null,
      headers: {
        cookie: `opensync_session=${cookie}`,
        ...(secret === undefined ? {} : { "x-opensync-session": secret })
      }
    })
    const halves = (token: string) => ({ secret: token.slice(4, 26), cookie: token.slice(26) })

    beforeAll(async () => {
      key = as<ApiKey.CreatedApiKey>(await post("/api/keys", { name: "browser", scope: "full" }))
    })

    it("answers a 7-day oss_ token, and sets an HttpOnly, SameSite=Strict cookie holding only part of it", async () => {
      const before = Date.now()
      const created = await signIn(key.key)
      expect(created.token).toMatch(/^oss_[A-Za-z0-9_-]{43}$/)
      expect(created.expiresAt).toBeGreaterThanOrEqual(before + 7 * 86_400_000 - 1_000)
      expect(created.cookie).toEqual(halves(created.token).cookie)
      expect(created.token.includes(created.cookie) && created.cookie.length < created.token.length / 2).toEqual(true)
      const reply = await request("POST", "/auth/session", { key: null, json: { apiKey: key.key } })
      const attributes = (reply.headers.get("set-cookie") ?? "").split("; ").slice(1).sort()
      expect(attributes).toEqual(["HttpOnly", "Max-Age=604800", "Path=/", "SameSite=Strict"])
    })

    it("marks the cookie Secure behind https", async () => {
      const reply = await request("POST", "/auth/session", {
        key: null,
        json: { apiKey: key.key },
        headers: { "x-forwarded-proto": "https" }
      })
      expect(reply.headers.get("set-cookie")).toContain("; Secure")
    })

    it("authenticates the whole token as a bearer, and the cookie only with the page's half", async () => {
      const created = await signIn(key.key)
      const { secret, cookie } = halves(created.token)
      const me = await get("/auth/me", created.token)
      expect([
        me.status,
        (me.body as { via: string; scope: string }).via,
        (me.body as { scope: string }).scope
      ]).toEqual([200, "session", "full"])
      expect((await request("GET", "/api/keys", withCookie(cookie, secret))).status).toEqual(200)
      expect(
        (await request("POST", "/api/keys", { ...withCookie(cookie, secret), json: { name: "from-page" } })).status
      ).toEqual(201)
      // what a browser sends to another server on the same host: the cookie, without the page's half
      for (const replay of [
        withCookie(cookie),
        withCookie(cookie, "x".repeat(22)),
        withCookie(created.token.slice(4))
      ]) {
        expectError(await request("GET", "/api/sessions", replay), 401, "Unauthorized")
        expectError(await request("POST", "/api/keys", { ...replay, json: { name: "stolen" } }), 401, "Unauthorized")
      }
      expectError(await get("/api/sessions", `oss_${cookie}`), 401, "Unauthorized")
    })

    it("refuses unknown and garbled tokens, and malformed, unknown and revoked keys, with 401 and a reason", async () => {
      expectError(await get("/api/sessions", `oss_${"A".repeat(43)}`), 401, "Unauthorized")
      expectError(await get("/api/sessions", "oss_short"), 401, "Unauthorized")
      expect(expectError(await post("/auth/session", { apiKey: "nope" }, null), 401, "Unauthorized")).toMatch(/osk_/)
      expect(
        expectError(await post("/auth/session", { apiKey: key.key.slice(0, -1) }, null), 401, "Unauthorized")
      ).toMatch(/malformed/)
      const temp = as<ApiKey.CreatedApiKey>(await post("/api/keys", { name: "temp", scope: "full" }))
      await del(`/api/keys/${temp.id}`)
      const revoked = await post("/auth/session", { apiKey: temp.key }, null)
      expect(expectError(revoked, 401, "Unauthorized")).toMatch(/revoked/)
      expect(revoked.headers.get("set-cookie")).toBeNull()
      expectError(await post("/auth/session", { key: key.key }, null), 400, "BadRequest")
    })

    it("takes a key or token only as `Authorization: Bearer …`, and says so to one sent another way", async () => {
      for (const header of [key.key, `Digest ${key.key}`, `XXXXXXX${key.key}`, `Basic1${key.key}`]) {
        const reply = await request("GET", "/api/sessions", { key: null, headers: { authorization: header } })
        expect(expectError(reply, 401, "Unauthorized")).toContain("Authorization: Bearer")
      }
      for (const header of [`Bearer ${key.key}`, `bearer ${key.key}`, `BEARER ${key.key}`]) {
        const reply = await request("GET", "/api/sessions", { key: null, headers: { authorization: header } })
        expect([header.slice(0, 6), reply.status]).toEqual([header.slice(0, 6), 200])
      }
      // `Bearer` with nothing after it is no key at all (a client with an empty one): signing in still works
      const signedIn = await request("POST", "/auth/session", {
        key: null,
        json: { apiKey: key.key },
        headers: { authorization: "Bearer " }
      })
      expect(signedIn.status).toEqual(201)
      expect(
        expectError(
          await request("GET", "/api/sessions", { key: null, headers: { authorization: "Bearer" } }),
          401,
          "Unauthorized"
        )
      ).toContain("Missing")
    })

    it("ends every sign-in made with a key the moment the key is revoked", async () => {
      const rotating = as<ApiKey.CreatedApiKey>(await post("/api/keys", { name: "rotating", scope: "full" }))
      const first = await signIn(rotating.key)
      const second = await signIn(rotating.key)
      expect((await get("/auth/me", first.token)).status).toEqual(200)
      // a sign-in made with the key revokes that very key: it and every sibling sign-in end at once
      expect((await del(`/api/keys/${rotating.id}`, second.token)).status).toEqual(200)
      for (const token of [first.token, second.token]) {
        expectError(await get("/auth/me", token), 401, "Unauthorized")
        expectError(await post("/api/keys", { name: "after revoke" }, token), 401, "Unauthorized")
        const { secret, cookie } = halves(token)
        expectError(await request("GET", "/api/keys", withCookie(cookie, secret)), 401, "Unauthorized")
      }
      const listed = as<{ signIns: ReadonlyArray<SignIn.SignInInfo> }>(await get("/api/sign-ins")).signIns
      expect(listed.filter((s) => s.keyId === rotating.id)).toEqual([])
    })

    it("lists the caller's live sign-ins with browser, key and times, marks the current one, and ends any", async () => {
      const firefox = await signIn(key.key, "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
      const chrome = await signIn(
        key.key,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
      )
      const reply = await get("/api/sign-ins", chrome.token)
      expect(reply.status).toEqual(200)
      const list = as<{ signIns: ReadonlyArray<SignIn.SignInInfo> }>(reply).signIns
      const mine = list.filter((s) => s.keyId === key.id)
      const byBrowser = Object.fromEntries(mine.map((s) => [s.browser, s]))
      expect(Object.keys(byBrowser)).toEqual(expect.arrayContaining(["Firefox 140 on Linux", "Chrome 156 on macOS"]))
      const current = byBrowser["Chrome 156 on macOS"]!
      expect([current.current, current.keyName, current.expiresAt > current.createdAt]).toEqual([true, "browser", true])
      expect(byBrowser["Firefox 140 on Linux"]!.current).toEqual(false)
      expect(reply.text.includes(firefox.token) || reply.text.includes(firefox.cookie)).toEqual(false)

      const ended = await del(`/api/sign-ins/${byBrowser["Firefox 140 on Linux"]!.id}`, chrome.token)
      expect([ended.status, typeof (ended.body as SignIn.SignInInfo).revokedAt]).toEqual([200, "number"])
      expectError(await get("/auth/me", firefox.token), 401, "Unauthorized")
      expect((await get("/auth/me", chrome.token)).status).toEqual(200)
      const after = as<{ signIns: ReadonlyArray<SignIn.SignInInfo> }>(await get("/api/sign-ins")).signIns
      expect(after.some((s) => s.id === byBrowser["Firefox 140 on Linux"]!.id)).toEqual(false)
      expectError(await del("/api/sign-ins/sgn_doesnotexist"), 404, "NotFound")
    })

    it("keeps each user's sign-ins to themselves", async () => {
      const mine = as<{ signIns: ReadonlyArray<SignIn.SignInInfo> }>(await get("/api/sign-ins")).signIns
      const theirs = as<{ signIns: ReadonlyArray<SignIn.SignInInfo> }>(
        await get("/api/sign-ins", h.target.keyB)
      ).signIns
      expect(theirs.filter((s) => mine.some((m) => m.id === s.id))).toEqual([])
      for (const s of mine) expectError(await del(`/api/sign-ins/${s.id}`, h.target.keyB), 404, "NotFound")
    })

    it("DELETE /auth/session ends the calling sign-in and clears the cookie", async () => {
      const created = await signIn(key.key)
      const { secret, cookie } = halves(created.token)
      const out = await request("DELETE", "/auth/session", withCookie(cookie, secret))
      expect([out.status, out.body]).toEqual([200, { ok: true }])
      expect(out.headers.get("set-cookie")).toMatch(/^opensync_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict/)
      expect(expectError(await get("/auth/me", created.token), 401, "Unauthorized")).toMatch(/Sign in again/)
    })
  })
}
