package console

import (
	"encoding/json"
	"strconv"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/review"
)

// decisionKeys say how a run ended when no reason code says more.
var decisionKeys = map[reckon.Outcome]string{
	reckon.OutcomeSucceeded:          "console.decision.succeeded",
	reckon.OutcomePartiallySucceeded: "console.decision.partially_succeeded",
	reckon.OutcomeBlocked:            "console.decision.blocked",
	reckon.OutcomeFailed:             "console.decision.failed",
	reckon.OutcomeCancelled:          "console.decision.cancelled",
}

// checkKeys tell an operator what to check on a blocked run, by reason.
// A blocked reason without its own advice gets console.check.blocked.
var checkKeys = map[string]string{
	review.ReasonAmbiguous: "console.check.review_ambiguous",
}

// decisionSentence says in one sentence what happened to a run and what it
// means. A settled run speaks through its reason code, whose sentence every
// domain keeps in the catalogs under the code itself.
func (s *Server) decisionSentence(t tr, run *reckon.Run) string {
	if run.Status.Active() {
		deadline := t.Abs(run.DeadlineAt)
		switch {
		case run.PastDeadline(t.now):
			return t.T("console.decision.past_deadline", "deadline", deadline)
		case run.Status == reckon.RunQueued:
			return t.T("console.decision.queued", "deadline", deadline)
		default:
			return t.T("console.decision.running", "deadline", deadline)
		}
	}
	if sentence, ok := t.Reason(reasonOf(run)); ok {
		return sentence
	}
	if key, ok := decisionKeys[run.Outcome]; ok {
		return t.T(key)
	}
	return t.T("console.decision.failed")
}

// checkSentence tells an operator what to look at on a blocked run.
func checkSentence(t tr, run *reckon.Run) string {
	if run.Outcome != reckon.OutcomeBlocked {
		return ""
	}
	if key, ok := checkKeys[reasonOf(run)]; ok {
		return t.T(key)
	}
	return t.T("console.check.blocked")
}

// action is the one thing a decision asks of its reader: a link to follow
// or a form to post.
type action struct {
	Label string
	Href  string
	Post  bool
	Note  string // why the action is not offered, when it is not
	// Noted actions take the operator's note: they are buttons of the
	// run's action form (run_actions.go). Primary marks the decision's own.
	Noted   bool
	Primary bool
}

// runs reports whether this process runs a type: a service's own run
// type (docs/adapters.md) is shown, cancelled and acknowledged here, but
// judged and retried by the service.
func (s *Server) runs(typ reckon.RunType) bool {
	_, ok := s.catalog.Lookup(typ)
	return ok
}

// retryable reports whether the caller may retry the run here.
func (s *Server) retryable(run *reckon.Run, g *access.Grant) bool {
	return s.operator != nil && ledger.Retryable(run) && run.Context.RetriedBy == 0 && g.Can(operator.RetryAction(run)) && s.runs(run.Type)
}

// neverPickedUp reports whether a settled run was reconciled without any
// worker ever starting it. A run an operator settled (an ambiguity
// resolved) needed no worker.
func neverPickedUp(run *reckon.Run) bool {
	return run.Status == reckon.RunCompleted && reconciled(run) && run.Attempts == 0 &&
		run.Context.Reconciliation.Source != reckon.SourceOperator
}

// primaryAction picks the one action that fits a run: Reconcile now while
// it is active (for those who may), View review when it produced one (or,
// for a resolved ambiguity, the review kept), Resolve for an ambiguity,
// the retry once there is one, Compose again for a compose run no worker
// picked up, Retry for a run that failed or was cancelled, else Open
// environment.
func (s *Server) primaryAction(t tr, run *reckon.Run, ws string, rs *runSurroundings, g *access.Grant) *action {
	base := operationPath(ws, run.ID)
	retry := s.retryable(run, g)
	ambiguous := review.Ambiguous(run)
	switch {
	case run.Status.Active() && g.Can(access.ReconcileNow) && s.reconciler != nil && s.runs(run.Type):
		return &action{Label: t.T("console.action.reconcile_now"), Href: base + "/reconcile", Post: true}
	case rs.reviewID != 0 && (run.Outcome == reckon.OutcomeSucceeded || run.Outcome == reckon.OutcomePartiallySucceeded):
		return &action{Label: t.T("console.action.view_review"), Href: reviewPath(ws, rs.reviewID)}
	case ambiguous && rs.kept != 0:
		return &action{Label: t.T("console.action.view_kept_review"), Href: reviewPath(ws, rs.kept)}
	case ambiguous && s.operator != nil && run.Context.RetriedBy == 0 && g.Can(access.ResolveAmbiguity):
		return &action{Label: t.T("console.action.resolve"), Href: "#resolve"}
	case run.Context.RetriedBy != 0:
		return &action{Label: t.T("console.action.open_retry"), Href: operationPath(ws, run.Context.RetriedBy)}
	case retry && neverPickedUp(run) && (run.Outcome == reckon.OutcomeFailed || run.Outcome == reckon.OutcomeCancelled) &&
		run.Type == reckon.RunTypeReviewCompose && run.EnvironmentID != 0:
		return &action{Label: t.T("console.action.compose_again"), Href: base + "/retry", Post: true, Noted: true}
	case retry && !ambiguous:
		return &action{Label: t.T("console.action.retry"), Href: base + "/retry", Post: true, Noted: true}
	case run.EnvironmentID != 0:
		return &action{Label: t.T("console.action.open_environment"), Href: environmentPath(ws, run.EnvironmentID)}
	}
	return nil
}

// reviewOfDecision is the review a run's decision names, 0 for none.
func reviewOfDecision(run *reckon.Run) int64 {
	if rec := run.Context.Reconciliation; rec != nil {
		return rec.Evidence.ReviewID
	}
	return 0
}

// fact is one line of the diagnostics.
type fact struct {
	Label string
	Text  string
	Code  string
	Time  *timeView
	Badge *badge
	Links []link
	Note  string // a word on the value, after it
}

type link struct {
	Text string
	Href string
}

// runDetail is the page of one run: decision first, diagnostics second, raw
// context last.
type runDetail struct {
	Title      string
	TypeLabel  string
	Status     badge
	Outcome    badge
	Reconciled bool
	Live       bool
	Decision   string
	Check      string
	Action     *action
	// Form holds the actions that take a note (run_actions.go); Resolved
	// says how an ambiguity was settled; Competitors is an ambiguity's
	// reviews (run_competitors.go) and Timeline what happened, oldest
	// first (run_timeline.go).
	Form        *actionForm
	Resolved    string
	Competitors *competitorsView
	Timeline    *timelineView
	Diagnostics []fact
	Attempts    []attemptView // run_attempts.go
	// FailedItems are a restore's failed items; FailedMore says how many
	// more failed than are listed.
	FailedItems []failedItem
	FailedMore  string
	RawContext  string
}

type failedItem struct {
	Key   string
	Error string
	Code  string
}

// linker makes the links of a run's diagnostics; on system pages runs link
// to the system page and nothing else links, since platform support holds
// no workspace grant.
type linker struct {
	run         func(id int64) string
	review      func(id int64) string
	environment func(id int64) string
}

func idText(id int64) string { return "#" + strconv.FormatInt(id, 10) }

func (l linker) links(ids []int64, href func(int64) string) []link {
	out := make([]link, len(ids))
	for i, id := range ids {
		out[i] = link{Text: idText(id)}
		if href != nil {
			out[i].Href = href(id)
		}
	}
	return out
}

// runDetail builds a run's page from the run and the rows its page names.
func (s *Server) runDetail(t tr, run *reckon.Run, rs *runSurroundings, l linker) *runDetail {
	env, initiator := rs.env, rs.initiator
	d := &runDetail{Title: runTitle(t, run.ID), TypeLabel: s.runTypeLabel(t, run.Type),
		Status: statusBadge(t, run.Status), Outcome: outcomeBadge(t, run.Outcome), Reconciled: reconciled(run),
		Live: run.Status.Active(), Decision: s.decisionSentence(t, run), Check: checkSentence(t, run)}
	// The stale-queue reason says so itself; every other reason of a run
	// no worker started gets it said first.
	if neverPickedUp(run) && reasonOf(run) != reckon.ReasonStaleQueued {
		d.Decision = t.T("console.decision.never_picked_up") + " " + d.Decision
	}
	add := func(f fact) { d.Diagnostics = append(d.Diagnostics, f) }

	add(fact{Label: t.T("console.diag.type"), Text: d.TypeLabel, Code: string(run.Type)})
	if env != nil {
		f := fact{Label: t.T("console.diag.environment")}
		f.Links = []link{{Text: env.Name}}
		if l.environment != nil {
			f.Links[0].Href = l.environment(env.ID)
		}
		add(f)
	}
	add(fact{Label: t.T("console.diag.status"), Badge: &d.Status})
	add(fact{Label: t.T("console.diag.outcome"), Badge: &d.Outcome})
	rec := run.Context.Reconciliation
	if rec != nil {
		add(fact{Label: t.T("console.diag.source"), Text: label(t, sourceKeys, rec.Source)})
		if rec.Adapter != "" {
			add(fact{Label: t.T("console.diag.adapter"), Code: rec.Adapter})
		}
	}
	if code := reasonOf(run); code != "" {
		add(fact{Label: t.T("console.diag.reason_code"), Code: code})
	}
	if rec != nil {
		ev := rec.Evidence
		if ev.ReviewID != 0 {
			f := fact{Label: t.T("console.diag.review"), Links: l.links([]int64{ev.ReviewID}, l.review)}
			// The status the reconciliation saw, which the review may have
			// left since: said as such.
			if ev.ReviewStatus != "" {
				b := reviewBadge(t, ev.ReviewStatus)
				f.Badge = &b
				f.Note = t.T("console.diag.review_status_then")
			}
			add(f)
		}
		if len(ev.ConsideredReviewIDs) > 0 {
			add(fact{Label: t.T("console.diag.considered_reviews"), Links: l.links(ev.ConsideredReviewIDs, l.review)})
		}
		if len(ev.RunIDs) > 0 {
			add(fact{Label: t.T("console.diag.runs"), Links: l.links(ev.RunIDs, l.run)})
		}
		if ev.RestoreRunID != 0 {
			add(fact{Label: t.T("console.diag.restore"), Text: idText(ev.RestoreRunID), Code: ev.RestoreStatus})
		}
		if it := ev.RestoreItems; it != nil {
			add(fact{Label: t.T("console.diag.items"), Text: t.T("console.diag.items_text",
				"total", it.Total, "succeeded", it.Succeeded, "failed", it.Failed)})
		}
		if ev.JobID != 0 {
			add(fact{Label: t.T("console.diag.job"), Text: idText(ev.JobID)})
		}
		if ev.ResolvedBy != "" {
			add(fact{Label: t.T("console.diag.resolved_by"), Text: actorName(t, ev.ResolvedBy, rs.names)})
		}
		if ev.DeadlineAt != nil {
			add(fact{Label: t.T("console.diag.missed_deadline"), Time: t.Time(*ev.DeadlineAt)})
		}
		add(fact{Label: t.T("console.diag.reconciled_at"), Time: t.Time(rec.ReconciledAt)})
	}
	if counts, ok := itemCounts(run.Summary); ok && (rec == nil || rec.Evidence.RestoreItems == nil) {
		add(fact{Label: t.T("console.diag.items"), Text: t.T("console.diag.items_text",
			"total", counts.Total, "succeeded", counts.Succeeded, "failed", counts.Failed)})
	}
	d.Diagnostics = append(d.Diagnostics, bulkFacts(t, run)...)
	if fp := run.Context.Fingerprint; fp != "" {
		add(fact{Label: t.T("console.diag.fingerprint"), Code: fp})
	}
	// The evidence, the draft's takeovers and the queue job are among the
	// timeline's records when there is one.
	timeline := rs.timeline != nil
	if id := run.Context.EvidenceSnapshotID; id != 0 && !timeline {
		add(fact{Label: t.T("console.diag.snapshot"), Text: idText(id)})
	}
	if ref := run.Context.BackupRef; ref != "" {
		add(fact{Label: t.T("console.diag.backup"), Code: ref})
	}
	if len(rs.takenOverBy) > 0 && !timeline {
		add(fact{Label: t.T("console.diag.taken_over_by"), Links: l.links(rs.takenOverBy, l.run)})
	}
	if len(rs.tookOverFrom) > 0 && !timeline {
		add(fact{Label: t.T("console.diag.took_over_from"), Links: l.links(rs.tookOverFrom, l.run)})
	}
	if run.Status.Active() {
		add(fact{Label: t.T("console.diag.deadline"), Time: t.Time(run.DeadlineAt)})
	}
	add(fact{Label: t.T("console.diag.created"), Time: t.Time(run.CreatedAt)})
	if run.StartedAt != nil {
		add(fact{Label: t.T("console.diag.started"), Time: t.Time(*run.StartedAt)})
	}
	if run.CompletedAt != nil {
		add(fact{Label: t.T("console.diag.completed"), Time: t.Time(*run.CompletedAt)})
	}
	add(fact{Label: t.T("console.diag.attempts"), Text: t.Num(int64(run.Attempts))})
	if run.JobID != 0 && !timeline {
		add(fact{Label: t.T("console.diag.queue_job"), Text: idText(run.JobID)})
	}
	who := initiator
	if who == "" {
		who = t.T("console.diag.system")
	}
	add(fact{Label: t.T("console.diag.initiator"), Text: who})

	for _, it := range rs.failedItems {
		fi := failedItem{Key: it.Key, Code: it.ErrorCode}
		if t.text.Has(t.lang, it.ErrorCode) {
			fi.Error = t.T(it.ErrorCode)
		}
		d.FailedItems = append(d.FailedItems, fi)
	}
	if counts, ok := itemCounts(run.Summary); ok && counts.Failed > len(rs.failedItems) && len(rs.failedItems) > 0 {
		d.FailedMore = t.T("console.operation.failed_items_more", "n", t.Num(int64(counts.Failed-len(rs.failedItems))))
	}

	raw, err := json.MarshalIndent(run.Context, "", "  ")
	if err == nil {
		d.RawContext = string(raw)
	}
	return d
}

// itemCounts reads the item counts a run summary holds, if it holds any.
func itemCounts(summary json.RawMessage) (reckon.ItemCounts, bool) {
	var s struct {
		Total     *int `json:"items_total"`
		Succeeded int  `json:"items_succeeded"`
		Failed    int  `json:"items_failed"`
	}
	if len(summary) == 0 || json.Unmarshal(summary, &s) != nil || s.Total == nil {
		return reckon.ItemCounts{}, false
	}
	return reckon.ItemCounts{Total: *s.Total, Succeeded: s.Succeeded, Failed: s.Failed}, true
}
