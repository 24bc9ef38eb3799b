export * as ApiClient from "./ApiClient.js"
export * as Redactor from "./Redactor.js"
