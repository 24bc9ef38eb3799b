import { afterAll, beforeAll, describe } from "@effect/vitest"
import * as Data from "./Data.js"
import * as DataStatus from "./DataStatus.js"
import * as Delete from "./Delete.js"
import * as Export from "./Export.js"
import * as Facets from "./Facets.js"
import { makeHarness, type Target } from "./Harness.js"
import * as Health from "./Health.js"
import * as HostileInput from "./HostileInput.js"
import * as Keys from "./Keys.js"
import * as Legacy from "./Legacy.js"
import * as Otlp from "./Otlp.js"
import * as Property from "./Property.js"
import * as Scopes from "./Scopes.js"
import * as SearchParity from "./SearchParity.js"
import * as SessionDetail from "./SessionDetail.js"
import * as SessionList from "./SessionList.js"
import * as SignIns from "./SignIns.js"
import * as Stats from "./Stats.js"
import * as SyncEvents from "./SyncEvents.js"
import * as TenantIsolation from "./TenantIsolation.js"

export type { Target } from "./Harness.js"

/**
 * The HTTP conformance suite: what every OpenSync backend must do, checked through plain `fetch` only, so the same
 * tests run against the local server and against the Convex backend (through convex-test's HTTP router). One file per
 * section; each takes the harness (requests against the target, builders of this run's events).
 */
export const conformanceSuite = (name: string, makeTarget: () => Promise<Target>): void => {
  describe(name, () => {
    let target: Target | undefined
    beforeAll(async () => {
      target = await makeTarget()
    }, 60_000)
    afterAll(async () => {
      await target?.close()
    })
    const h = makeHarness(() => {
      if (target === undefined) throw new Error("the conformance target did not start")
      return target
    })
    Health.section(h)
    SyncEvents.section(h)
    Otlp.section(h)
    SessionDetail.section(h)
    SessionList.section(h)
    SearchParity.section(h)
    Stats.section(h)
    Facets.section(h)
    Export.section(h)
    Delete.section(h)
    Keys.section(h)
    Legacy.section(h)
    TenantIsolation.section(h)
    Scopes.section(h)
    SignIns.section(h)
    Data.section(h)
    DataStatus.section(h)
    HostileInput.section(h)
    Property.section(h)
  })
}
