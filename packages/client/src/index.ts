export * as Redactor from "./Redactor.js"
