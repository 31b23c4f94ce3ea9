package console

import "github.com/reckonhq/reckon/store"

// attemptView is one attempt of a run on its page: where it ran, and from
// which dead node it was handed on. Node names are hostname-pid, safe to
// show.
type attemptView struct {
	Sentence string
	Started  *timeView
	Ended    *timeView
}

// attemptViews describes a run's attempts, first first.
func attemptViews(t tr, list []*store.RunAttempt) []attemptView {
	out := make([]attemptView, 0, len(list))
	for i, a := range list {
		v := attemptView{Started: t.Time(a.StartedAt), Ended: t.TimePtr(a.EndedAt)}
		switch {
		case a.NodeName == "":
			v.Sentence = t.T("console.attempts.attempt_no_node", "n", a.Attempt)
		case i > 0 && list[i-1].HandedOnAt != nil:
			from := list[i-1].NodeName
			if from == "" {
				from = t.T("console.attempts.unknown_node")
			}
			v.Sentence = t.T("console.attempts.attempt_handed_on", "n", a.Attempt, "node", a.NodeName,
				"from", from, "at", t.Time(*list[i-1].HandedOnAt).Abs)
		default:
			v.Sentence = t.T("console.attempts.attempt", "n", a.Attempt, "node", a.NodeName)
		}
		out = append(out, v)
	}
	return out
}
