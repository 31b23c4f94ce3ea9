package console

import (
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
)

// tr translates for one request: its language, its time zone and its "now".
type tr struct {
	text locale.Catalog
	lang string
	zone *time.Location // nil for UTC
	now  time.Time
}

func (s *Server) tr(c *call) tr { return tr{text: s.text, lang: c.lang, zone: c.zone, now: s.clock()} }

// T translates a key with arguments given as alternating name, value pairs.
func (t tr) T(key string, args ...any) string {
	return t.text.Message(t.lang, reckon.Msg(key, args...))
}

// Msg translates a coded message.
func (t tr) Msg(m reckon.Message) string { return t.text.Message(t.lang, m) }

// Reason is the sentence of a reason code in the page's language; ok is
// false for "" and for a code without one.
func (t tr) Reason(code string) (string, bool) { return t.text.Reason(t.lang, code) }

// Num formats a whole number the way the language writes it.
func (t tr) Num(n int64) string { return locale.FormatInt(t.lang, n) }

// timeView is a time shown twice: relative ("3 minutes ago") for reading at
// a glance and absolute in the reader's time zone for the record, with UTC
// on hover and the machine-readable form.
type timeView struct {
	ISO string
	Abs string
	UTC string
	Rel string
}

// Time renders a time.
func (t tr) Time(at time.Time) *timeView {
	return &timeView{ISO: at.UTC().Format(time.RFC3339), Abs: t.Abs(at), UTC: locale.FormatTime(t.lang, at), Rel: t.relative(at)}
}

// Abs writes a time out in the reader's time zone, named by its
// abbreviation.
func (t tr) Abs(at time.Time) string { return locale.FormatTimeIn(t.lang, at, t.zone) }

// TimePtr renders an optional time; nil stays nil.
func (t tr) TimePtr(at *time.Time) *timeView {
	if at == nil {
		return nil
	}
	return t.Time(*at)
}

// relative says how far a time is from now, in the past or the future.
func (t tr) relative(at time.Time) string {
	d := t.now.Sub(at)
	future := d < 0
	if future {
		d = -d
	}
	var n int64
	var one, other string
	switch {
	case d < 45*time.Second:
		if future {
			return t.T("console.time.in_moments")
		}
		return t.T("console.time.just_now")
	case d < 90*time.Minute:
		n = int64((d + 30*time.Second) / time.Minute)
		one, other = "console.time.minutes_ago.one", "console.time.minutes_ago.other"
		if future {
			one, other = "console.time.in_minutes.one", "console.time.in_minutes.other"
		}
	case d < 36*time.Hour:
		n = int64((d + 30*time.Minute) / time.Hour)
		one, other = "console.time.hours_ago.one", "console.time.hours_ago.other"
		if future {
			one, other = "console.time.in_hours.one", "console.time.in_hours.other"
		}
	default:
		n = int64((d + 12*time.Hour) / (24 * time.Hour))
		one, other = "console.time.days_ago.one", "console.time.days_ago.other"
		if future {
			one, other = "console.time.in_days.one", "console.time.in_days.other"
		}
	}
	if n == 1 {
		return t.T(one)
	}
	return t.T(other, "n", n)
}

// Labels of the run lifecycle. Each key is written out so that the catalog
// test can see it is used.
var (
	statusKeys = map[reckon.RunStatus]string{
		reckon.RunQueued:    "console.status.queued",
		reckon.RunRunning:   "console.status.running",
		reckon.RunCompleted: "console.status.completed",
	}
	outcomeKeys = map[reckon.Outcome]string{
		reckon.OutcomePending:            "console.outcome.pending",
		reckon.OutcomeSucceeded:          "console.outcome.succeeded",
		reckon.OutcomePartiallySucceeded: "console.outcome.partially_succeeded",
		reckon.OutcomeBlocked:            "console.outcome.blocked",
		reckon.OutcomeFailed:             "console.outcome.failed",
		reckon.OutcomeCancelled:          "console.outcome.cancelled",
	}
	sourceKeys = map[reckon.ReconcileSource]string{
		reckon.SourceAdapter:    "console.source.adapter",
		reckon.SourceLifecycle:  "console.source.lifecycle",
		reckon.SourceComposeJob: "console.source.compose_job",
		reckon.SourceOperator:   "console.source.operator",
	}
	// Severities, finding and review statuses are named alike wherever
	// they are shown (locale/labels.go).
	severityKeys     = locale.SeverityKeys
	findingKeys      = locale.FindingKeys
	reviewStatusKeys = locale.ReviewStatusKeys
)

// label translates a value through its key table; an unknown value shows
// as it is, which the page scan catches.
func label[K ~string](t tr, keys map[K]string, v K) string {
	return locale.Label(t.text, t.lang, keys, v)
}

// badge is a status shown as a coloured word; Tone picks the colour.
type badge struct {
	Text string
	Tone string // "ok", "warn", "bad", "active", "muted"
}

// toned is a value shown as a badge: its label from keys, its colour from
// tones ("muted" for a value without one).
func toned[K ~string](t tr, keys, tones map[K]string, v K) badge {
	tone, ok := tones[v]
	if !ok {
		tone = "muted"
	}
	return badge{Text: label(t, keys, v), Tone: tone}
}

var (
	statusTones  = map[reckon.RunStatus]string{reckon.RunQueued: "active", reckon.RunRunning: "active"}
	outcomeTones = map[reckon.Outcome]string{
		reckon.OutcomeSucceeded: "ok", reckon.OutcomePartiallySucceeded: "warn", reckon.OutcomeBlocked: "warn",
		reckon.OutcomeFailed: "bad", reckon.OutcomePending: "active",
	}
	reviewTones = map[reckon.ReviewStatus]string{
		reckon.ReviewReady: "ok", reckon.ReviewPublished: "ok", reckon.ReviewDraft: "active", reckon.ReviewFailed: "bad",
	}
	severityTones = map[reckon.Severity]string{
		reckon.SeverityCritical: "bad", reckon.SeverityHigh: "bad", reckon.SeverityMedium: "warn",
	}
)

func statusBadge(t tr, s reckon.RunStatus) badge { return toned(t, statusKeys, statusTones, s) }
func outcomeBadge(t tr, o reckon.Outcome) badge  { return toned(t, outcomeKeys, outcomeTones, o) }
func reviewBadge(t tr, s reckon.ReviewStatus) badge {
	return toned(t, reviewStatusKeys, reviewTones, s)
}
func severityBadge(t tr, s reckon.Severity) badge { return toned(t, severityKeys, severityTones, s) }

// runTypeLabel is a run type's label in the language (web.RunTypeLabels).
func (s *Server) runTypeLabel(t tr, typ reckon.RunType) string { return s.labels.Label(typ, t.lang) }

func runTitle(t tr, id int64) string { return t.T("console.operation.title", "id", fmt.Sprint(id)) }
