package console

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/store"
)

// timelineEntry is one thing that happened to a run, in words.
type timelineEntry struct {
	Time  *timeView
	Text  string
	Badge *badge
	Code  string // a reason code, shown as code
	Note  string // an operator's own note
	Links []link
	Ended *timeView // when an attempt ended
	Tone  string    // the marker's colour: "ok", "warn", "bad", "active", "muted"
}

// timelineView is a run's timeline: its entries, oldest first, and the
// records it points to.
type timelineView struct {
	Entries []timelineEntry
	Related []fact
}

// attemptErrorKeys say how a failed attempt ended, by its safe class.
var attemptErrorKeys = map[string]string{
	"timeout":   "console.timeline.error.timeout",
	"cancelled": "console.timeline.error.cancelled",
	"panic":     "console.timeline.error.panic",
	"error":     "console.timeline.error.error",
}

// timelineOf puts a run's timeline into words: who did what when, with
// their notes and the runs and reviews they made. queueJob, when set, links
// the run's queue job (River UI is platform support's alone).
func timelineOf(t tr, tl *operator.Timeline, rs *runSurroundings, l linker, queueJob func(id int64) string) *timelineView {
	v := &timelineView{}
	who := func(actor string) string { return actorName(t, actor, rs.names) }
	// The ledger's attempts that ran on a known node say where, and from
	// which dead node they were handed on.
	attempts := map[int]attemptView{}
	for i, a := range attemptViews(t, rs.attempts) {
		if rs.attempts[i].NodeName != "" {
			attempts[rs.attempts[i].Attempt] = a
		}
	}
	for _, e := range tl.Events {
		en := timelineEntry{Time: t.Time(e.At), Note: e.Note, Tone: "muted"}
		switch e.Kind {
		case operator.EventCreated:
			en.Text = t.T("console.timeline.created", "who", who(e.Actor))
		case operator.EventStarted:
			en.Text, en.Tone = t.T("console.timeline.started"), "active"
		case operator.EventAttemptStart:
			if a, ok := attempts[e.Attempt]; ok {
				en.Text = a.Sentence
			} else if e.Node != "" {
				en.Text = t.T("console.attempts.attempt", "n", e.Attempt, "node", e.Node)
			} else {
				en.Text = t.T("console.attempts.attempt_no_node", "n", e.Attempt)
			}
			en.Ended, en.Tone = t.TimePtr(e.Ended), "active"
		case operator.EventLateDelivery:
			en.Text = t.T("console.timeline.delivered_after_end", "n", e.Attempt, "node", cmp.Or(e.Node, t.T("console.attempts.unknown_node")))
		case operator.EventHandedOn:
			en.Text, en.Tone = t.T("console.timeline.handed_on", "n", e.Attempt, "node", cmp.Or(e.Node, t.T("console.attempts.unknown_node"))), "warn"
		case operator.EventAttemptError:
			en.Text, en.Tone = t.T("console.timeline.attempt_failed", "n", e.Attempt, "node", cmp.Or(e.Node, t.T("console.attempts.unknown_node")),
				"how", label(t, attemptErrorKeys, e.ErrorClass)), "bad"
		case operator.EventDeadline:
			en.Text, en.Tone = t.T("console.timeline.deadline"), "warn"
		case operator.EventCompleted, operator.EventReconciled:
			en.Text = t.T("console.timeline.completed", "who", who(e.Actor))
			if e.Kind == operator.EventReconciled {
				en.Text = t.T("console.timeline.reconciled", "who", who(e.Actor), "source", label(t, sourceKeys, e.Source))
			}
			b := outcomeBadge(t, e.Outcome)
			en.Badge, en.Code, en.Tone = &b, e.ReasonCode, b.Tone
		case operator.EventAcknowledged:
			en.Text, en.Tone = t.T("console.timeline.acknowledged", "who", who(e.Actor)), "ok"
		case operator.EventRetried:
			en.Text, en.Tone = t.T("console.timeline.retried", "who", who(e.Actor)), "active"
			en.Links = []link{named(l.run, e.RunID, runTitle(t, e.RunID))}
		case operator.EventResolved:
			en.Text, en.Tone = t.T("console.timeline.resolved", "who", who(e.Actor)), "ok"
			en.Links = []link{named(l.review, e.ReviewID, t.T("console.timeline.review_kept", "review", idText(e.ReviewID))),
				named(l.run, e.RunID, t.T("console.timeline.recorded_by", "run", idText(e.RunID)))}
		default:
			continue
		}
		v.Entries = append(v.Entries, en)
	}

	add := func(f fact) { v.Related = append(v.Related, f) }
	if id := tl.Links.ReviewID; id != 0 {
		add(fact{Label: t.T("console.diag.review"), Links: l.links([]int64{id}, l.review)})
	}
	if id := tl.Links.EvidenceSnapshotID; id != 0 {
		f := fact{Label: t.T("console.diag.snapshot"), Text: idText(id)}
		if rs.snapshot != nil {
			f.Text, f.Time = t.T("console.timeline.captured", "snapshot", idText(id)), t.Time(rs.snapshot.CapturedAt)
		}
		add(f)
	}
	if id := tl.Links.RetryOf; id != 0 {
		add(fact{Label: t.T("console.timeline.retry_of"), Links: l.links([]int64{id}, l.run)})
	}
	if id := tl.Links.RetriedBy; id != 0 {
		add(fact{Label: t.T("console.timeline.retried_by"), Links: l.links([]int64{id}, l.run)})
	}
	if len(rs.takenOverBy) > 0 {
		add(fact{Label: t.T("console.diag.taken_over_by"), Links: l.links(rs.takenOverBy, l.run)})
	}
	if len(rs.tookOverFrom) > 0 {
		add(fact{Label: t.T("console.diag.took_over_from"), Links: l.links(rs.tookOverFrom, l.run)})
	}
	if id := tl.Links.JobID; id != 0 {
		f := fact{Label: t.T("console.diag.queue_job"), Links: l.links([]int64{id}, queueJob)}
		if tl.Links.JobState != "" {
			f.Code = tl.Links.JobState
		}
		add(f)
	}
	return v
}

// named is a link with its own words, to href's page (none when href is nil).
func named(href func(int64) string, id int64, text string) link {
	l := link{Text: text}
	if href != nil {
		l.Href = href(id)
	}
	return l
}

// actorKeys name the actors that are not people.
var actorKeys = map[string]string{
	"cli":        "console.actor.cli",
	"job":        "console.actor.job",
	"reconciler": "console.actor.reconciler",
	"system":     "console.actor.system",
	"":           "console.actor.system",
}

// actorName is who an audit trail's actor is, in words: a user by name,
// the command line, a job, the reconciler.
func actorName(t tr, actor string, names map[int64]string) string {
	if key, ok := actorKeys[actor]; ok {
		return t.T(key)
	}
	if id := actorUserID(actor); id != 0 {
		if name, ok := names[id]; ok {
			return name
		}
		return t.T("console.actor.user", "id", idText(id))
	}
	return actor
}

// actorUserID is the user an actor "user:<id>" names; 0 for another actor.
func actorUserID(actor string) int64 {
	rest, ok := strings.CutPrefix(actor, "user:")
	if !ok {
		return 0
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// userNames reads the names of users; ids of none (0) or of users gone are
// left out.
func userNames(ctx context.Context, tx *store.Tx, ids []int64) (map[int64]string, error) {
	names := map[int64]string{}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if id == 0 {
			continue
		}
		u, err := tx.UserByID(ctx, id)
		if store.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		names[id] = u.Name
	}
	return names, nil
}

// queueJobLink links a queue job to its page in River UI.
func queueJobLink(id int64) string { return QueuePath + "/jobs/" + strconv.FormatInt(id, 10) }

// resolvedSentence says who resolved an ambiguity, when, and with which
// review, from the record of the run that resolved it.
func resolvedSentence(t tr, retry *reckon.Run, kept int64, names map[int64]string) string {
	rec := retry.Context.Reconciliation
	return t.T("console.operation.resolved", "who", actorName(t, rec.Evidence.ResolvedBy, names),
		"at", t.Abs(rec.ReconciledAt), "review", idText(kept), "run", idText(retry.ID))
}
