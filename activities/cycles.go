package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// CycleStore is what the cycle's activities need from the database;
// *store.DB implements it.
type CycleStore interface {
	RecordCycle(ctx context.Context, d domain.CycleDetail, ev domain.CycleEvent) (bool, error)
	OpenProposalIDs(ctx context.Context, cycleID, after string, limit int) ([]string, error)
	CycleLockCandidates(ctx context.Context, cycleID string) (domain.LockCandidates, error)
	ConsolidatedProposalIDs(ctx context.Context, cycleID, after string, limit int) ([]string, error)
	GetProposal(ctx context.Context, id string) (domain.Proposal, error)
}

var _ CycleStore = (*store.DB)(nil)

// Workflows is how an activity acts on other workflows: the cycle signals
// and locks its proposals, a proposal reserves its consolidated amount with
// its cycle. The activities package cannot import workflows (workflows
// imports it), so workflows.NewDriver implements this over a Temporal
// client and cmd/rencana wires it. Refusals come back as *domain.Error;
// ENOTFOUND means the workflow does not exist or has ended.
type Workflows interface {
	// SignalCalendar tells a proposal its cycle's dates moved.
	SignalCalendar(ctx context.Context, proposalID string, cal domain.Calendar) error
	// LockProposal runs a proposal's lock Update; updateID makes a retry
	// of the same lock a duplicate Temporal answers from the first run.
	LockProposal(ctx context.Context, proposalID, updateID string, actor domain.Actor, comment string) (domain.Proposal, error)
	// ReserveCeiling runs the cycle's reserve Update.
	ReserveCeiling(ctx context.Context, updateID string, r CeilingReservation) (ReserveResult, error)
}

// Paging of the cycle's activities: a page of proposals is read, then
// handled by CycleConcurrency goroutines at once. On the two-core dev
// machine a lock moved 24 proposals a second at 8 and 34 at 32 (the
// Temporal dev server being the bottleneck); 32 Updates in flight is a
// small load for a real Temporal cluster and keeps one page's workflow
// tasks from piling up.
const (
	CyclePageSize    = 200
	CycleConcurrency = 32
)

var errNotWired = temporal.NewNonRetryableApplicationError("Alur kerja tidak dapat dihubungi (Temporal client belum dipasang pada worker).", domain.EINTERNAL, nil)

// RecordCycleInput is a cycle's snapshot after a change and the event that
// describes the change.
type RecordCycleInput struct {
	Cycle domain.CycleDetail `json:"cycle"`
	Event domain.CycleEvent  `json:"event"`
}

// RecordCycleResult says whether this call wrote the event.
type RecordCycleResult struct {
	Recorded bool `json:"recorded"`
}

// RecordCycle projects one change of a cycle into the database.
func (a *Activities) RecordCycle(ctx context.Context, in RecordCycleInput) (RecordCycleResult, error) {
	if a.Cycles == nil {
		return RecordCycleResult{}, errNotWired
	}
	recorded, err := a.Cycles.RecordCycle(ctx, in.Cycle, in.Event)
	if err != nil {
		return RecordCycleResult{}, classify(fmt.Errorf("record cycle %s#%d: %w", in.Event.CycleID, in.Event.Seq, err))
	}
	return RecordCycleResult{Recorded: recorded}, nil
}

// SignalCalendarInput is the cycle's new calendar for its open proposals.
type SignalCalendarInput struct {
	CycleID  string          `json:"cycle_id"`
	Calendar domain.Calendar `json:"calendar"`
}

// SignalCalendarResult counts the proposals told, and those skipped because
// their workflow had ended (the projection was about to say so).
type SignalCalendarResult struct {
	Signaled int `json:"signaled"`
	Skipped  int `json:"skipped"`
}

// SignalCalendar sends the new calendar to every open proposal of the
// cycle, page by page. A signal carrying the same calendar twice changes
// nothing in the proposal, so a retry simply resends; the heartbeat carries
// the last page done so a retry after a crash resumes there.
func (a *Activities) SignalCalendar(ctx context.Context, in SignalCalendarInput) (SignalCalendarResult, error) {
	if a.Cycles == nil || a.Workflows == nil {
		return SignalCalendarResult{}, errNotWired
	}
	var progress struct {
		After string
		SignalCalendarResult
	}
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &progress)
	}
	for {
		ids, err := a.Cycles.OpenProposalIDs(ctx, in.CycleID, progress.After, CyclePageSize)
		if err != nil {
			return progress.SignalCalendarResult, err
		}
		errs := forEach(ctx, ids, func(ctx context.Context, id string) error {
			return a.Workflows.SignalCalendar(ctx, id, in.Calendar)
		})
		for i, err := range errs {
			switch domain.ErrorCode(err) {
			case "":
				progress.Signaled++
			case domain.ENOTFOUND, domain.ECONFLICT:
				progress.Skipped++
			default:
				return progress.SignalCalendarResult, fmt.Errorf("signal calendar to %s: %w", ids[i], err)
			}
		}
		if len(ids) < CyclePageSize {
			return progress.SignalCalendarResult, nil
		}
		progress.After = ids[len(ids)-1]
		activity.RecordHeartbeat(ctx, progress)
	}
}

// PrepareLockInput names the cycle to lock.
type PrepareLockInput struct {
	CycleID string `json:"cycle_id"`
}

// PrepareLock reads what the lock needs to decide whether it may start.
func (a *Activities) PrepareLock(ctx context.Context, in PrepareLockInput) (domain.LockCandidates, error) {
	if a.Cycles == nil {
		return domain.LockCandidates{}, errNotWired
	}
	c, err := a.Cycles.CycleLockCandidates(ctx, in.CycleID)
	return c, classify(err)
}

// LockBatchInput is one page of a cycle's lock: up to Limit consolidated
// proposals with an id after After. LockID identifies the lock attempt and
// is the Update ID of every proposal's lock.
type LockBatchInput struct {
	CycleID string       `json:"cycle_id"`
	LockID  string       `json:"lock_id"`
	After   string       `json:"after"`
	Limit   int          `json:"limit"`
	Actor   domain.Actor `json:"actor"`
	Comment string       `json:"comment"`
}

// LockFailure is a proposal the lock could not move, and why.
type LockFailure struct {
	ProposalID string `json:"proposal_id"`
	Message    string `json:"message"`
}

// LockBatchResult is what one page did. Last is the cursor for the next
// page; Done says there is none.
type LockBatchResult struct {
	Moved   int           `json:"moved"`
	Skipped int           `json:"skipped"`
	Failed  []LockFailure `json:"failed,omitempty"`
	Last    string        `json:"last"`
	Done    bool          `json:"done"`
}

// LockBatch moves one page of a cycle's consolidated proposals to the
// ministry through each proposal's lock Update. It is idempotent: the page
// is read from the projection among proposals still in consolidation, so
// what an earlier attempt moved is not read again, and a proposal that
// refuses because it has already left consolidation is counted as skipped.
// It heartbeats after every proposal, so a crashed worker's page is retried
// within the heartbeat timeout instead of the whole start-to-close timeout.
func (a *Activities) LockBatch(ctx context.Context, in LockBatchInput) (LockBatchResult, error) {
	if a.Cycles == nil || a.Workflows == nil {
		return LockBatchResult{}, errNotWired
	}
	var res LockBatchResult
	if activity.HasHeartbeatDetails(ctx) {
		// Counts of an earlier attempt; its failures are read and tried again.
		_ = activity.GetHeartbeatDetails(ctx, &res)
		res.Failed = nil
	}
	limit := in.Limit
	if limit <= 0 {
		limit = CyclePageSize
	}
	ids, err := a.Cycles.ConsolidatedProposalIDs(ctx, in.CycleID, in.After, limit)
	if err != nil {
		return res, err
	}
	var mu sync.Mutex
	var transient error
	forEach(ctx, ids, func(ctx context.Context, id string) error {
		_, err := a.Workflows.LockProposal(ctx, id, in.LockID, in.Actor, in.Comment)
		mu.Lock()
		defer mu.Unlock()
		defer func() { activity.RecordHeartbeat(ctx, res) }()
		var de *domain.Error
		switch {
		case err == nil:
			res.Moved++
		case errors.As(err, &de):
			p, gerr := a.Cycles.GetProposal(ctx, id)
			if gerr == nil && p.Stage != domain.StageConsolidation {
				res.Skipped++ // already moved: an earlier attempt, or another lock
				return nil
			}
			res.Failed = append(res.Failed, LockFailure{ProposalID: id, Message: de.Message})
		default:
			transient = err
		}
		return nil
	})
	if transient != nil {
		// Retried by the policy; what moved is not read again.
		return res, fmt.Errorf("lock proposals of %s: %w", in.CycleID, transient)
	}
	res.Done = len(ids) < limit
	if len(ids) > 0 {
		res.Last = ids[len(ids)-1]
	} else {
		res.Last = in.After
	}
	return res, nil
}

// CeilingReservation asks the cycle to count a proposal's consolidated
// amount against the ceiling of its kab/kota (or province).
type CeilingReservation struct {
	CycleID    string `json:"cycle_id"`
	ProposalID string `json:"proposal_id"`
	RegionCode string `json:"region_code"`
	AmountIDR  int64  `json:"amount_idr"`
}

// ReserveResult is the cycle's answer to a reservation. Checked is false
// when the cycle has no running workflow (a cycle written directly, as old
// demo data was): no ceiling can exist then, so nothing is limited.
type ReserveResult struct {
	Checked     bool   `json:"checked"`
	RegionCode  string `json:"region_code"`  // the kab/kota (or province) the ceiling is for
	CeilingIDR  int64  `json:"ceiling_idr"`  // 0: no ceiling
	ConsumedIDR int64  `json:"consumed_idr"` // including this reservation
}

// ReserveCeiling asks the proposal's cycle to reserve its consolidated
// amount. Only proposals whose workflows began before ceilings moved into
// the projection's transaction use it (workflows: versionCeilingReserve);
// newer ones reserve through Store.RecordConsolidation. A refusal (the
// ceiling would be exceeded) comes back as a non-retryable error of the
// refusal's code, with the figures in its message and field errors. The Update ID is fixed by this activity's
// schedule, so a retry after a lost answer is answered by Temporal from the
// first attempt instead of reserving twice.
func (a *Activities) ReserveCeiling(ctx context.Context, in CeilingReservation) (ReserveResult, error) {
	if a.Workflows == nil {
		return ReserveResult{}, errNotWired
	}
	// At most two reservations at a time per cycle from this process. The
	// cycle takes them one by one anyway, and a burst of concurrent Updates
	// on one long-history workflow trips a Temporal server bug (1.29:
	// "premature end of stream" when a worker re-reads a history while a
	// speculative workflow task is open, temporalio/temporal#7741) that
	// stalled the cycle for minutes under rencana bench at 16 clients. One
	// at a time cured it; two keep it cured (0 aborted Updates at 16 and 32
	// clients) and cut consolidate's p99 from 327 to 293 ms at 16.
	release, err := a.cycleTurn(ctx, in.CycleID)
	if err != nil {
		return ReserveResult{}, err
	}
	defer release()
	info := activity.GetInfo(ctx)
	updateID := fmt.Sprintf("reserve/%s/%s", info.WorkflowExecution.RunID, info.ActivityID)
	res, err := a.Workflows.ReserveCeiling(ctx, updateID, in)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		activity.GetLogger(ctx).Warn("cycle has no running workflow; consolidated amount not checked against a ceiling",
			"cycle_id", in.CycleID, "proposal_id", in.ProposalID)
		return ReserveResult{}, nil
	}
	if err != nil {
		return ReserveResult{}, classify(err)
	}
	res.Checked = true
	return res, nil
}

// forEach runs fn for every id, CycleConcurrency at a time, and returns
// each call's error in the order of ids.
func forEach(ctx context.Context, ids []string, fn func(ctx context.Context, id string) error) []error {
	errs := make([]error, len(ids))
	sem := make(chan struct{}, CycleConcurrency)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(ctx, id)
		}()
	}
	wg.Wait()
	return errs
}

// cycleTurn waits for one of this process's two turns to send an Update to the cycle
// (see ReserveCeiling) and returns the function that ends it.
func (a *Activities) cycleTurn(ctx context.Context, cycleID string) (func(), error) {
	v, _ := a.cycleTurns.LoadOrStore(cycleID, make(chan struct{}, 2))
	turn := v.(chan struct{})
	select {
	case turn <- struct{}{}:
		return func() { <-turn }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
