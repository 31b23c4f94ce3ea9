// Package web is what reckon's two HTTP surfaces, the JSON API and the
// console, share: request ids and one log line per request, the mapping
// of error codes to HTTP statuses, and the resolution of a request's
// caller, grant and path records through the access policy in one
// transaction. Each surface keeps only what differs: how it authenticates
// and how it renders an answer.
package web
