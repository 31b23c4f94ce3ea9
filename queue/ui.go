package queue

import (
	"log/slog"

	"riverqueue.com/riverui"
)

// UI returns River UI's handler for this queue's jobs, serving under
// prefix. Start it (Handler.Start) before it serves.
func (q *Queue) UI(prefix string, logger *slog.Logger) (*riverui.Handler, error) {
	opts := &riverui.HandlerOpts{Logger: logger, Prefix: prefix, JobListHideArgsByDefault: true}
	if q.pg != nil {
		opts.Endpoints = riverui.NewEndpoints(q.pg, nil)
	} else {
		opts.Endpoints = riverui.NewEndpoints(q.sq, nil)
	}
	return riverui.NewHandler(opts)
}
