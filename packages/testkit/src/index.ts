export * as Conformance from "@opensync/testkit/conformance/Suite"
export * as FullDisk from "./FullDisk.js"
export * as Server from "./Server.js"
