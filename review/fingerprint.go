package review

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// ComposerVersion names the composer's output format and rules. It is part
// of every fingerprint: changing what the composer writes means changing
// this constant, so that reviews are composed afresh.
const ComposerVersion = "2"

// Options are the composition choices that change a review's content.
type Options struct {
	// BaselineSnapshotID is the snapshot the changes are computed against —
	// that of the environment's previous composed review; 0 for none. It is
	// an input because the changes are part of the content: the same
	// fingerprint must always mean the same content.
	BaselineSnapshotID int64
}

// FingerprintInputs are the canonical inputs of a review.
type FingerprintInputs struct {
	WorkspaceID         int64
	EnvironmentID       int64
	SnapshotID          int64
	SnapshotContentHash string
	ComposerVersion     string
	Options             Options
}

// Fingerprint returns "sha256:" and the hex SHA-256 of the inputs written as
// lines "name=value\n" in this order, after the line
// "reckon.review.fingerprint.v1":
//
//	workspace_id, environment_id, snapshot_id, snapshot_content_hash,
//	composer_version, option.baseline_snapshot_id
//
// Integers are written in decimal. Both engines compute it in Go, so it is
// the same everywhere; a golden test pins it.
func Fingerprint(in FingerprintInputs) string {
	h := sha256.New()
	fmt.Fprintf(h, "reckon.review.fingerprint.v1\n"+
		"workspace_id=%d\nenvironment_id=%d\nsnapshot_id=%d\nsnapshot_content_hash=%s\n"+
		"composer_version=%s\noption.baseline_snapshot_id=%d\n",
		in.WorkspaceID, in.EnvironmentID, in.SnapshotID, in.SnapshotContentHash,
		in.ComposerVersion, in.Options.BaselineSnapshotID)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
