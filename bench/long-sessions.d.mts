/** The types of bench/long-sessions.mjs, for the tests that import it. */
export declare const codexSessionId: () => string
export declare const codexRollout: (turns: number) => string
export declare const geminiSessionId: string
export declare const geminiChat: (turns: number, options?: { readonly payloadBytes?: number }) => string
