// Package fleet is the fleet view (docs/design.md §12): every environment
// of a workspace that a member sees, at a glance — its tenant, newest
// evidence, latest review with its score and whether it is stale, what
// needs attention, its last operation and the trend of its scores — with
// filters, sorting and keyset pages. The API and the console both list
// through Service.List.
//
// A list costs a fixed number of statements however many environments the
// workspace holds: the headline of every environment (store.FleetPlaces)
// and the attention counts (store.FleetAttention), by which the list is
// filtered, counted and sorted here — workspaces hold hundreds of
// environments, not millions — and then the page's environments in full,
// their last runs and score trends.
package fleet

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Service lists fleets.
type Service struct{ db *store.DB }

// NewService returns a fleet service.
func NewService(db *store.DB) *Service { return &Service{db: db} }

// TrendPoints is how many of an environment's newest composed reviews its
// score trend shows.
const TrendPoints = 12

// Query selects a page of a fleet.
type Query struct {
	// Scope is what the caller sees (a grant's workspace and entitlements).
	Scope store.FleetScope
	// Filters; all that are set must hold.
	Stale          bool // the latest review is stale
	NeverReviewed  bool // no review at all
	NeedsAttention bool // some run wants attention
	// FailingAbove keeps environments whose latest review has more than
	// this many failing controls; nil for no limit.
	FailingAbove *int
	Sort         Sort
	// Order is the sort's direction; "" for the sort's own (Sort.Order).
	Order Order
	// After continues a list after a position a page returned.
	After *Position
	// Limit is the page size (positive).
	Limit int
	// Now judges deadlines for the attention counts; the transaction's
	// time when zero.
	Now time.Time
}

// Environment is one environment of a fleet page.
type Environment struct {
	*store.FleetEnvironment
	Attention store.RunAttention
	// LastRun is the environment's newest run, nil for none.
	LastRun *reckon.Run
	// Trend is the score of its newest composed reviews, oldest first.
	Trend []store.ScorePoint
}

// Summary counts the whole scope, whatever the filters.
type Summary struct {
	Environments   int
	Stale          int
	NeverReviewed  int
	NeedsAttention int
}

// Page is one page of a fleet.
type Page struct {
	Environments []*Environment
	// Next continues the list; nil on the last page.
	Next *Position
	// Count is how many environments the filters match, every page.
	Count   int
	Summary Summary
}

// List returns one page of the fleet, in one transaction.
func (s *Service) List(ctx context.Context, q *Query) (*Page, error) {
	sort, order := Resolve(q.Sort, q.Order)
	if q.After != nil && (q.After.Sort != sort || q.After.Order != order) {
		return nil, ErrPosition
	}
	var page *Page
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		page = &Page{}
		now := q.Now
		if now.IsZero() {
			now = tx.Now()
		}
		places, err := tx.FleetPlaces(ctx, q.Scope, sort == SortEvidence)
		if err != nil {
			return err
		}
		attention, err := tx.FleetAttention(ctx, q.Scope, now)
		if err != nil {
			return err
		}
		var matched []Position
		for i := range places {
			p := &places[i]
			a := attention[p.ID]
			page.Summary.add(p, a)
			if q.matches(p, a) {
				matched = append(matched, position(p, a, sort, order))
			}
		}
		page.Count = len(matched)
		slices.SortFunc(matched, func(a, b Position) int { return compare(sort, order, a, b) })
		if q.After != nil {
			after := *q.After
			after.fold = strings.ToLower(after.Name)
			i, _ := slices.BinarySearchFunc(matched, after, func(m, p Position) int {
				if c := compare(sort, order, m, p); c != 0 {
					return c
				}
				return -1 // the position itself was shown: start after it
			})
			matched = matched[i:]
		}
		if len(matched) > q.Limit {
			matched = matched[:q.Limit]
			next := matched[len(matched)-1]
			page.Next = &next
		}
		return page.fill(ctx, tx, q.Scope, matched, attention)
	})
	return page, err
}

// fill reads the page's environments, in the order placed, with their
// last runs and score trends.
func (p *Page) fill(ctx context.Context, tx *store.Tx, scope store.FleetScope, placed []Position, attention map[int64]store.RunAttention) error {
	if len(placed) == 0 {
		return nil
	}
	ids := make([]int64, len(placed))
	for i, pos := range placed {
		ids[i] = pos.ID
	}
	envs, err := tx.FleetEnvironments(ctx, scope, ids)
	if err != nil {
		return err
	}
	runs, err := tx.LastRuns(ctx, scope.WorkspaceID, ids)
	if err != nil {
		return err
	}
	trends, err := tx.ScoreTrends(ctx, scope.WorkspaceID, ids, TrendPoints)
	if err != nil {
		return err
	}
	byID := make(map[int64]*store.FleetEnvironment, len(envs))
	for _, e := range envs {
		byID[e.Environment.ID] = e
	}
	for _, id := range ids {
		// Every environment placed is read again in the same
		// transaction; one deleted meanwhile (PostgreSQL's statements
		// each see what has committed) is left out.
		if e := byID[id]; e != nil {
			p.Environments = append(p.Environments, &Environment{FleetEnvironment: e, Attention: attention[id],
				LastRun: runs[id], Trend: trends[id]})
		}
	}
	return nil
}

func (s *Summary) add(p *store.FleetPlace, a store.RunAttention) {
	s.Environments++
	if p.Stale {
		s.Stale++
	}
	if !p.Reviewed {
		s.NeverReviewed++
	}
	if a.Total() > 0 {
		s.NeedsAttention++
	}
}

func (q *Query) matches(p *store.FleetPlace, a store.RunAttention) bool {
	switch {
	case q.Stale && !p.Stale:
		return false
	case q.NeverReviewed && p.Reviewed:
		return false
	case q.NeedsAttention && a.Total() == 0:
		return false
	case q.FailingAbove != nil && (p.Failing == nil || *p.Failing <= *q.FailingAbove):
		return false
	}
	return true
}

// Sort is what a fleet is ordered by.
type Sort string

// Sorts.
const (
	SortName      Sort = "name"      // the environment's name, A first
	SortScore     Sort = "score"     // the latest review's score, lowest first
	SortEvidence  Sort = "evidence"  // the newest evidence's capture time, newest first
	SortAttention Sort = "attention" // the runs that want attention, most first
)

// Sorts lists the sorts, for validation and forms.
var Sorts = []Sort{SortName, SortScore, SortEvidence, SortAttention}

// Valid reports whether s is a sort.
func (s Sort) Valid() bool { return slices.Contains(Sorts, s) }

// Resolve fills in what a query leaves open: the name sort, and the
// sort's own order.
func Resolve(s Sort, o Order) (Sort, Order) {
	if s == "" {
		s = SortName
	}
	if o == "" {
		o = s.Order()
	}
	return s, o
}

// Order is the direction a sort takes when none is asked for: what needs
// looking at first (lowest score, newest evidence, most attention), names
// A to Z.
func (s Sort) Order() Order {
	switch s {
	case SortEvidence, SortAttention:
		return Descending
	}
	return Ascending
}

// Order is a sort's direction.
type Order string

// Orders.
const (
	Ascending  Order = "asc"
	Descending Order = "desc"
)

// Valid reports whether o is an order.
func (o Order) Valid() bool { return o == Ascending || o == Descending }

// Position is where a page ended, in the order it was sorted by: the next
// page starts after it. Environments without the sort's value (no score,
// no evidence) come last in either direction.
type Position struct {
	Sort    Sort   `json:"s"`
	Order   Order  `json:"o"`
	Missing bool   `json:"m,omitempty"`
	Value   int64  `json:"v,omitempty"`
	Name    string `json:"n"`
	ID      int64  `json:"i"`
	fold    string // the name in lower case, for comparing
}

// ErrPosition: a position that is not one of a list in this sort and
// order (a token from another list, or made up).
var ErrPosition = errors.New("fleet: not a position of this list")

// tokenPrefix versions the token format.
const tokenPrefix = "f1:"

// Token encodes the position for a next-page link; callers treat it as
// opaque.
func (p Position) Token() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(append([]byte(tokenPrefix), b...))
}

// ParsePosition reads a token of a list sorted by s in order o (as Resolve
// gives them); ErrPosition for anything else.
func ParsePosition(token string, s Sort, o Order) (*Position, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !bytes.HasPrefix(b, []byte(tokenPrefix)) {
		return nil, ErrPosition
	}
	dec := json.NewDecoder(bytes.NewReader(b[len(tokenPrefix):]))
	dec.DisallowUnknownFields()
	var p Position
	if err := dec.Decode(&p); err != nil || dec.More() || p.Sort != s || p.Order != o || p.ID <= 0 ||
		!utf8.ValidString(p.Name) || (p.Missing && p.Value != 0) {
		return nil, ErrPosition
	}
	return &p, nil
}

// position places an environment in a list sorted by s in order o.
func position(e *store.FleetPlace, a store.RunAttention, s Sort, o Order) Position {
	p := Position{Sort: s, Order: o, Name: e.Name, ID: e.ID, fold: strings.ToLower(e.Name)}
	switch s {
	case SortScore:
		if e.Score == nil {
			p.Missing = true
		} else {
			p.Value = int64(*e.Score)
		}
	case SortEvidence:
		if e.CapturedAt == nil {
			p.Missing = true
		} else {
			p.Value = e.CapturedAt.UnixMicro()
		}
	case SortAttention:
		p.Value = a.Total()
	}
	return p
}

// compare orders two positions: by the sort's value in the order asked
// (missing values last), then by name and id — in the order asked when
// sorting by name, A to Z otherwise.
func compare(s Sort, o Order, a, b Position) int {
	flip := func(c int) int {
		if o == Descending {
			return -c
		}
		return c
	}
	if s != SortName {
		if a.Missing != b.Missing {
			if a.Missing {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(a.Value, b.Value); c != 0 {
			return flip(c)
		}
		flip = func(c int) int { return c }
	}
	if c := strings.Compare(a.fold, b.fold); c != 0 {
		return flip(c)
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return flip(c)
	}
	return flip(cmp.Compare(a.ID, b.ID))
}
