package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reckonhq/reckon/store"
)

// CancelTx cancels a job in the store transaction: a job that waits never
// runs, a running one is told to stop, a finished one stays as it is. A job
// the queue no longer holds (pruned) is nothing to cancel.
func (q *Queue) CancelTx(ctx context.Context, tx *store.Tx, jobID int64) error {
	err := q.onTx(tx, func(raw pgx.Tx) (err error) {
		_, err = q.pg.JobCancelTx(ctx, raw, jobID)
		return err
	}, func(raw *sql.Tx) (err error) {
		_, err = q.sq.JobCancelTx(ctx, raw, jobID)
		return err
	})
	if errors.Is(err, river.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue: cancel job %d: %w", jobID, err)
	}
	return nil
}

// DeleteTx removes a job that is not running from the queue in the store
// transaction, as the queue's own pruning of finished jobs would; a job the
// queue no longer holds is nothing to delete.
func (q *Queue) DeleteTx(ctx context.Context, tx *store.Tx, jobID int64) error {
	err := q.onTx(tx, func(raw pgx.Tx) (err error) {
		_, err = q.pg.JobDeleteTx(ctx, raw, jobID)
		return err
	}, func(raw *sql.Tx) (err error) {
		_, err = q.sq.JobDeleteTx(ctx, raw, jobID)
		return err
	})
	if errors.Is(err, river.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue: delete job %d: %w", jobID, err)
	}
	return nil
}

// Attempt is one attempt of a job as the queue recorded it, with its error
// reduced to a safe class: the job's error text may hold anything.
type Attempt struct {
	Attempt int
	// Node is the client that worked the attempt, when River recorded it.
	Node       string
	At         time.Time
	ErrorClass string // "timeout", "cancelled", "panic" or "error"
}

// Job is what the queue holds about a job.
type Job struct {
	ID          int64
	State       string
	Attempt     int
	MaxAttempts int
	CreatedAt   time.Time
	AttemptedAt *time.Time // when the latest attempt started
	// AttemptedBy are the clients that worked the attempts, first first.
	AttemptedBy []string
	FinalizedAt *time.Time
	// Errors are the failed attempts, oldest first.
	Errors []Attempt
}

// JobTx reads a job in the store transaction; store.ErrNotFound when the
// queue no longer holds it.
func (q *Queue) JobTx(ctx context.Context, tx *store.Tx, jobID int64) (*Job, error) {
	var row *rivertype.JobRow
	err := q.onTx(tx, func(raw pgx.Tx) (err error) {
		row, err = q.pg.JobGetTx(ctx, raw, jobID)
		return err
	}, func(raw *sql.Tx) (err error) {
		row, err = q.sq.JobGetTx(ctx, raw, jobID)
		return err
	})
	if errors.Is(err, river.ErrNotFound) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("queue: read job %d: %w", jobID, err)
	}
	j := &Job{ID: row.ID, State: string(row.State), Attempt: row.Attempt, MaxAttempts: row.MaxAttempts,
		CreatedAt: row.CreatedAt, AttemptedAt: row.AttemptedAt, AttemptedBy: row.AttemptedBy, FinalizedAt: row.FinalizedAt}
	for _, e := range row.Errors {
		a := Attempt{Attempt: e.Attempt, At: e.At, ErrorClass: errorClass(e)}
		if i := e.Attempt - 1; i >= 0 && i < len(row.AttemptedBy) {
			a.Node = row.AttemptedBy[i]
		}
		j.Errors = append(j.Errors, a)
	}
	return j, nil
}

// errorClass sorts an attempt error without showing its text.
func errorClass(e rivertype.AttemptError) string {
	switch {
	case e.Trace != "":
		return "panic"
	case strings.Contains(e.Error, context.DeadlineExceeded.Error()):
		return "timeout"
	case strings.Contains(e.Error, context.Canceled.Error()):
		return "cancelled"
	}
	return "error"
}

// onTx runs the call of the store transaction's engine.
func (q *Queue) onTx(tx *store.Tx, pg func(pgx.Tx) error, sq func(*sql.Tx) error) error {
	switch raw := tx.Raw().(type) {
	case pgx.Tx:
		return pg(raw)
	case *sql.Tx:
		return sq(raw)
	}
	return errors.New("unknown transaction type")
}
