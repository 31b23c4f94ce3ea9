package seed

import "github.com/reckonhq/reckon"

// control is one control the demo environments are assessed against, in
// the shape an assessment tool such as ScubaGear reports.
type control struct {
	id, title, product, group string
	severity                  reckon.Severity
}

var controls = []control{
	{"MS.AAD.1.1v1", "Legacy authentication is blocked", "Entra ID", "Legacy authentication", reckon.SeverityCritical},
	{"MS.AAD.3.1v1", "Phishing-resistant MFA is enforced for all users", "Entra ID", "Strong authentication", reckon.SeverityCritical},
	{"MS.AAD.3.6v1", "Phishing-resistant MFA is required for privileged roles", "Entra ID", "Strong authentication", reckon.SeverityHigh},
	{"MS.AAD.5.1v1", "Only administrators may register applications", "Entra ID", "Application registration", reckon.SeverityMedium},
	{"MS.AAD.7.1v1", "Global administrators number between two and eight", "Entra ID", "Highly privileged roles", reckon.SeverityHigh},
	{"MS.EXO.1.1v1", "Automatic forwarding to external domains is disabled", "Exchange Online", "Automatic forwarding", reckon.SeverityHigh},
	{"MS.EXO.2.2v2", "An SPF policy lists the approved senders", "Exchange Online", "Sender policy framework", reckon.SeverityMedium},
	{"MS.EXO.4.1v1", "A DMARC policy is published for every domain", "Exchange Online", "DMARC", reckon.SeverityHigh},
	{"MS.EXO.13.1v1", "Mailbox auditing is enabled", "Exchange Online", "Audit logging", reckon.SeverityMedium},
	{"MS.DEFENDER.1.1v1", "Standard and strict preset policies are enabled", "Defender", "Preset security profiles", reckon.SeverityHigh},
	{"MS.DEFENDER.6.1v1", "Microsoft Purview Audit is enabled", "Defender", "Audit logging", reckon.SeverityMedium},
	{"MS.SHAREPOINT.1.1v1", "External sharing is limited to existing guests", "SharePoint Online", "External sharing", reckon.SeverityHigh},
	{"MS.SHAREPOINT.2.1v1", "The default sharing link is scoped to specific people", "SharePoint Online", "File and folder links", reckon.SeverityMedium},
	{"MS.TEAMS.1.1v1", "External participants cannot request control of shared content", "Teams", "Meeting policies", reckon.SeverityLow},
	{"MS.TEAMS.2.1v1", "External access is limited to allowed domains", "Teams", "External user access", reckon.SeverityMedium},
	{"MS.TEAMS.4.1v1", "Teams email integration is disabled", "Teams", "Email integration", reckon.SeverityInfo},
}

// assessment is one snapshot's results: every control passes unless
// listed, and a listed "-" control is not assessed at all (the tool
// version did not have it yet, or no longer has it).
type assessment map[string]reckon.FindingStatus

const absent reckon.FindingStatus = "-"

func (a assessment) findings() []reckon.Finding {
	var out []reckon.Finding
	for _, c := range controls {
		st, ok := a[c.id]
		if !ok {
			st = reckon.FindingPass
		}
		if st == absent {
			continue
		}
		out = append(out, reckon.Finding{ControlID: c.id, Title: c.title, Severity: c.severity, Status: st,
			Product: c.product, Group: c.group})
	}
	return out
}

const (
	fail = reckon.FindingFail
	warn = reckon.FindingWarning
	na   = reckon.FindingNotApplicable
	errd = reckon.FindingError
)
