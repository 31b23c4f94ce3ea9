package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reckonhq/reckon"
)

const runColumns = `id, workspace_id, environment_id, type, identity_hash, status, outcome,
	initiator_user_id, context, summary, failure, job_id, attempts, deadline_at,
	created_at, started_at, completed_at, updated_at`

func scanRun(r scanner) (*reckon.Run, error) {
	var (
		run                    reckon.Run
		ctxJSON, failJSON, sum []byte
	)
	err := r.Scan(&run.ID, &run.WorkspaceID, scanNullID(&run.EnvironmentID), &run.Type, &run.IdentityHash,
		&run.Status, &run.Outcome, scanNullID(&run.InitiatorUserID), scanJSON(&ctxJSON), scanJSON(&sum),
		scanJSON(&failJSON), scanNullID(&run.JobID), &run.Attempts, scanTime(&run.DeadlineAt),
		scanTime(&run.CreatedAt), scanNullTime(&run.StartedAt), scanNullTime(&run.CompletedAt), scanTime(&run.UpdatedAt))
	if err != nil {
		return nil, interpret(err)
	}
	if len(ctxJSON) > 0 {
		if err := json.Unmarshal(ctxJSON, &run.Context); err != nil {
			return nil, fmt.Errorf("store: run %d context: %w", run.ID, err)
		}
	}
	if len(sum) > 0 && string(sum) != "null" {
		run.Summary = sum
	}
	if len(failJSON) > 0 && string(failJSON) != "null" {
		run.Failure = &reckon.Failure{}
		if err := json.Unmarshal(failJSON, run.Failure); err != nil {
			return nil, fmt.Errorf("store: run %d failure: %w", run.ID, err)
		}
	}
	return &run, nil
}

func scanRuns(r rows) (*reckon.Run, error) { return scanRun(r) }

// RunInsert is a new queued run.
type RunInsert struct {
	Scope           reckon.Scope
	Type            reckon.RunType
	IdentityHash    string
	InitiatorUserID int64
	Context         reckon.RunContext
	DeadlineAt      time.Time
}

// InsertRunIfAbsent inserts a queued run unless an active run with the same
// identity exists, and returns the active run either way. The partial unique
// index decides the race. A run's environment must belong to its workspace —
// the foreign key alone would accept any workspace's — else ErrNotFound. The
// check rides on the insert so that a new run costs one statement.
//
// On PostgreSQL an existing active run costs one statement too: DO UPDATE
// locks and returns the winner, and xmax (the locking transaction, 0 for a
// fresh tuple) tells which it was. If the winner completes meanwhile,
// PostgreSQL retries the insert itself.
func (tx *Tx) InsertRunIfAbsent(ctx context.Context, p *RunInsert) (*reckon.Run, bool, error) {
	runCtx, err := marshal(p.Context)
	if err != nil {
		return nil, false, err
	}
	q := `
INSERT INTO operation_runs (workspace_id, environment_id, type, identity_hash, status, outcome,
	initiator_user_id, context, attempts, deadline_at, created_at, updated_at)
SELECT $1, $2, $3, $4, 'queued', 'pending', $5, $6, 0, $7, $8, $8
WHERE CAST($2 AS BIGINT) IS NULL
	OR EXISTS (SELECT 1 FROM managed_environments e WHERE e.id = $2 AND e.workspace_id = $1)
ON CONFLICT (workspace_id, type, identity_hash) WHERE status IN ('queued', 'running') `
	if tx.engine == Postgres {
		q += `DO UPDATE SET updated_at = operation_runs.updated_at
RETURNING ` + runColumns + `, xmax = 0`
	} else {
		// SQLite has no xmax: DO NOTHING returns no row on conflict, and the
		// winner is read in a second statement. Its transactions hold the
		// write lock, so the winner cannot change in between.
		q += `DO NOTHING RETURNING ` + runColumns + `, 1`
	}
	args := []any{p.Scope.WorkspaceID, nullable(p.Scope.EnvironmentID), string(p.Type), p.IdentityHash,
		nullable(p.InitiatorUserID), runCtx, p.DeadlineAt, tx.now}
	run, created, err := scanRunCreated(tx.queryRow(ctx, q, args...))
	if err == nil {
		return run, created, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, fmt.Errorf("store: insert run: %w", err)
	}
	// Nothing inserted: the identity is taken (SQLite), or the scope is wrong.
	if tx.engine == SQLite {
		run, err = tx.ActiveRunByIdentity(ctx, p.Scope.WorkspaceID, p.Type, p.IdentityHash)
		if err == nil {
			return run, false, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
	}
	if p.Scope.EnvironmentID != 0 {
		if _, err := tx.Environment(ctx, p.Scope.WorkspaceID, p.Scope.EnvironmentID); err != nil {
			return nil, false, fmt.Errorf("store: insert run: environment %d of workspace %d: %w",
				p.Scope.EnvironmentID, p.Scope.WorkspaceID, err)
		}
	}
	return nil, false, errors.New("store: insert run: neither inserted nor found")
}

// scanRunCreated scans a run followed by whether the statement created it.
func scanRunCreated(r scanner) (*reckon.Run, bool, error) {
	var created bool
	run, err := scanRun(scanTail{r, &created})
	return run, created, err
}

// scanTail appends destinations after a run's columns.
type scanTail struct {
	r    scanner
	tail any
}

func (s scanTail) Scan(dest ...any) error { return s.r.Scan(append(dest, s.tail)...) }

// InsertRunsIfAbsent is InsertRunIfAbsent for many runs: runs[i] and
// created[i] answer ps[i], and inserts with one identity share one run,
// created for the first only. On PostgreSQL all of them are one statement;
// on SQLite one, and one more to read the runs that were already active.
func (tx *Tx) InsertRunsIfAbsent(ctx context.Context, ps []*RunInsert) (runs []*reckon.Run, created []bool, err error) {
	runs, created = make([]*reckon.Run, len(ps)), make([]bool, len(ps))
	first := map[runKey]int{} // the index that carries each identity
	var unique []*RunInsert
	for i, p := range ps {
		if _, ok := first[keyOf(p)]; !ok {
			first[keyOf(p)] = i
			unique = append(unique, p)
		}
	}
	if len(unique) == 1 {
		runs[0], created[0], err = tx.InsertRunIfAbsent(ctx, unique[0])
		if err != nil {
			return nil, nil, err
		}
	} else {
		var got []runAnswer
		if tx.engine == Postgres {
			got, err = tx.insertRunsPostgres(ctx, unique)
		} else {
			got, err = tx.insertRunsSQLite(ctx, unique)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("store: insert runs: %w", err)
		}
		for _, a := range got {
			i := first[runKey{a.run.WorkspaceID, a.run.Type, a.run.IdentityHash}]
			runs[i], created[i] = a.run, a.created
		}
		for _, p := range unique {
			if runs[first[keyOf(p)]] == nil {
				return nil, nil, fmt.Errorf("store: insert runs: environment %d of workspace %d: %w",
					p.Scope.EnvironmentID, p.Scope.WorkspaceID, ErrNotFound)
			}
		}
	}
	for i, p := range ps {
		if j := first[keyOf(p)]; j != i {
			runs[i] = runs[j]
		}
	}
	return runs, created, nil
}

// runKey is what the active-identity index keys on.
type runKey struct {
	workspaceID int64
	typ         reckon.RunType
	identity    string
}

func keyOf(p *RunInsert) runKey { return runKey{p.Scope.WorkspaceID, p.Type, p.IdentityHash} }

type runAnswer struct {
	run     *reckon.Run
	created bool
}

func collectAnswers(r rows) ([]runAnswer, error) {
	return collect(r, func(r rows) (runAnswer, error) {
		run, created, err := scanRunCreated(r)
		return runAnswer{run, created}, err
	})
}

// insertRunsPostgres inserts distinct identities as arrays, returning every
// run, new or already active. Rows are locked in input order; RETURNING
// order is unspecified, so the caller matches results by identity.
func (tx *Tx) insertRunsPostgres(ctx context.Context, ps []*RunInsert) ([]runAnswer, error) {
	var (
		workspaces, environments, initiators []int64
		typeNames, identities, contexts      []string
		deadlines                            []time.Time
	)
	for _, p := range ps {
		c, err := marshal(p.Context)
		if err != nil {
			return nil, err
		}
		workspaces, environments, initiators = append(workspaces, p.Scope.WorkspaceID),
			append(environments, p.Scope.EnvironmentID), append(initiators, p.InitiatorUserID)
		typeNames, identities, contexts = append(typeNames, string(p.Type)), append(identities, p.IdentityHash), append(contexts, c)
		deadlines = append(deadlines, p.DeadlineAt)
	}
	r, err := tx.query(ctx, `
INSERT INTO operation_runs (workspace_id, environment_id, type, identity_hash, status, outcome,
	initiator_user_id, context, attempts, deadline_at, created_at, updated_at)
SELECT i.workspace_id, NULLIF(i.environment_id, 0), i.type, i.identity_hash, 'queued', 'pending',
	NULLIF(i.initiator_user_id, 0), CAST(i.context AS JSONB), 0, i.deadline_at, $8, $8
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::timestamptz[])
	WITH ORDINALITY AS i(workspace_id, environment_id, type, identity_hash, initiator_user_id, context, deadline_at, n)
WHERE i.environment_id = 0
	OR EXISTS (SELECT 1 FROM managed_environments e WHERE e.id = i.environment_id AND e.workspace_id = i.workspace_id)
ORDER BY i.n
ON CONFLICT (workspace_id, type, identity_hash) WHERE status IN ('queued', 'running')
DO UPDATE SET updated_at = operation_runs.updated_at
RETURNING `+runColumns+`, xmax = 0`,
		workspaces, environments, typeNames, identities, initiators, contexts, deadlines, tx.now)
	if err != nil {
		return nil, err
	}
	return collectAnswers(r)
}

// sqliteRunInsert is a run to insert as a JSON element for json_each.
type sqliteRunInsert struct {
	WorkspaceID     int64  `json:"w"`
	EnvironmentID   int64  `json:"e"`
	Type            string `json:"t"`
	IdentityHash    string `json:"h"`
	InitiatorUserID int64  `json:"u"`
	Context         string `json:"c"`
	DeadlineAt      string `json:"d"`
}

// insertRunsSQLite inserts distinct identities from a JSON array. Without
// xmax, DO NOTHING skips the taken identities, and a second statement reads
// their active runs; the transaction's write lock keeps them in place.
func (tx *Tx) insertRunsSQLite(ctx context.Context, ps []*RunInsert) ([]runAnswer, error) {
	items := make([]sqliteRunInsert, len(ps))
	for i, p := range ps {
		c, err := marshal(p.Context)
		if err != nil {
			return nil, err
		}
		items[i] = sqliteRunInsert{WorkspaceID: p.Scope.WorkspaceID, EnvironmentID: p.Scope.EnvironmentID, Type: string(p.Type),
			IdentityHash: p.IdentityHash, InitiatorUserID: p.InitiatorUserID, Context: c, DeadlineAt: formatTime(p.DeadlineAt)}
	}
	doc, err := marshal(items)
	if err != nil {
		return nil, err
	}
	r, err := tx.query(ctx, `
INSERT INTO operation_runs (workspace_id, environment_id, type, identity_hash, status, outcome,
	initiator_user_id, context, attempts, deadline_at, created_at, updated_at)
SELECT i.value ->> 'w', NULLIF(i.value ->> 'e', 0), i.value ->> 't', i.value ->> 'h', 'queued', 'pending',
	NULLIF(i.value ->> 'u', 0), i.value ->> 'c', 0, i.value ->> 'd', $2, $2
FROM json_each($1) AS i
WHERE i.value ->> 'e' = 0
	OR EXISTS (SELECT 1 FROM managed_environments e WHERE e.id = i.value ->> 'e' AND e.workspace_id = i.value ->> 'w')
ORDER BY i.key
ON CONFLICT (workspace_id, type, identity_hash) WHERE status IN ('queued', 'running') DO NOTHING
RETURNING `+runColumns+`, 1`, doc, tx.now)
	if err != nil {
		return nil, err
	}
	got, err := collectAnswers(r)
	if err != nil || len(got) == len(ps) {
		return got, err
	}
	inserted := make(map[runKey]bool, len(got))
	for _, a := range got {
		inserted[runKey{a.run.WorkspaceID, a.run.Type, a.run.IdentityHash}] = true
	}
	var skipped []sqliteRunInsert
	for i, p := range ps {
		if !inserted[keyOf(p)] {
			skipped = append(skipped, items[i])
		}
	}
	if doc, err = marshal(skipped); err != nil {
		return nil, err
	}
	r, err = tx.query(ctx, `SELECT `+runColumns+`, 0 FROM operation_runs
WHERE status IN ('queued', 'running') AND (workspace_id, type, identity_hash) IN
	(SELECT i.value ->> 'w', i.value ->> 't', i.value ->> 'h' FROM json_each($1) AS i)`, doc)
	if err != nil {
		return nil, err
	}
	taken, err := collectAnswers(r)
	return append(got, taken...), err
}

// ActiveRunByIdentity returns the queued or running run with an identity.
func (tx *Tx) ActiveRunByIdentity(ctx context.Context, workspaceID int64, typ reckon.RunType, identity string) (*reckon.Run, error) {
	return scanRun(tx.queryRow(ctx, `SELECT `+runColumns+` FROM operation_runs
WHERE workspace_id = $1 AND type = $2 AND identity_hash = $3 AND status IN ('queued', 'running')`,
		workspaceID, string(typ), identity))
}

// Run returns a run of a workspace; ErrNotFound for a run of another workspace.
func (tx *Tx) Run(ctx context.Context, workspaceID, id int64) (*reckon.Run, error) {
	return scanRun(tx.queryRow(ctx, `SELECT `+runColumns+` FROM operation_runs WHERE workspace_id = $1 AND id = $2`,
		workspaceID, id))
}

// LockRun returns a run by id and locks its row until the transaction ends.
// SQLite transactions already hold the database's write lock.
func (tx *Tx) LockRun(ctx context.Context, id int64) (*reckon.Run, error) {
	q := `SELECT ` + runColumns + ` FROM operation_runs WHERE id = $1`
	if tx.engine == Postgres {
		q += ` FOR UPDATE`
	}
	return scanRun(tx.queryRow(ctx, q, id))
}

// UpdateRun writes a run's lifecycle fields. Only the ledger calls it.
func (tx *Tx) UpdateRun(ctx context.Context, run *reckon.Run) error {
	runCtx, err := marshal(run.Context)
	if err != nil {
		return err
	}
	var failure any
	if run.Failure != nil {
		s, err := marshal(run.Failure)
		if err != nil {
			return err
		}
		failure = s
	}
	run.UpdatedAt = tx.now
	n, err := tx.exec(ctx, `UPDATE operation_runs SET status = $2, outcome = $3, context = $4, summary = $5,
	failure = $6, job_id = $7, attempts = $8, deadline_at = $9, started_at = $10, completed_at = $11, updated_at = $12
WHERE id = $1`,
		run.ID, string(run.Status), string(run.Outcome), runCtx, jsonArg(run.Summary), failure,
		nullable(run.JobID), run.Attempts, run.DeadlineAt, run.StartedAt, run.CompletedAt, run.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: update run %d: %w", run.ID, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetRunJobs records the queue jobs that execute runs: jobIDs[i] executes
// runIDs[i], in one statement on either engine. Nothing waits for its
// answer: on PostgreSQL it travels with the transaction's next statement or
// its COMMIT, and a failure of it fails that.
func (tx *Tx) SetRunJobs(ctx context.Context, runIDs, jobIDs []int64) error {
	if len(runIDs) == 0 {
		return nil
	}
	q, args := `UPDATE operation_runs SET job_id = $2 WHERE id = $1`, []any{runIDs[0], jobIDs[0]}
	switch {
	case len(runIDs) == 1:
	case tx.engine == Postgres:
		q, args = `UPDATE operation_runs SET job_id = j.job_id
FROM unnest($1::bigint[], $2::bigint[]) AS j(run_id, job_id) WHERE operation_runs.id = j.run_id`, []any{runIDs, jobIDs}
	default:
		pairs := make([][2]int64, len(runIDs))
		for i := range runIDs {
			pairs[i] = [2]int64{runIDs[i], jobIDs[i]}
		}
		doc, err := marshal(pairs)
		if err != nil {
			return err
		}
		q, args = `UPDATE operation_runs SET job_id = j.value ->> 1
FROM json_each($1) AS j WHERE operation_runs.id = j.value ->> 0`, []any{doc}
	}
	if err := tx.execLater(ctx, q, args...); err != nil {
		return fmt.Errorf("store: set run jobs: %w", err)
	}
	return nil
}

// StartRun moves an active run to running, counts the attempt and records
// it in run_attempts on node nodeID (0 for none). A queued run's running
// deadline is the one deadlines holds for its type; a running run (a
// redelivered job) keeps its start and deadline. ErrNotFound when the run
// is completed, missing, or queued with a type deadlines does not name —
// the caller reads the run to tell which.
//
// On PostgreSQL it is one statement, a data-modifying CTE, so that a start
// is one round trip. SQLite has no UPDATE inside a CTE: the attempt is a
// second statement, on the row the first returned.
func (tx *Tx) StartRun(ctx context.Context, id int64, deadlines map[reckon.RunType]time.Time, nodeID int64) (*reckon.Run, error) {
	byType := make(map[reckon.RunType]string, len(deadlines))
	for typ, at := range deadlines {
		byType[typ] = formatTime(at)
	}
	doc, err := marshal(byType)
	if err != nil {
		return nil, err
	}
	// The deadline is looked up by the row's type inside the statement, so
	// that the run need not be read first.
	deadline := `(CAST($3 AS JSONB) ->> type)::timestamptz`
	known := `CAST($3 AS JSONB) ? type`
	if tx.engine == SQLite {
		deadline = `(SELECT value FROM json_each($3) WHERE key = operation_runs.type)`
		known = `EXISTS (SELECT 1 FROM json_each($3) WHERE key = operation_runs.type)`
	}
	start := `UPDATE operation_runs SET status = 'running',
	started_at = CASE WHEN status = 'queued' THEN $2 ELSE started_at END,
	deadline_at = CASE WHEN status = 'queued' THEN ` + deadline + ` ELSE deadline_at END,
	attempts = attempts + 1, updated_at = $2
WHERE id = $1 AND (status = 'running' OR (status = 'queued' AND ` + known + `))
RETURNING ` + runColumns
	if tx.engine == Postgres {
		return scanRun(tx.queryRow(ctx, `WITH r AS (`+start+`
), attempt AS (
INSERT INTO run_attempts (run_id, attempt, node_id, started_at)
SELECT id, attempts, CAST($4 AS BIGINT), $2 FROM r
ON CONFLICT (run_id, attempt) DO NOTHING
)
SELECT `+runColumns+` FROM r`, id, tx.now, doc, nullable(nodeID)))
	}
	run, err := scanRun(tx.queryRow(ctx, start, id, tx.now, doc))
	if err != nil {
		return nil, err
	}
	if err := tx.StartRunAttempt(ctx, run.ID, run.Attempts, nodeID); err != nil {
		return nil, err
	}
	return run, nil
}

// RunCompletion is a terminal write of a run together with its audit event
// and, when the run has an initiator, their notification.
type RunCompletion struct {
	ID      int64
	Outcome reckon.Outcome
	// Summary and Failure replace the run's when set.
	Summary json.RawMessage
	Failure *reckon.Failure
	// Reconciliation, when set, becomes context.reconciliation. Its
	// evidence gets the run's workspace and environment, which must match
	// any the evidence names already: a run is settled only from evidence
	// of its own scope.
	Reconciliation *reckon.Reconciliation
	// Audit is the event's actor and action; its metadata gains the run's
	// type and, with a reconciliation, the same scoped evidence.
	Audit AuditEvent
	// NotificationKind and NotificationPayload make the initiator's
	// notification; the payload gains run_id, type and environment_id.
	NotificationKind    string
	NotificationPayload json.RawMessage
}

// CompleteRuns completes active runs and records each one's audit event and
// notification with it; runs[i] answers cs[i], nil when no active run with
// that id matches the evidence's scope (the caller reads the run to tell
// why). The ids must differ.
//
// alongside, when set, runs in the transaction after the completions are
// written or queued and before their answer is read: on PostgreSQL the
// first statement it sends carries them, so that the queue jobs that end
// with the runs cost no round trip of their own. Its error is returned
// after the completions' own.
//
// On PostgreSQL every write of every run is one data-modifying CTE over the
// completions as arrays: one statement a batch. SQLite has no UPDATE inside
// a CTE, so each run is its update and, on the row just written, its event
// and notification.
func (tx *Tx) CompleteRuns(ctx context.Context, cs []*RunCompletion, alongside func() error) ([]*reckon.Run, error) {
	args := make([]completionArgs, len(cs))
	for i, c := range cs {
		if err := args[i].set(c); err != nil {
			return nil, err
		}
	}
	runs := make([]*reckon.Run, len(cs))
	if tx.engine == SQLite || len(cs) == 0 { // no completion: nothing to send on PostgreSQL either
		for i, a := range args {
			run, err := scanRun(tx.queryRow(ctx, completeRunSQLite, a.id, a.outcome, tx.now, nullableString(a.summary),
				nullableString(a.failure), nullableString(a.rec), nullableString(a.ev), a.evWorkspace, a.evEnvironment))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("store: complete run %d: %w", a.id, err)
			}
			if _, err := tx.exec(ctx, completeRunAuditSQLite, a.id, tx.now, nullableString(a.ev), a.actor, a.action, a.meta); err != nil {
				return nil, fmt.Errorf("store: insert audit event: %w", err)
			}
			if a.kind != "" && run.InitiatorUserID != 0 {
				if _, err := tx.exec(ctx, completeRunNotificationSQLite, a.id, tx.now, a.kind, a.payload); err != nil {
					return nil, fmt.Errorf("store: insert notification: %w", err)
				}
			}
			runs[i] = run
		}
		if alongside != nil {
			if err := alongside(); err != nil {
				return nil, err
			}
		}
		return runs, nil
	}
	q, qargs := completeRunPostgres, args[0].row(tx.now)
	if len(args) > 1 {
		q, qargs = completeRunsPostgres, completionArrays(tx.now, args)
	}
	var done []*reckon.Run
	completion := tx.pg.later(q, qargs, func(r pgx.Rows) (err error) {
		done, err = collect(r, scanRuns)
		return err
	})
	var alongsideErr error
	if alongside != nil {
		alongsideErr = alongside()
	}
	if err := tx.pg.await(ctx, completion); err != nil {
		return nil, fmt.Errorf("store: complete runs: %w", interpret(err))
	}
	if alongsideErr != nil {
		return nil, alongsideErr
	}
	byID := make(map[int64]*reckon.Run, len(done))
	for _, run := range done {
		byID[run.ID] = run
	}
	for i, a := range args {
		runs[i] = byID[a.id]
	}
	return runs, nil
}

// completionArgs is a completion as statement arguments; "" stands for none.
type completionArgs struct {
	id, evWorkspace, evEnvironment                                         int64
	outcome, summary, failure, rec, ev, actor, action, meta, kind, payload string
}

// row is the arguments of completeRunPostgres.
func (a *completionArgs) row(now time.Time) []any {
	return []any{now, a.id, a.outcome, a.summary, a.failure, a.rec, a.ev, a.evWorkspace, a.evEnvironment,
		a.actor, a.action, a.meta, a.kind, a.payload}
}

// completionArrays is the arguments of completeRunsPostgres: each column
// of the completions as an array.
func completionArrays(now time.Time, args []completionArgs) []any {
	var (
		ids, evWorkspaces, evEnvironments                                            []int64
		outcomes, summaries, failures, recs, evs, actors, actions, metas, kinds, pls []string
	)
	for _, a := range args {
		ids, evWorkspaces, evEnvironments = append(ids, a.id), append(evWorkspaces, a.evWorkspace), append(evEnvironments, a.evEnvironment)
		outcomes, summaries, failures = append(outcomes, a.outcome), append(summaries, a.summary), append(failures, a.failure)
		recs, evs, actors, actions = append(recs, a.rec), append(evs, a.ev), append(actors, a.actor), append(actions, a.action)
		metas, kinds, pls = append(metas, a.meta), append(kinds, a.kind), append(pls, a.payload)
	}
	return []any{now, ids, outcomes, summaries, failures, recs, evs, evWorkspaces, evEnvironments, actors, actions, metas, kinds, pls}
}

func (a *completionArgs) set(c *RunCompletion) error {
	a.id, a.outcome, a.summary = c.ID, string(c.Outcome), string(c.Summary)
	a.actor, a.action, a.kind = c.Audit.Actor, c.Audit.Action, c.NotificationKind
	a.meta, a.payload = cmp.Or(string(c.Audit.Metadata), `{}`), cmp.Or(string(c.NotificationPayload), `{}`)
	var err error
	if c.Failure != nil {
		if a.failure, err = marshal(c.Failure); err != nil {
			return err
		}
	}
	if rec := c.Reconciliation; rec != nil {
		withoutEv := *rec
		withoutEv.Evidence = reckon.Evidence{}
		if a.rec, err = marshal(withoutEv); err != nil {
			return err
		}
		if a.ev, err = marshal(rec.Evidence); err != nil {
			return err
		}
		a.evWorkspace, a.evEnvironment = rec.Evidence.WorkspaceID, rec.Evidence.EnvironmentID
	}
	return nil
}

const (
	// pgScope is the run's scope as evidence fields; NULL environment is left out.
	pgScope    = `jsonb_strip_nulls(jsonb_build_object('workspace_id', workspace_id, 'environment_id', environment_id))`
	pgEvidence = `(CAST(NULLIF(c_ev, '') AS JSONB) || ` + pgScope + `)`

	// $1 is now; $2… are the completions' columns, "" for none: arrays for
	// a batch, one row of scalars for a single completion, which the server
	// runs in about half the time of a one-element unnest. The columns are
	// prefixed c_ so that none shadows a column of the run.
	completeRunsPostgres = completeRunsHead + `unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[],
	$10::text[], $11::text[], $12::text[], $13::text[], $14::text[])` + completeRunsTail
	completeRunPostgres = completeRunsHead + `(VALUES ($2::bigint, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, $9::bigint,
	$10::text, $11::text, $12::text, $13::text, $14::text))` + completeRunsTail

	completeRunsHead = `WITH r AS (
UPDATE operation_runs SET status = 'completed', outcome = c_outcome, completed_at = $1, updated_at = $1,
	summary = COALESCE(CAST(NULLIF(c_summary, '') AS JSONB), summary),
	failure = COALESCE(CAST(NULLIF(c_failure, '') AS JSONB), failure),
	context = CASE WHEN c_rec = '' THEN context
		ELSE jsonb_set(context, '{reconciliation}', CAST(c_rec AS JSONB) || jsonb_build_object('evidence', ` + pgEvidence + `)) END
FROM `
	completeRunsTail = `
	AS c(c_id, c_outcome, c_summary, c_failure, c_rec, c_ev, c_ev_workspace_id, c_ev_environment_id,
		c_actor, c_action, c_meta, c_kind, c_payload)
WHERE id = c_id AND status IN ('queued', 'running')
	AND (c_ev_workspace_id = 0 OR workspace_id = c_ev_workspace_id)
	AND (c_ev_environment_id = 0 OR environment_id = c_ev_environment_id)
RETURNING ` + runColumns + `, c_ev, c_actor, c_action, c_meta, c_kind, c_payload
), audit AS (
INSERT INTO audit_events (workspace_id, actor, action, subject_type, subject_id, metadata, created_at)
SELECT workspace_id, c_actor, c_action, 'operation_run', id, CAST(c_meta AS JSONB) || jsonb_build_object('type', type)
	|| CASE WHEN c_ev = '' THEN '{}'::jsonb ELSE jsonb_build_object('evidence', ` + pgEvidence + `) END, $1
FROM r
), notification AS (
INSERT INTO notifications (user_id, workspace_id, kind, payload, created_at)
SELECT initiator_user_id, workspace_id, c_kind, CAST(c_payload AS JSONB)
	|| jsonb_strip_nulls(jsonb_build_object('run_id', id, 'type', type, 'environment_id', environment_id)), $1
FROM r WHERE initiator_user_id IS NOT NULL AND c_kind <> ''
)
SELECT ` + runColumns + ` FROM r`

	// SQLite: $1 run id, $2 outcome, $3 now, $4 summary, $5 failure, $6
	// reconciliation without evidence, $7 evidence, $8/$9 the evidence's
	// workspace/environment (0: the run's).
	completeRunSQLite = `UPDATE operation_runs SET status = 'completed', outcome = $2, completed_at = $3, updated_at = $3,
	summary = COALESCE($4, summary), failure = COALESCE($5, failure),
	context = CASE WHEN $6 IS NULL THEN context
		ELSE json_set(context, '$.reconciliation', json_set($6, '$.evidence', ` + sqliteEvidence + `)) END
WHERE id = $1 AND status IN ('queued', 'running')
	AND ($8 = 0 OR workspace_id = $8) AND ($9 = 0 OR environment_id = $9)
RETURNING ` + runColumns

	// json_patch drops keys whose patch value is null, as jsonb_strip_nulls does.
	sqliteScope    = `json_object('workspace_id', workspace_id, 'environment_id', environment_id)`
	sqliteEvidence = `json_patch($7, ` + sqliteScope + `)`

	// The event and the notification read the row the update just wrote:
	// $1 run id, $2 now, $3 evidence, $4 actor, $5 action, $6 metadata /
	// $3 kind, $4 payload.
	completeRunAuditSQLite = `INSERT INTO audit_events (workspace_id, actor, action, subject_type, subject_id, metadata, created_at)
SELECT workspace_id, $4, $5, 'operation_run', id, json_patch(json_set($6, '$.type', type),
	CASE WHEN $3 IS NULL THEN '{}' ELSE json_object('evidence', json(json_patch($3, ` + sqliteScope + `))) END), $2
FROM operation_runs WHERE id = $1`

	completeRunNotificationSQLite = `INSERT INTO notifications (user_id, workspace_id, kind, payload, created_at)
SELECT initiator_user_id, workspace_id, $3, json_patch($4,
	json_object('run_id', id, 'type', type, 'environment_id', environment_id)), $2
FROM operation_runs WHERE id = $1`
)
