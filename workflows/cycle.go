package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// CycleWorkflow is one province's planning cycle for one fiscal year (see
// cycle_contract.go). It runs for as long as the cycle matters, answering
// queries and Updates; its phase is read from the calendar, so it needs no
// timers. It continues as new with its whole state when Temporal suggests
// it.
//
// Ceilings are set here and enforced in the database: a proposal's
// consolidate checks and reserves its amount in the transaction that
// records it, under a lock on the cycle's row, and a ceiling change is
// refused there when it falls below what is reserved
// (store.RecordConsolidation, store.RecordCycle). Two proposals
// consolidating at the same moment are thus judged one after the other.
// A proposal's reservation is replaced when it is consolidated again, so
// adjusting an amount downwards always fits; consumption counts every
// consolidated proposal of the cycle, whatever happened to it later. A
// refused reservation is a refused consolidate, with the figures in its
// message.
//
// Proposals whose workflows began before (versionCeilingReserve in
// proposal.go) reserved with this workflow instead, through its reserve
// Update; it is kept for them, and its validator still judges a ceiling
// change against those reservations as well.
//
// Determinism: like ProposalWorkflow, changes to what this code does with
// an existing history must be wrapped in workflow.GetVersion; TestReplay
// replays testdata/cycle*.json.
func CycleWorkflow(ctx workflow.Context, in CycleInput) (domain.CycleDetail, error) {
	return newCycleWorkflow(in).run(ctx)
}

type cycleWorkflow struct {
	province string
	fy       int
	st       CycleState
	// busy serializes recorded changes, as in proposalWorkflow.
	busy bool
	// locking is true while a lock runs: reservations, ceilings and the
	// berita acara are frozen from its start.
	locking bool
}

func newCycleWorkflow(in CycleInput) *cycleWorkflow {
	w := &cycleWorkflow{province: in.ProvinceCode, fy: in.FiscalYear}
	if in.State != nil {
		w.st = *in.State
	}
	return w
}

func (w *cycleWorkflow) run(ctx workflow.Context) (domain.CycleDetail, error) {
	if err := w.register(ctx); err != nil {
		return domain.CycleDetail{}, err
	}
	if !w.st.Created {
		ok, err := workflow.AwaitWithTimeout(ctx, CreateTimeout, func() bool { return w.st.Created })
		if err != nil {
			return domain.CycleDetail{}, err
		}
		if !ok {
			// Every create was refused: nothing was saved, and the ID is
			// free again for a corrected attempt.
			workflow.GetLogger(ctx).Info("cycle never created; ending", "province", w.province, "fiscal_year", w.fy)
			return domain.CycleDetail{}, nil
		}
	}
	err := workflow.Await(ctx, func() bool {
		return workflow.GetInfo(ctx).GetContinueAsNewSuggested() && !w.busy && !w.locking && workflow.AllHandlersFinished(ctx)
	})
	if err != nil {
		return domain.CycleDetail{}, err
	}
	st := w.st
	return domain.CycleDetail{}, workflow.NewContinueAsNewError(ctx, CycleWorkflowName, CycleInput{ProvinceCode: w.province, FiscalYear: w.fy, State: &st})
}

func (w *cycleWorkflow) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, CycleQueryState, func() (domain.CycleDetail, error) {
		if !w.st.Created {
			return domain.CycleDetail{}, refusal(domain.Errorf(domain.ENOTFOUND, "Siklus belum dibuat."))
		}
		return w.st.Cycle.At(workflow.Now(ctx)), nil
	}); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetQueryHandler(ctx, CycleQueryLockProgress, func() (LockProgress, error) {
		return w.st.Lock, nil
	}); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{CycleUpdateCreate, w.create, func(ctx workflow.Context, req CreateCycleRequest) error {
			return refusal(checkCycleCreate(&w.st, w.province, w.fy, req, workflow.Now(ctx)))
		}},
		{CycleUpdateMoveCalendar, w.moveCalendar, func(ctx workflow.Context, req MoveCalendarRequest) error {
			return refusal(checkMoveCalendar(&w.st, req))
		}},
		{CycleUpdateSetCeilings, w.setCeilings, func(ctx workflow.Context, req SetCeilingsRequest) error {
			return refusal(checkSetCeilings(&w.st, req, w.locking))
		}},
		{CycleUpdateSetTargets, w.setTargets, func(ctx workflow.Context, req SetTargetsRequest) error {
			return refusal(checkSetTargets(&w.st, req))
		}},
		{CycleUpdateRecordAgreements, w.recordAgreements, func(ctx workflow.Context, req RecordAgreementsRequest) error {
			return refusal(checkAgreements(&w.st, req, workflow.Now(ctx), w.locking))
		}},
		{CycleUpdateRecordAttendance, w.recordAttendance, func(ctx workflow.Context, req RecordAttendanceRequest) error {
			return refusal(checkAttendance(&w.st, req, workflow.Now(ctx), w.locking))
		}},
		{CycleUpdateReserve, w.reserve, func(ctx workflow.Context, r activities.CeilingReservation) error {
			return refusal(checkReserve(&w.st, r, w.locking))
		}},
		{CycleUpdateLock, w.lock, func(ctx workflow.Context, req LockCycleRequest) error {
			return refusal(checkCycleLock(&w.st, req, workflow.Now(ctx), w.locking))
		}},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return fmt.Errorf("register %s: %w", h.name, err)
		}
	}
	return nil
}

// acquire and release are proposalWorkflow's mutex: a handler waits only
// when another change is still being recorded, and then checks its rules
// again, because the other change may have made it invalid.
func (w *cycleWorkflow) acquire(ctx workflow.Context, recheck func() *domain.Error) error {
	if w.busy {
		if err := workflow.Await(ctx, func() bool { return !w.busy }); err != nil {
			return err
		}
		if recheck != nil {
			if de := recheck(); de != nil {
				return refusal(de)
			}
		}
	}
	w.busy = true
	return nil
}

func (w *cycleWorkflow) release() { w.busy = false }

func (w *cycleWorkflow) create(ctx workflow.Context, req CreateCycleRequest) (domain.CycleDetail, error) {
	if err := w.acquire(ctx, func() *domain.Error {
		return checkCycleCreate(&w.st, w.province, w.fy, req, workflow.Now(ctx))
	}); err != nil {
		return domain.CycleDetail{}, err
	}
	defer w.release()
	now := workflow.Now(ctx)
	next := domain.CycleDetail{
		Cycle: domain.Cycle{
			ID: domain.CycleID(w.province, w.fy), ProvinceCode: w.province, FiscalYear: w.fy,
			Calendar: utcCalendar(req.Calendar), CreatedBy: req.Actor.Username, CreatedAt: now,
		},
		Ceilings: append([]domain.Ceiling{}, req.Ceilings...),
		Targets:  cleanTargets(req.Targets),
	}
	w.st.Created = true
	w.st.Origin = workflow.GetInfo(ctx).WorkflowExecution.RunID
	if err := w.record(ctx, CycleEventCreate, req.Actor, "", req, next); err != nil {
		w.st.Created, w.st.Origin = false, ""
		return domain.CycleDetail{}, err
	}
	return w.st.Cycle.At(now), nil
}

func (w *cycleWorkflow) moveCalendar(ctx workflow.Context, req MoveCalendarRequest) (domain.CycleDetail, error) {
	if err := w.acquire(ctx, func() *domain.Error { return checkMoveCalendar(&w.st, req) }); err != nil {
		return domain.CycleDetail{}, err
	}
	defer w.release()
	next := w.st.Cycle
	next.Calendar = req.Calendar.Apply(next.Calendar)
	if calendarEqual(next.Calendar, w.st.Cycle.Calendar) {
		return w.st.Cycle.At(workflow.Now(ctx)), nil // nothing moved
	}
	if err := w.record(ctx, CycleEventMove, req.Actor, "", map[string]any{"calendar": next.Calendar}, next); err != nil {
		return domain.CycleDetail{}, err
	}
	// Every open proposal learns the new dates before the Update answers,
	// so the next action on any of them is judged by the new calendar.
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: SignalCalendarTimeout,
		HeartbeatTimeout:    SignalCalendarHeartbeat,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
	})
	var res activities.SignalCalendarResult
	if err := workflow.ExecuteActivity(actx, acts.SignalCalendar, activities.SignalCalendarInput{CycleID: next.ID, Calendar: next.Calendar}).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Error("calendar not delivered to every proposal", "cycle_id", next.ID, "error", err)
		return domain.CycleDetail{}, refusal(domain.Errorf(domain.EINTERNAL, "Jadwal tersimpan, tetapi belum semua usulan menerimanya; ulangi perubahan jadwal."))
	}
	return w.st.Cycle.At(workflow.Now(ctx)), nil
}

func (w *cycleWorkflow) setCeilings(ctx workflow.Context, req SetCeilingsRequest) (domain.CycleDetail, error) {
	if err := w.acquire(ctx, func() *domain.Error { return checkSetCeilings(&w.st, req, w.locking) }); err != nil {
		return domain.CycleDetail{}, err
	}
	defer w.release()
	next := w.st.Cycle
	next.Ceilings = append([]domain.Ceiling{}, req.Ceilings...)
	if err := w.record(ctx, CycleEventCeilings, req.Actor, "", map[string]any{"ceilings": next.Ceilings}, next); err != nil {
		return domain.CycleDetail{}, err
	}
	return w.st.Cycle.At(workflow.Now(ctx)), nil
}

func (w *cycleWorkflow) setTargets(ctx workflow.Context, req SetTargetsRequest) (domain.CycleDetail, error) {
	if err := w.acquire(ctx, func() *domain.Error { return checkSetTargets(&w.st, req) }); err != nil {
		return domain.CycleDetail{}, err
	}
	defer w.release()
	next := w.st.Cycle
	next.Targets = cleanTargets(req.Targets)
	if err := w.record(ctx, CycleEventTargets, req.Actor, "", map[string]any{"targets": next.Targets}, next); err != nil {
		return domain.CycleDetail{}, err
	}
	return w.st.Cycle.At(workflow.Now(ctx)), nil
}

func (w *cycleWorkflow) recordAgreements(ctx workflow.Context, req RecordAgreementsRequest) (domain.CycleDetail, error) {
	if err := w.acquire(ctx, func() *domain.Error { return checkAgreements(&w.st, req, workflow.Now(ctx), w.locking) }); err != nil {
		return domain.CycleDetail{}, err
	}
	defer w.release()
	next := w.st.Cycle
	next.Agreements = make([]domain.Agreement, len(req.Agreements))
	for i, a := range req.Agreements {
		next.Agreements[i] = domain.Agreement{Number: i + 1, Text: strings.TrimSpace(a)}
	}
	if err := w.record(ctx, CycleEventAgreements, req.Actor, "", map[string]any{"agreements": next.Agreements}, next); err != nil {
		return domain.CycleDetail{}, err
	}
	return w.st.Cycle.At(workflow.Now(ctx)), nil
}

func (w *cycleWorkflow) recordAttendance(ctx workflow.Context, req RecordAttendanceRequest) (domain.CycleDetail, error) {
	if err := w.acquire(ctx, func() *domain.Error { return checkAttendance(&w.st, req, workflow.Now(ctx), w.locking) }); err != nil {
		return domain.CycleDetail{}, err
	}
	defer w.release()
	next := w.st.Cycle
	next.Attendance = make([]domain.Attendee, len(req.Attendance))
	for i, a := range req.Attendance {
		next.Attendance[i] = domain.Attendee{Number: i + 1, Name: strings.TrimSpace(a.Name), Position: strings.TrimSpace(a.Position),
			Institution: strings.TrimSpace(a.Institution), RegionCode: a.RegionCode}
	}
	if err := w.record(ctx, CycleEventAttendance, req.Actor, "", map[string]any{"attendance": next.Attendance}, next); err != nil {
		return domain.CycleDetail{}, err
	}
	return w.st.Cycle.At(workflow.Now(ctx)), nil
}

// reserve records a proposal's consolidated amount. Its validator judged
// it against the ceiling; nothing blocks between the two, so no other
// reservation can come in between.
func (w *cycleWorkflow) reserve(ctx workflow.Context, r activities.CeilingReservation) (activities.ReserveResult, error) {
	return applyReserve(&w.st, r), nil
}

// lock moves every consolidated proposal of the cycle to the ministry. It
// refuses, naming them, while any proposal in consolidation is not
// consolidated. The proposals are moved page by page by LockBatch
// activities (each idempotent and heartbeating), so thousands take a few
// dozen activities and the Update's history stays small; the cycle is
// marked locked only when every one has moved.
func (w *cycleWorkflow) lock(ctx workflow.Context, req LockCycleRequest) (LockCycleResult, error) {
	w.locking = true
	defer func() { w.locking = false }()
	if err := w.acquire(ctx, func() *domain.Error { return checkCycleLock(&w.st, req, workflow.Now(ctx), false) }); err != nil {
		return LockCycleResult{}, err
	}
	defer w.release()
	id := w.st.Cycle.ID
	pctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
	})
	var cand domain.LockCandidates
	if err := workflow.ExecuteActivity(pctx, acts.PrepareLock, activities.PrepareLockInput{CycleID: id}).Get(ctx, &cand); err != nil {
		return LockCycleResult{}, lockError(ctx, id, err)
	}
	if len(cand.Unconsolidated) > 0 {
		return LockCycleResult{}, refusal(unconsolidatedError(cand.Unconsolidated))
	}

	w.st.Lock = LockProgress{Attempt: w.st.Lock.Attempt + 1, Actor: req.Actor, StartedAt: workflow.Now(ctx), Running: true, Total: cand.Consolidated}
	defer func() { w.st.Lock.Running = false }()
	lockID := fmt.Sprintf("lock/%s/%s/%d", id, workflow.GetInfo(ctx).WorkflowExecution.RunID, w.st.Lock.Attempt)
	bctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: LockBatchTimeout,
		HeartbeatTimeout:    LockBatchHeartbeat,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
	})
	var failed []activities.LockFailure
	after := ""
	for {
		var res activities.LockBatchResult
		in := activities.LockBatchInput{CycleID: id, LockID: lockID, After: after, Limit: LockBatchSize, Actor: req.Actor, Comment: req.Comment}
		if err := workflow.ExecuteActivity(bctx, acts.LockBatch, in).Get(ctx, &res); err != nil {
			return LockCycleResult{}, lockError(ctx, id, err)
		}
		w.st.Lock.Moved += res.Moved
		w.st.Lock.Skipped += res.Skipped
		w.st.Lock.Failed += len(res.Failed)
		failed = append(failed, res.Failed...)
		if res.Done {
			break
		}
		after = res.Last
	}
	if len(failed) > 0 {
		return LockCycleResult{}, refusal(lockFailedError(failed))
	}

	now := workflow.Now(ctx)
	next := w.st.Cycle
	next.Locked, next.LockedAt, next.LockedBy = true, &now, req.Actor.Username
	payload := map[string]any{"moved": w.st.Lock.Moved, "skipped": w.st.Lock.Skipped}
	if err := w.record(ctx, CycleEventLock, req.Actor, req.Comment, payload, next); err != nil {
		return LockCycleResult{}, err
	}
	return LockCycleResult{Cycle: w.st.Cycle.At(now), Moved: w.st.Lock.Moved, Skipped: w.st.Lock.Skipped}, nil
}

func lockError(ctx workflow.Context, cycleID string, err error) error {
	if de, ok := AsDomainError(err).(*domain.Error); ok {
		return refusal(de)
	}
	workflow.GetLogger(ctx).Error("cycle lock failed", "cycle_id", cycleID, "error", err)
	return refusal(domain.Errorf(domain.EINTERNAL, "Penguncian siklus gagal; usulan yang sudah dipindahkan tetap di tahap %s. Coba kunci lagi nanti.", domain.StageMinistry.Label()))
}

// record makes next the cycle's state and projects it with the RecordCycle
// activity, returning only when the database has it. The caller holds the
// mutex. If recording fails for good the state is put back; a refusal of
// the store (a second cycle for the province and year, an unknown region)
// reaches the caller with its own code and message.
func (w *cycleWorkflow) record(ctx workflow.Context, action string, actor domain.Actor, comment string, payload any, next domain.CycleDetail) error {
	prev, prevSeq := w.st.Cycle, w.st.Seq
	now := workflow.Now(ctx)
	raw, err := json.Marshal(payload)
	if err != nil {
		return refusal(domain.Errorf(domain.EINTERNAL, "Terjadi kesalahan internal."))
	}
	w.st.Seq++
	next.Version = w.st.Seq
	next.UpdatedAt = now
	next.Phase, next.RakordaOpen = "", false // derived; never stored
	ev := domain.CycleEvent{CycleID: next.ID, Seq: w.st.Seq, Action: action, Actor: actor, Comment: comment, Payload: raw, Origin: w.st.Origin, At: now}
	w.st.Cycle = next
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
	})
	err = workflow.ExecuteActivity(actx, acts.RecordCycle, activities.RecordCycleInput{Cycle: next, Event: ev}).Get(ctx, nil)
	if err != nil {
		w.st.Cycle, w.st.Seq = prev, prevSeq
		if de, ok := AsDomainError(err).(*domain.Error); ok {
			return refusal(de)
		}
		workflow.GetLogger(ctx).Error("record cycle failed", "cycle_id", next.ID, "action", action, "error", err)
		return refusal(domain.Errorf(domain.EINTERNAL, "Perubahan siklus gagal disimpan; coba lagi nanti."))
	}
	return nil
}

func calendarEqual(a, b domain.Calendar) bool {
	fa, fb := a.Fields(), b.Fields()
	for i := range fa {
		if !fa[i].At.Equal(fb[i].At) {
			return false
		}
	}
	return true
}

// utcCalendar returns c with every date in UTC (Apply converts).
func utcCalendar(c domain.Calendar) domain.Calendar { return FullPatch(c).Apply(domain.Calendar{}) }

func cleanTargets(ts []domain.Target) []domain.Target {
	out := make([]domain.Target, len(ts))
	for i, t := range ts {
		t.Code, t.Name, t.Unit = strings.TrimSpace(t.Code), strings.TrimSpace(t.Name), strings.TrimSpace(t.Unit)
		var kw []string
		for _, k := range t.Keywords {
			if k = strings.TrimSpace(k); k != "" {
				kw = append(kw, k)
			}
		}
		t.Keywords = kw
		out[i] = t
	}
	return out
}
