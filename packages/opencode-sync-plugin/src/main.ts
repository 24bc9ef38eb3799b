import { Kit } from "@opensync/client"
import packageJson from "../package.json" with { type: "json" }
import { agent } from "./Agent.js"
import * as Source from "./Source.js"

Kit.Main.runMain({ agent, version: packageJson.version, source: Source.layer })
