/** The version `GET /health` reports; the same as the local server's. */
export const version = "0.1.0"
