package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

// exportPage is how many runs an export reads per transaction.
const exportPage = 500

// exportColumns are the CSV export's columns, in order.
var exportColumns = []string{"id", "workspace", "environment_id", "type", "status", "outcome", "reason_code",
	"started_by_user_id", "attempts", "created_at", "started_at", "completed_at", "fingerprint", "backup_ref",
	"retry_of", "retried_by"}

// eachRun calls begin once the first page is read, then fn for every run the
// filter matches, newest first. It reads keyset pages each in its own
// transaction, so that an export of any size holds no transaction open while
// it writes. started says whether begin ran: after it, the answer's status
// is sent and an error can only cut the body short.
func (s *Server) eachRun(r *http.Request, f store.RunFilter, begin func() error, fn func(*reckon.Run) error) (started bool, err error) {
	f.Limit, f.BeforeID = exportPage, 0
	for {
		var runs []*reckon.Run
		if err := s.db.InTx(r.Context(), func(tx *store.Tx) (err error) {
			runs, err = tx.ListRuns(r.Context(), &f)
			return err
		}); err != nil {
			return started, err
		}
		if !started {
			started = true
			if err := begin(); err != nil {
				return started, err
			}
		}
		for _, run := range runs {
			if err := fn(run); err != nil {
				return started, err
			}
		}
		if len(runs) < exportPage {
			return started, nil
		}
		f.BeforeID = runs[len(runs)-1].ID
	}
}

// exportRuns streams every run the filter matches as CSV, or as one JSON
// list page without a next cursor.
func (s *Server) exportRuns(w http.ResponseWriter, r *http.Request, c *call, f store.RunFilter, format string, slug func(*reckon.Run) string) error {
	var (
		started bool
		err     error
	)
	if format == "csv" {
		started, err = s.exportCSV(w, r, f, slug)
	} else {
		started, err = s.exportJSON(w, r, c, f, slug)
	}
	if err != nil && started {
		s.log.ErrorContext(r.Context(), "export cut short", "request_id", web.RequestID(r.Context()), "error", err)
		return nil
	}
	return err
}

func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, f store.RunFilter, slug func(*reckon.Run) string) (bool, error) {
	cw := csv.NewWriter(w)
	begin := func() error {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="operations.csv"`)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		return cw.Write(exportColumns)
	}
	id := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	started, err := s.eachRun(r, f, begin, func(run *reckon.Run) error {
		reason := ""
		if run.Failure != nil {
			reason = run.Failure.ReasonCode
		}
		return cw.Write([]string{id(run.ID), slug(run), id(run.EnvironmentID), string(run.Type), string(run.Status),
			string(run.Outcome), reason, id(run.InitiatorUserID), strconv.Itoa(run.Attempts), at(&run.CreatedAt),
			at(run.StartedAt), at(run.CompletedAt), web.CSVCell(run.Context.Fingerprint), web.CSVCell(run.Context.BackupRef),
			id(run.Context.RetryOf), id(run.Context.RetriedBy)})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return started, err
}

func (s *Server) exportJSON(w http.ResponseWriter, r *http.Request, c *call, f store.RunFilter, slug func(*reckon.Run) string) (bool, error) {
	begin := func() error {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, err := w.Write([]byte(`{"operations":[`))
		return err
	}
	var n int64
	started, err := s.eachRun(r, f, begin, func(run *reckon.Run) error {
		b, err := json.Marshal(s.runView(run, slug(run), c.lang))
		if err != nil {
			return err
		}
		if n > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return err
			}
		}
		n++
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return started, err
	}
	_, err = w.Write([]byte(`],"next_cursor":null,"count":` + strconv.FormatInt(n, 10) + `,"count_capped":false}` + "\n"))
	return started, err
}
