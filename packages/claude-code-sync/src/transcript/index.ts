/*
 * The Claude Code transcript reader, "plan, then apply": `Lines` decodes the lines of interest (skipping the rest
 * unparsed), `Session` folds them into a session (messages merged by `message.id`, prompts classified by `Messages`,
 * usage deduplicated by `Usage`, tool calls paired by `ToolCalls`, subagents attributed by `Subagents`), `Events`
 * turns the session into domain events with deterministic ids, `Resume` saves a fold to go on with it in a later read of
 * the same file. `Bytes` recognises and measures lines without decoding them. Only `File` does I/O.
 */
export * from "./Events.js"
export * from "./File.js"
export * from "./Lines.js"
export * as Messages from "./Messages.js"
export * as Resume from "./Resume.js"
export * from "./Session.js"
export * from "./Subagents.js"
export type { TranscriptToolCall } from "./ToolCalls.js"
export * as UsageLedger from "./Usage.js"
