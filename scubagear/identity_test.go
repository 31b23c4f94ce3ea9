package scubagear_test

import (
	"testing"

	"github.com/reckonhq/reckon/scubagear"
)

func TestBaseIDAndIdentity(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]string{
		"MS.AAD.3.3v1": "MS.AAD.3.3", "MS.TEAMS.1.2v12": "MS.TEAMS.1.2", "MS.AAD.3.3": "MS.AAD.3.3",
		"MS.AAD.3.3v": "MS.AAD.3.3v", "v1": "v1", "MS.DEV.1.1vx": "MS.DEV.1.1vx", "": "",
	} {
		if got := scubagear.BaseID(id); got != want {
			t.Errorf("BaseID(%q) = %q, want %q", id, got, want)
		}
	}
	for id, want := range map[string]string{
		"MS.EXO.12.1v1": "MS.SECURITYSUITE.8.1", "MS.SECURITYSUITE.8.1v1": "MS.SECURITYSUITE.8.1",
		"MS.DEFENDER.2.2v1": "MS.SECURITYSUITE.2.2",
		"MS.EXO.9.1v1":      "MS.EXO.9.1", // merged with others into one policy: not a move
		"MS.AAD.1.1v1":      "MS.AAD.1.1",
	} {
		if got := scubagear.Identity(id); got != want {
			t.Errorf("Identity(%q) = %q, want %q", id, got, want)
		}
	}
}
