package queue

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reckonhq/reckon/store"
)

// outageRetry is how soon an attempt that met an unavailable database runs
// again.
const outageRetry = time.Second

// rideOutOutages turns an attempt that failed because the database was
// unavailable (store.ErrUnavailable: refused, restarting, cut off) into a
// snooze of outageRetry. A failed attempt would count as an error, and
// River's backoff grows with each one (1 s, 16 s, 81 s …): two failures
// during one restart of the database would put the next attempt past a
// short run's deadline. A snooze counts neither as an error nor as an
// attempt, so the job runs again soon after the database is back, however
// long the outage; the run's deadline still bounds it. It is the innermost
// middleware, so that the others see the snooze.
type rideOutOutages struct {
	river.MiddlewareDefaults
	log *slog.Logger
}

var _ rivertype.WorkerMiddleware = (*rideOutOutages)(nil)

func (m *rideOutOutages) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	err := doInner(ctx)
	var snooze *river.JobSnoozeError
	if err == nil || !store.IsUnavailable(err) || errors.As(err, &snooze) {
		return err
	}
	m.log.WarnContext(ctx, "job attempt met an unavailable database; it runs again shortly",
		"job_id", job.ID, "kind", job.Kind, "retry_in", outageRetry, "error", err)
	return river.JobSnooze(outageRetry)
}
