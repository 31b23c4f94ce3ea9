package review

// ProductGroup is the controls of a list that an assessment tool files under
// one product.
type ProductGroup struct {
	Product  string // "" for the controls without one
	Controls []ControlSummary
}

// ByProduct groups a list of controls by product, in the order the list
// first names each product (a review's lists are most severe first), each
// group in the list's order; the controls without a product come last.
func ByProduct(list []ControlSummary) []ProductGroup {
	var groups []ProductGroup
	index := map[string]int{}
	var other []ControlSummary
	for _, c := range list {
		if c.Product == "" {
			other = append(other, c)
			continue
		}
		i, ok := index[c.Product]
		if !ok {
			i = len(groups)
			index[c.Product] = i
			groups = append(groups, ProductGroup{Product: c.Product})
		}
		groups[i].Controls = append(groups[i].Controls, c)
	}
	if len(other) > 0 {
		groups = append(groups, ProductGroup{Controls: other})
	}
	return groups
}
