package scubagear

import "strings"

// BaseID returns a control id without its version suffix:
// "MS.AAD.3.3v1" → "MS.AAD.3.3". ScubaGear raises the suffix when it
// rewrites a policy's check; its own run-to-run comparison matches on the
// base id. An id without a suffix is returned as it is.
func BaseID(id string) string {
	i := strings.LastIndexByte(id, 'v')
	if i <= 0 || i == len(id)-1 {
		return id
	}
	for _, c := range id[i+1:] {
		if c < '0' || c > '9' {
			return id
		}
	}
	return id[:i]
}

// movedPolicies maps the base ids of policies that ScubaGear's baselines
// moved to another id onto that id. The source is ScubaGear's list of
// removed policies (PowerShell/ScubaGear/baselines/removedpolicies.md),
// which reworks Defender and Exchange Online policies into the Security
// Suite baseline (MS.SECURITYSUITE.*) from April 2026. Only the one-to-one
// moves are here: where several old policies were merged into one new
// policy, or one was spread over a group, the old ones are removed and the
// new one added, since neither result stands for the other.
var movedPolicies = map[string]string{
	"MS.DEFENDER.2.2": "MS.SECURITYSUITE.2.2", // domain impersonation protection, agency domains
	"MS.DEFENDER.2.3": "MS.SECURITYSUITE.2.3", // domain impersonation protection, partners
	"MS.DEFENDER.4.3": "MS.SECURITYSUITE.3.3", // DLP: block sharing with everyone
	"MS.DEFENDER.4.4": "MS.SECURITYSUITE.3.4", // DLP: user notifications
	"MS.DEFENDER.4.6": "MS.SECURITYSUITE.3.5", // DLP: restricted apps and Bluetooth
	"MS.EXO.10.3":     "MS.SECURITYSUITE.1.2", // scan emails after delivery
	"MS.EXO.11.2":     "MS.SECURITYSUITE.2.4", // user warnings (safety tips)
	"MS.EXO.12.1":     "MS.SECURITYSUITE.8.1", // no IP allow lists
	"MS.EXO.12.2":     "MS.SECURITYSUITE.8.2", // safe lists not enabled
	"MS.EXO.14.3":     "MS.SECURITYSUITE.6.2", // no allowed domains in anti-spam
}

// Identity is the key under which a control is the same control across
// tool versions: its base id, and for a moved policy the base id it moved
// to. Two controls of different reports with one identity are one control
// whose version changed or that moved.
func Identity(id string) string {
	base := BaseID(id)
	if to, ok := movedPolicies[base]; ok {
		return to
	}
	return base
}
