import { cronJobs } from "convex/server"
import { internal } from "./_generated/api.js"

/** Maintenance that keeps hot paths write-light and finishes interrupted work (see `maintenance.ts`). */
const crons = cronJobs()
crons.interval("sweep last uses and stalled deletions", { minutes: 5 }, internal.maintenance.sweep, {})
export default crons
