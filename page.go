package reckon

// Page asks for one page of a newest-first list.
type Page struct {
	// Limit is the page size: DefaultPageLimit when 0, at most MaxPageLimit.
	Limit int
	// Cursor is the next cursor of the previous page; 0 for the first.
	Cursor int64
}

// Page sizes.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// Size is the number of items the page shows.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// CutPage trims a list read with one item more than the page's size: when
// that item exists, the list is cut to size and next is the id of the last
// item shown; else next is 0.
func CutPage[T any](items []T, size int, id func(T) int64) (page []T, next int64) {
	if len(items) <= size {
		return items, 0
	}
	items = items[:size]
	return items, id(items[size-1])
}
