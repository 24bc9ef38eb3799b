import { v } from "convex/values"
import { internalQuery } from "./_generated/server.js"
import { pendingUse } from "./apiKeys.js"

/**
 * When each user's telemetry (OTLP) last reached the server: `GET /auth/me` reports it for the plugins' `status`.
 * Recorded like a key's last use (`apiKeys:touch`: one insert into `lastUses`, at most once a minute, no write to the
 * user's document), and folded into `users.lastTelemetryAt` by the sweeper (`maintenance:sweep`).
 */
export const lastTelemetry = internalQuery({
  args: { userId: v.id("users") },
  returns: v.union(v.number(), v.null()),
  handler: async (ctx, { userId }) => {
    const stored = (await ctx.db.get(userId))?.lastTelemetryAt ?? null
    const pending = await pendingUse(ctx, userId)
    return stored === null ? pending : pending === null ? stored : Math.max(stored, pending)
  }
})
