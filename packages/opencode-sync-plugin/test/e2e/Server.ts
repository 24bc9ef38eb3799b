/**
 * The real local OpenSync server for the e2e tests (the server package's test helper) and a read of one session.
 */
export {
  getSession,
  pollFor,
  type StoredDetail as SessionDetail,
  type StoredMessage,
  type StoredSession,
  type StoredToolCall,
  type StoredUsage,
  startServer
} from "@opensync/testkit/Server"
