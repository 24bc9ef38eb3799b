/**
 * The real local OpenSync server for the e2e tests (the server package's test helper) and a read of one session.
 */

export type { StoredDetail as SessionDetail } from "@opensync/testkit/Server"
export * from "@opensync/testkit/Server"
