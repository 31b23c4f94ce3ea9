package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A member entitled to some environments pages through exactly their
// reviews, newest first, however the pages fall.
func TestReviewsListOfARestrictedMember(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		envA3 := w.fx.Environment(w.wsA)
		u := w.fx.User("x")
		w.fx.Member(w.wsA, u, reckon.RoleReadonly, w.envA1.ID, envA3.ID)
		token := w.token(t, u)

		ws := "/api/v1/workspaces/" + w.wsA.Slug
		w.startWorker(t)
		compose := func(envID int64, body string) int64 {
			env := fmt.Sprintf("%s/environments/%d", ws, envID)
			expect(t, w.post(t, w.owner, env+"/evidence-snapshots", body), http.StatusCreated)
			op := obj(w.post(t, w.owner, env+"/reviews", "").JSON["operation"])
			w.waitCompleted(t, w.owner, obj(op["links"])["self"].(string))
			return num(obj(w.post(t, w.owner, env+"/reviews", "").JSON["review"])["id"])
		}
		r1a := compose(w.envA1.ID, snapshotV1)
		r2 := compose(w.envA2.ID, snapshotV1)
		r3 := compose(envA3.ID, snapshotV1)
		r1b := compose(w.envA1.ID, snapshotV2)
		_ = r2

		var got []int64
		path := ws + "/reviews?limit=1"
		for page := 0; ; page++ {
			res := w.get(t, token, path)
			expect(t, res, http.StatusOK)
			for _, v := range res.JSON["reviews"].([]any) {
				got = append(got, num(obj(v)["id"]))
			}
			next := nextCursorOf(res)
			if next == "" || page > 10 {
				break
			}
			path = ws + "/reviews?limit=1&cursor=" + next
		}
		want := []int64{r1b, r3, r1a}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("restricted member's reviews %v, want %v", got, want)
		}
		res := w.get(t, token, ws+"/reviews?status=ready")
		if ids := res.JSON["reviews"].([]any); len(ids) != 2 {
			t.Fatalf("ready reviews: %s", res.Body)
		}
	})
}
