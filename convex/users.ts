import { newKey } from "@opensync/backend/handlers/keys"
import { ApiKey } from "@opensync/domain"
import { ConvexError, v } from "convex/values"
import * as Effect from "effect/Effect"
import { internal } from "./_generated/api.js"
import { internalAction, internalMutation, internalQuery } from "./_generated/server.js"
import { apiKeyInfo, checkName, secretArgs, storeKey } from "./apiKeys.js"
import { compile, fields } from "./lib/validators.js"

const createdApiKey = compile(ApiKey.CreatedApiKey)

/**
 * Users exist only on the deployment owner's word: `npx convex run users:create '{"name":"Alice"}'` creates one and
 * prints its first API key (full scope), once; `npx convex run users:createKey '{"userId":"…","name":"laptop"}'`
 * adds a key (ingest scope unless `"scope":"full"`).
 */
export const create = internalAction({
  args: { name: v.string(), keyName: v.optional(v.string()) },
  returns: createdApiKey,
  handler: async (ctx, { name, keyName }): Promise<ApiKey.CreatedApiKey> => {
    if (name.trim().length === 0 || name.length > 200) {
      throw new ConvexError({ _tag: "BadRequest", error: "A user name must be 1 to 200 characters." })
    }
    const secret = await Effect.runPromise(newKey)
    const stored: ApiKey.ApiKeyInfo = await ctx.runMutation(internal.users.insert, {
      name: name.trim(),
      key: { id: secret.id, prefix: secret.prefix, hash: secret.hash, name: keyName ?? "first key", scope: "full" }
    })
    return { ...stored, key: secret.key }
  }
})

export const createKey = internalAction({
  args: { userId: v.id("users"), name: v.string(), scope: v.optional(fields(ApiKey.ApiKeyInfo).scope) },
  returns: createdApiKey,
  handler: async (ctx, { userId, name, scope }): Promise<ApiKey.CreatedApiKey> => {
    checkName(name)
    const secret = await Effect.runPromise(newKey)
    const stored: ApiKey.ApiKeyInfo | null = await ctx.runMutation(internal.apiKeys.insertKey, {
      userId,
      id: secret.id,
      prefix: secret.prefix,
      hash: secret.hash,
      name,
      scope: scope ?? ApiKey.defaultScope
    })
    if (stored === null) throw new ConvexError({ _tag: "BadRequest", error: "This user holds too many keys." })
    return { ...stored, key: secret.key }
  }
})

export const insert = internalMutation({
  args: { name: v.string(), key: v.object(secretArgs) },
  returns: apiKeyInfo,
  handler: async (ctx, { name, key }) => {
    const userId = await ctx.db.insert("users", { name, createdAt: Date.now(), sessionCount: 0, toolsByDay: true })
    const stored = await storeKey(ctx, userId, key)
    if (stored === null) throw new ConvexError({ _tag: "InternalError", error: "could not store the first key" })
    return stored
  }
})

export const get = internalQuery({
  args: { userId: v.id("users") },
  returns: v.union(v.null(), v.object({ id: v.id("users"), name: v.string() })),
  handler: async (ctx, { userId }) => {
    const user = await ctx.db.get(userId)
    return user === null ? null : { id: userId, name: user.name }
  }
})
