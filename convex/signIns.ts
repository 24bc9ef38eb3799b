import { Ids, SignIn } from "@opensync/domain"
import { v } from "convex/values"
import type { Doc, Id } from "./_generated/dataModel.js"
import { internalMutation, internalQuery, type QueryCtx } from "./_generated/server.js"
import { pendingUse } from "./apiKeys.js"
import { tuning } from "./lib/tuning.js"
import { compile } from "./lib/validators.js"

/** Dashboard sign-ins: live while unexpired, unrevoked and their key unrevoked. Only digests of tokens are stored. */

/** A sign-in's id: its `publicId`, or for one made before sign-ins were listed, an id derived from its digest. */
export const publicIdOf = (doc: Doc<"authSessions">): string => doc.publicId ?? `sgn_${doc.hash.slice(0, 20)}`

const info = (doc: Doc<"authSessions">, keyName: string | null): SignIn.SignInInfo => ({
  id: publicIdOf(doc),
  keyId: doc.keyId,
  keyName,
  browser: SignIn.browserOf(doc.userAgent),
  createdAt: doc.createdAt,
  lastSeenAt: doc.lastSeenAt ?? doc.createdAt,
  expiresAt: doc.expiresAt,
  revokedAt: doc.revokedAt,
  current: false
})

const signInInfo = compile(SignIn.SignInInfo)

/** Most live sign-ins a list shows. */
const maxListed = 200

export const create = internalMutation({
  args: {
    id: v.string(),
    userId: v.id("users"),
    keyId: v.string(),
    tokenHash: v.string(),
    userAgent: v.string(),
    createdAt: v.number(),
    expiresAt: v.number()
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    // Expired sign-ins are of no use: each new one deletes some of its user's (as the local server deletes them all),
    // so they do not pile up for every later read of the user's or a key's sign-ins.
    const expired = await ctx.db
      .query("authSessions")
      .withIndex("by_user", (q) => q.eq("userId", args.userId).lt("expiresAt", args.createdAt))
      .take(tuning.expiredSignInsPerCreate)
    for (const signIn of expired) await ctx.db.delete(signIn._id)
    await ctx.db.insert("authSessions", {
      userId: args.userId,
      hash: args.tokenHash,
      keyId: args.keyId,
      createdAt: args.createdAt,
      expiresAt: args.expiresAt,
      revokedAt: null,
      publicId: args.id,
      userAgent: args.userAgent,
      lastSeenAt: args.createdAt
    })
    return null
  }
})

/** The live sign-in with this token digest, with its key checked (a revoked key ends its sign-ins at once). */
export const byHash = internalQuery({
  args: { hash: v.string(), now: v.number() },
  returns: v.union(
    v.null(),
    v.object({
      id: v.string(),
      doc: v.id("authSessions"),
      userId: v.string(),
      keyId: v.string(),
      expiresAt: v.number(),
      lastSeenAt: v.number()
    })
  ),
  handler: async (ctx, { hash, now }) => {
    const signIn = await ctx.db
      .query("authSessions")
      .withIndex("by_hash", (q) => q.eq("hash", hash))
      .unique()
    if (signIn === null || signIn.revokedAt !== null || signIn.expiresAt <= now) return null
    const key = await ctx.db
      .query("apiKeys")
      .withIndex("by_key_id", (q) => q.eq("id", signIn.keyId))
      .unique()
    if (key === null || key.revokedAt !== null) return null
    const seen = signIn.lastSeenAt ?? signIn.createdAt
    return {
      id: publicIdOf(signIn),
      doc: signIn._id,
      userId: Ids.UserId.make(signIn.userId),
      keyId: signIn.keyId,
      expiresAt: signIn.expiresAt,
      lastSeenAt: Math.max(seen, (await pendingUse(ctx, signIn._id)) ?? seen)
    }
  }
})

export const list = internalQuery({
  args: { userId: v.id("users"), now: v.number() },
  returns: v.array(signInInfo),
  handler: async (ctx, { userId, now }) => {
    // The newest first (every sign-in lives as long): past the most listed, the oldest are left out, not the newest.
    // Only live ones are read: a filter on `revokedAt` walked every revoked sign-in still unexpired (after revoking a
    // key that made tens of thousands, past Convex's documents-scanned limit: Settings answered 500).
    const live = await ctx.db
      .query("authSessions")
      .withIndex("by_user_live", (q) => q.eq("userId", userId).eq("revokedAt", null).gt("expiresAt", now))
      .order("desc")
      .take(maxListed)
    const out: Array<SignIn.SignInInfo> = []
    for (const signIn of live) {
      const key = await ctx.db
        .query("apiKeys")
        .withIndex("by_key_id", (q) => q.eq("id", signIn.keyId))
        .unique()
      if (key === null || key.revokedAt !== null) continue
      const seen = signIn.lastSeenAt ?? signIn.createdAt
      out.push(info({ ...signIn, lastSeenAt: Math.max(seen, (await pendingUse(ctx, signIn._id)) ?? seen) }, key.name))
    }
    return out.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1))
  }
})

/**
 * The user's sign-in listed as `id` among those made before sign-ins had a `publicId` (until the `addSignInPublicIds`
 * migration has given them one), or null.
 */
const withoutPublicId = async (ctx: QueryCtx, userId: Id<"users">, id: string) => {
  if (!id.startsWith("sgn_")) return null
  const legacy = ctx.db
    .query("authSessions")
    .withIndex("by_public_id", (q) => q.eq("userId", userId).eq("publicId", undefined))
  for await (const signIn of legacy) if (publicIdOf(signIn) === id) return signIn
  return null
}

/** Ends one of the user's sign-ins (idempotent); null when the user has none with that id. */
export const revoke = internalMutation({
  args: { userId: v.id("users"), id: v.string(), now: v.number() },
  returns: v.union(v.null(), signInInfo),
  handler: async (ctx, { userId, id, now }) => {
    const signIn =
      (await ctx.db
        .query("authSessions")
        .withIndex("by_public_id", (q) => q.eq("userId", userId).eq("publicId", id))
        .unique()) ?? (await withoutPublicId(ctx, userId, id))
    if (signIn === null) return null
    const revokedAt = signIn.revokedAt ?? now
    if (signIn.revokedAt === null) await ctx.db.patch(signIn._id, { revokedAt })
    const key = await ctx.db
      .query("apiKeys")
      .withIndex("by_key_id", (q) => q.eq("id", signIn.keyId))
      .unique()
    return info({ ...signIn, revokedAt }, key?.name ?? null)
  }
})
