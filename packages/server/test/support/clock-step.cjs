// Preloaded into a server under test (NODE_OPTIONS=--require): each SIGUSR2 steps its wall clock (Date.now) back one
// hour, as NTP does to a clock that ran fast.
const realNow = Date.now
let offset = 0
Date.now = () => realNow() + offset
process.on("SIGUSR2", () => {
  offset -= 3_600_000
})
