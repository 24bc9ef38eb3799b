import type { ApiKey } from "@opensync/domain"
import { ConvexError, v } from "convex/values"
import { internal } from "./_generated/api.js"
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js"
import { newSecret, storeKey } from "./apiKeys.js"

/**
 * Users exist only on the deployment owner's word: `npx convex run users:create '{"name":"Alice"}'` creates one and
 * prints its first API key, once.
 */
export const create = internalAction({
  args: { name: v.string(), keyName: v.optional(v.string()) },
  handler: async (ctx, { name, keyName }): Promise<ApiKey.CreatedApiKey> => {
    if (name.trim().length === 0 || name.length > 200) {
      throw new ConvexError({ _tag: "BadRequest", error: "A user name must be 1 to 200 characters." })
    }
    const secret = await newSecret()
    const stored: ApiKey.ApiKeyInfo = await ctx.runMutation(internal.users.insert, {
      name: name.trim(),
      key: { id: secret.id, prefix: secret.prefix, hash: secret.hash, name: keyName ?? "first key" }
    })
    return { ...stored, key: secret.key }
  }
})

export const insert = internalMutation({
  args: {
    name: v.string(),
    key: v.object({ id: v.string(), prefix: v.string(), hash: v.string(), name: v.string() })
  },
  handler: async (ctx, { name, key }) => {
    const userId = await ctx.db.insert("users", { name, createdAt: Date.now(), sessionCount: 0 })
    return storeKey(ctx, userId, key)
  }
})

export const get = internalQuery({
  args: { userId: v.id("users") },
  handler: async (ctx, { userId }) => {
    const user = await ctx.db.get(userId)
    return user === null ? null : { id: userId, name: user.name }
  }
})
