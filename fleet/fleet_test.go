package fleet

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// A position's token reads back only in its own sort and order; anything
// else is ErrPosition.
func TestPositionTokens(t *testing.T) {
	t.Parallel()
	p := Position{Sort: SortScore, Order: Ascending, Value: 71, Name: "Contoso — Prod", ID: 12}
	got, err := ParsePosition(p.Token(), SortScore, Ascending)
	if err != nil || *got != p { // the token holds no folded name
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, c := range []struct {
		token string
		s     Sort
		o     Order
	}{
		{p.Token(), SortScore, Descending}, {p.Token(), SortName, Ascending}, {"", SortName, Ascending}, {"not base64!", SortName, Ascending},
		{Position{Sort: SortName, Order: Ascending, Name: "a"}.Token(), SortName, Ascending},                        // no id
		{Position{Sort: SortScore, Order: Ascending, Missing: true, Value: 3, ID: 1}.Token(), SortScore, Ascending}, // missing with a value
	} {
		if _, err := ParsePosition(c.token, c.s, c.o); !errors.Is(err, ErrPosition) {
			t.Errorf("%q in %s %s: %v", c.token, c.s, c.o, err)
		}
	}
}

// Values sort in the order asked, missing ones last either way, ties by
// name A to Z and then id; a name sort reverses names and ids too.
func TestCompare(t *testing.T) {
	t.Parallel()
	ps := []Position{{Name: "b", ID: 1, Value: 5}, {Name: "a", ID: 2, Missing: true}, {Name: "c", ID: 3, Value: 9},
		{Name: "A", ID: 4, Value: 5}, {Name: "a", ID: 5, Value: 5}}
	for i := range ps {
		ps[i].fold = strings.ToLower(ps[i].Name)
	}
	order := func(s Sort, o Order) []int64 {
		list := slices.Clone(ps)
		slices.SortFunc(list, func(a, b Position) int { return compare(s, o, a, b) })
		ids := make([]int64, len(list))
		for i, p := range list {
			ids[i] = p.ID
		}
		return ids
	}
	for _, c := range []struct {
		s    Sort
		o    Order
		want []int64
	}{
		{SortScore, Ascending, []int64{4, 5, 1, 3, 2}},
		{SortScore, Descending, []int64{3, 4, 5, 1, 2}},
		{SortName, Ascending, []int64{4, 2, 5, 1, 3}},
		{SortName, Descending, []int64{3, 1, 5, 2, 4}},
	} {
		if got := order(c.s, c.o); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v, want %v", c.s, c.o, got, c.want)
		}
	}
}
