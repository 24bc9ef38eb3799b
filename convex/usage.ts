import { v } from "convex/values"
import { internalMutation, internalQuery } from "./_generated/server.js"

/** When each user's telemetry (OTLP) last reached the server: `GET /auth/me` reports it for the plugins' `status`. */

/** Coarser than this, a newer time is not written (an exporter posts every few seconds). */
const resolutionMs = 60_000

export const noteTelemetry = internalMutation({
  args: { userId: v.id("users"), at: v.number() },
  handler: async (ctx, { userId, at }) => {
    const user = await ctx.db.get(userId)
    if (user !== null && at - (user.lastTelemetryAt ?? 0) >= resolutionMs)
      await ctx.db.patch(userId, { lastTelemetryAt: at })
  }
})

export const lastTelemetry = internalQuery({
  args: { userId: v.id("users") },
  handler: async (ctx, { userId }) => (await ctx.db.get(userId))?.lastTelemetryAt ?? null
})
