// Package scubagear reads the results of CISA's ScubaGear
// (github.com/cisagov/ScubaGear), the ScubaResults_*.json file it writes
// after assessing a Microsoft 365 tenant, as an evidence snapshot.
//
// # Reading
//
// Decode streams the report: a leading UTF-8 byte-order mark (PowerShell
// writes one) is dropped; MetaData, AnnotatedFailedPolicies and Results are
// decoded; every other section — Summary and above all Raw, the tenant's
// configuration export that makes up most of the file — is skipped token by
// token and never held in memory or stored. A body over MaxBodyBytes (16 MiB;
// real reports are 1.4–1.9 MB) is refused with reckon.CodeTooLarge after
// reading at most that much. A body that is not JSON is reckon.CodeMalformed,
// with the byte offset, line and column of the error and the character
// found there; a UTF-16 file is refused with a hint to save it as UTF-8.
// JSON that is not a usable report is reckon.CodeValidation with one problem
// per field, keyed by its JSON Pointer ("/Results/AAD/0/Controls/3/Result"),
// in document order; the error's message is the first problem.
//
// # Mapping
//
// Every control of every group of every product in Results becomes one
// finding, in the file's order:
//
//	finding      from
//	control_id   Control ID (trimmed; at most 128 characters; unique in the report)
//	title        Requirement, as plain text (at most 512 characters)
//	status       Result (below)
//	severity     Criticality (below)
//	detail       Details, as plain text (at most 4000 characters)
//	product      the Results key: AAD, Defender, EXO, PowerPlatform, SharePoint, Teams
//	group        GroupName, e.g. "Legacy Authentication"
//
// Plain text: HTML tags and comments are removed (<br>, <p>, <div> and <li>
// start a new line, a link keeps its text), entities are decoded, runs of
// white space collapse, blank lines go; an over-long text is cut and ends
// with "…".
//
// Result (case and spacing do not matter):
//
//	Pass                           pass
//	Fail                           fail
//	Warning                        warning
//	N/A                            not_applicable  (Summary: Manual)
//	Omitted                        not_applicable  (left out by the operator's OmitPolicy; Summary: Omits)
//	Incorrect result               warning         (the operator's config disputes the tool's
//	                                                result: unproven either way; Summary: IncorrectResults)
//	Error                          error
//	Error - Test results missing   error
//
// Criticality (case and spacing do not matter). Shall is a requirement and
// Should a recommendation. The /Not-Implemented and /3rd Party variants are
// controls ScubaGear cannot check itself — it always reports them N/A, to be
// checked by hand — so they rank lower: they carry no evidence of a problem,
// only a reminder. reckon's critical is not used: ScubaGear has no level
// above Shall.
//
//	Shall                                    high
//	Should                                   medium
//	Shall/Not-Implemented, Shall/3rd Party   low
//	Should/Not-Implemented, Should/3rd Party info
//	-                                        info  (the tool states none: its test result is missing)
//
// Any other Result or Criticality (such as the Shall/Conditional of
// unreleased ScubaGear branches) is a validation error that names the value
// and the control, never a silent default.
//
// Snapshot and source:
//
//	captured_at          MetaData.TimestampZulu (RFC 3339, UTC)
//	source.format        "scubagear"
//	source.external_id   MetaData.ReportUUID; ScubaGear before 1.5 writes none,
//	                     and then it is "<TenantId>@<TimestampZulu>"
//	source.tenant_id     MetaData.TenantId (required)
//	source.tool_version  MetaData.ToolVersion
//
// The external id makes importing idempotent and the tenant id lets the
// evidence service refuse a report of another tenant (evidence.Service.Import).
// ReportUUID alone is not unique across tenants: two of ScubaGear's own
// published sample reports of different tenants carry the same one.
//
// # Annotations
//
// ScubaGear 1.6 and later let the operator annotate results in its
// configuration (AnnotatePolicy). They are read into the finding's
// annotation; the sample reports carry the fields, all empty:
//
//	annotation        from
//	comment           1.7 Comments (each as plain text, joined by line breaks);
//	                  else AnnotatedFailedPolicies[id].Comment (1.6+)
//	remediation_date  AnnotatedFailedPolicies[id].RemediationDate; else 1.7
//	                  ResolutionDate unless "N/A" — a date YYYY-MM-DD, anything
//	                  else is a validation error naming the field
//	incorrect_result  AnnotatedFailedPolicies[id].IncorrectResult, or a Result
//	                  of "Incorrect result"
//	original_status   1.7 OriginalResult mapped as Result is, kept only when it
//	                  differs from the status (the operator's configuration
//	                  changed the result: omitted, incorrect)
//	original_detail   1.7 OriginalDetails as plain text, with original_status
//
// null, "" and [] say nothing. A finding whose annotation says nothing
// has none, so its content hash is what it was before annotations existed.
//
// # Newer tool versions
//
// Decode reads by shape, not by version: a report of any ToolVersion
// imports when MetaData and Results have the shape above. Top-level
// sections and control fields it does not know are skipped. A report
// without Results that has unknown top-level sections is refused naming
// them and the tool version (a release that moved the results); a known
// field of another JSON type is refused naming the field, the type found
// and the type expected ("…/Comments is a JSON string, but a ScubaGear
// report has a JSON array there").
//
// # Summary
//
// ScubaGear's Summary counts each control of a product once by its Result:
// Passes, Failures, Warnings, Manual (N/A), Errors, Omits and, from 1.6,
// IncorrectResults. Decode does not read it; the tests check the findings
// against it with the mapping above (pass = Passes, fail = Failures,
// warning = Warnings + IncorrectResults, not_applicable = Manual + Omits,
// error = Errors, and low + info = Manual when nothing is omitted).
package scubagear
