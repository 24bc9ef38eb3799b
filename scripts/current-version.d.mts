/** Compares two `x.y.z` versions (a pre-release suffix sorts before its release); negative when a < b. */
export declare const compareVersions: (a: string, b: string) => number
/** The registry's newest version of `name`, or undefined when npm cannot answer within the timeout. */
export declare const registryVersion: (name: string, timeoutMs?: number) => string | undefined
/** The newest release of `name`, with `floor` as the floor and the fallback. */
export declare const currentVersion: (name: string, floor: string) => string
