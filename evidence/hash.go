package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/reckonhq/reckon"
)

// canonicalFindings returns the findings ordered by control id, the order in
// which they are hashed and stored.
func canonicalFindings(findings []reckon.Finding) []reckon.Finding {
	out := slices.Clone(findings)
	slices.SortFunc(out, func(a, b reckon.Finding) int { return strings.Compare(a.ControlID, b.ControlID) })
	return out
}

// ContentHash is the canonical hash of a snapshot's findings: "sha256:" and
// the hex SHA-256 of the JSON array of the findings ordered by control_id,
// each an object with the keys control_id, title, severity, status and —
// when not empty — detail, product, group and annotation (its keys comment,
// remediation_date, incorrect_result, original_status, original_detail,
// each when set), in that order, as Go's encoding/json writes it (no
// spaces; <, > and & escaped). Findings without annotations hash as they
// did before annotations existed. The same findings
// in any order hash alike; the capture time and source are metadata and are
// not hashed.
func ContentHash(findings []reckon.Finding) string {
	b, err := json.Marshal(canonicalFindings(findings))
	if err != nil {
		// A slice of structs of strings always encodes.
		panic(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
