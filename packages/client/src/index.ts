export * as ApiClient from "./ApiClient.js"
export * as ConfigStore from "./ConfigStore.js"
export * as Redactor from "./Redactor.js"
export * as SyncClient from "./SyncClient.js"
