import { cronJobs } from "convex/server"
import { internal } from "./_generated/api.js"

/** Maintenance that keeps hot paths write-light and finishes interrupted work (see `maintenance.ts`). */
const crons = cronJobs()
crons.interval("sweep last uses and stalled deletions", { minutes: 5 }, internal.maintenance.sweep, {})
crons.interval("delete expired export files", { minutes: 5 }, internal.exports.sweep, {})
export default crons
