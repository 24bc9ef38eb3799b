import { Api } from "@opensync/domain"
import { v } from "convex/values"
import { internalMutation } from "./_generated/server.js"

/** Dashboard sign-in: session tokens (`oss_…`) made from an API key, valid 7 days, stored as SHA-256 digests. */

/** Starts a session for the owner of a live key; null when the key is unknown or revoked. */
export const createSession = internalMutation({
  args: { keyHash: v.string(), tokenHash: v.string() },
  handler: async (ctx, { keyHash, tokenHash }) => {
    const key = await ctx.db
      .query("apiKeys")
      .withIndex("by_hash", (q) => q.eq("hash", keyHash))
      .unique()
    if (key === null || key.revokedAt !== null) return null
    const user = await ctx.db.get(key.userId)
    if (user === null) return null
    const now = Date.now()
    const expiresAt = now + Api.sessionLifetimeMs
    await ctx.db.patch(key._id, { lastUsedAt: now })
    await ctx.db.insert("authSessions", {
      userId: key.userId,
      hash: tokenHash,
      keyId: key.id,
      createdAt: now,
      expiresAt,
      revokedAt: null
    })
    return { expiresAt, user: { id: key.userId as string, name: user.name } }
  }
})

/** Ends a session at once (idempotent). */
export const revokeSession = internalMutation({
  args: { tokenHash: v.string() },
  handler: async (ctx, { tokenHash }) => {
    const session = await ctx.db
      .query("authSessions")
      .withIndex("by_hash", (q) => q.eq("hash", tokenHash))
      .unique()
    if (session !== null && session.revokedAt === null) await ctx.db.patch(session._id, { revokedAt: Date.now() })
  }
})
