// Package fleet is the fleet view (docs/design.md §12): every environment
// of a workspace that a member sees, at a glance — its tenant, newest
// evidence, latest review with its score and whether it is stale, what
// needs attention, its last operation and the trend of its scores — with
// filters, sorting and keyset pages. The API and the console both list
// through Service.List.
//
// A list costs a fixed number of statements however many environments the
// workspace holds (store.FleetEnvironments, store.FleetAttention, then the
// page's last runs and score trends); filtering and sorting happen here,
// over the rows of the workspace, which number in the hundreds.
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
		rows, err := tx.FleetEnvironments(ctx, q.Scope)
		if err != nil {
			return err
		}
		attention, err := tx.FleetAttention(ctx, q.Scope, now)
		if err != nil {
			return err
		}
		// Each environment's place in the order, worked out once.
		type placed struct {
			e   *Environment
			pos Position
		}
		var matched []placed
		for _, row := range rows {
			e := &Environment{FleetEnvironment: row, Attention: attention[row.Environment.ID]}
			page.Summary.add(e)
			if q.matches(e) {
				matched = append(matched, placed{e, e.position(sort, order)})
			}
		}
		page.Count = len(matched)
		slices.SortFunc(matched, func(a, b placed) int { return compare(sort, order, a.pos, b.pos) })
		if q.After != nil {
			after := *q.After
			after.fold = strings.ToLower(after.Name)
			i, _ := slices.BinarySearchFunc(matched, after, func(m placed, p Position) int {
				if c := compare(sort, order, m.pos, p); c != 0 {
					return c
				}
				return -1 // the position itself was shown: start after it
			})
			matched = matched[i:]
		}
		if len(matched) > q.Limit {
			matched = matched[:q.Limit]
			next := matched[len(matched)-1].pos
			page.Next = &next
		}
		for _, m := range matched {
			page.Environments = append(page.Environments, m.e)
		}
		return page.fill(ctx, tx, q.Scope.WorkspaceID)
	})
	return page, err
}

// fill reads the last runs and score trends of the page's environments.
func (p *Page) fill(ctx context.Context, tx *store.Tx, workspaceID int64) error {
	ids := make([]int64, len(p.Environments))
	for i, e := range p.Environments {
		ids[i] = e.Environment.ID
	}
	if len(ids) == 0 {
		return nil
	}
	runs, err := tx.LastRuns(ctx, workspaceID, ids)
	if err != nil {
		return err
	}
	trends, err := tx.ScoreTrends(ctx, workspaceID, ids, TrendPoints)
	if err != nil {
		return err
	}
	for _, e := range p.Environments {
		e.LastRun, e.Trend = runs[e.Environment.ID], trends[e.Environment.ID]
	}
	return nil
}

func (s *Summary) add(e *Environment) {
	s.Environments++
	if e.Stale() {
		s.Stale++
	}
	if e.Review == nil {
		s.NeverReviewed++
	}
	if e.Attention.Total() > 0 {
		s.NeedsAttention++
	}
}

func (q *Query) matches(e *Environment) bool {
	switch {
	case q.Stale && !e.Stale():
		return false
	case q.NeverReviewed && e.Review != nil:
		return false
	case q.NeedsAttention && e.Attention.Total() == 0:
		return false
	case q.FailingAbove != nil && (e.Review == nil || e.Review.Failing == nil || *e.Review.Failing <= *q.FailingAbove):
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

func (e *Environment) position(s Sort, o Order) Position {
	p := Position{Sort: s, Order: o, Name: e.Environment.Name, ID: e.Environment.ID, fold: strings.ToLower(e.Environment.Name)}
	switch s {
	case SortScore:
		if e.Review == nil || e.Review.Score == nil {
			p.Missing = true
		} else {
			p.Value = int64(*e.Review.Score)
		}
	case SortEvidence:
		if e.Evidence == nil {
			p.Missing = true
		} else {
			p.Value = e.Evidence.CapturedAt.UnixMicro()
		}
	case SortAttention:
		p.Value = e.Attention.Total()
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
