package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// Determinism: this code is replayed against the histories of running
// proposals (and against workflows/testdata by TestReplay). Any future change
// to what it does with an existing history (another activity, a timer, a
// different order) must be wrapped in workflow.GetVersion, e.g.
//
//	if workflow.GetVersion(ctx, "notify-on-accept", workflow.DefaultVersion, 1) == 1 { ... }
//
// and a new testdata history recorded with -update-histories. Validators are
// not replayed, so validation rules may change freely.

// acts is only used for method references: workflows never call activities
// directly.
var acts *activities.Activities

// ProposalWorkflow carries one proposal from draft to a terminal stage; see
// the package doc and contract.go. It returns the final Proposal, or
// continues as new with its whole state when Temporal suggests it.
func ProposalWorkflow(ctx workflow.Context, in ProposalInput) (domain.Proposal, error) {
	return newProposalWorkflow(in).run(ctx)
}

type proposalWorkflow struct {
	st ProposalState
	// busy is the workflow's mutex: true while a transition is being
	// recorded. Transitions take it one at a time (see acquire), so two
	// concurrent Updates cannot both pass against the same stage.
	busy bool
	// retryAfter holds the clock back after a deadline transition failed to
	// record, so a persistent failure cannot spin.
	retryAfter time.Time
	// changed wakes the main loop after a transition so it re-arms timers,
	// notices terminal stages and continue-as-new suggestions.
	changed workflow.Channel
	// remindAll is versionDeadlineReminders in force for this run.
	remindAll bool
}

func newProposalWorkflow(in ProposalInput) *proposalWorkflow {
	w := &proposalWorkflow{}
	if in.State != nil {
		w.st = *in.State
		return w
	}
	w.st.Calendar = in.Calendar
	w.st.Proposal.ID = in.ProposalID
	w.st.Proposal.CycleID = in.CycleID
	return w
}

func (w *proposalWorkflow) run(ctx workflow.Context) (domain.Proposal, error) {
	w.changed = workflow.NewBufferedChannel(ctx, 1)
	if err := w.register(ctx); err != nil {
		return domain.Proposal{}, err
	}
	if !w.st.Created {
		ok, err := workflow.AwaitWithTimeout(ctx, CreateTimeout, func() bool { return w.st.Created })
		if err != nil {
			return domain.Proposal{}, err
		}
		if !ok {
			// The create Update was refused: nothing was saved.
			workflow.GetLogger(ctx).Info("proposal never created; ending", "proposal_id", w.st.Proposal.ID)
			return domain.Proposal{}, nil
		}
	}
	workflow.Go(ctx, w.notifier)

	calendar := workflow.GetSignalChannel(ctx, SignalCalendar)
	var armed *armedTimer
	for {
		if w.st.Proposal.Stage.Terminal() {
			// Every Update is refused in a terminal stage: once the running
			// handlers and notifications are done, nothing can happen.
			if err := workflow.Await(ctx, func() bool {
				return !w.busy && len(w.st.Pending) == 0 && workflow.AllHandlersFinished(ctx)
			}); err != nil {
				return domain.Proposal{}, err
			}
			return w.st.Proposal, nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return !w.busy && workflow.AllHandlersFinished(ctx) }); err != nil {
				return domain.Proposal{}, err
			}
			st := w.st
			return domain.Proposal{}, workflow.NewContinueAsNewError(ctx, ProposalWorkflowName, ProposalInput{
				ProposalID: st.Proposal.ID, CycleID: st.Proposal.CycleID, Calendar: st.Calendar, State: &st,
			})
		}

		// Reminders before every stage's deadline, not only review's,
		// came later: histories recorded before have no such timers.
		w.remindAll = workflow.GetVersion(ctx, versionDeadlineReminders, workflow.DefaultVersion, 1) == 1
		now := workflow.Now(ctx)
		want := w.nextDeadline(now)
		if armed != nil && (want == nil || !want.equal(armed.deadline)) {
			armed.cancel()
			armed = nil
		}
		if want != nil && !want.At.After(now) {
			if err := w.onDeadline(ctx, *want); err != nil {
				return domain.Proposal{}, err
			}
			continue
		}
		if want != nil && armed == nil {
			armed = arm(ctx, *want, want.At.Sub(now))
		}

		fired := false
		sel := workflow.NewSelector(ctx)
		if armed != nil {
			sel.AddFuture(armed.future, func(f workflow.Future) { fired = f.Get(ctx, nil) == nil })
		}
		sel.AddReceive(calendar, func(c workflow.ReceiveChannel, _ bool) {
			var cal domain.Calendar
			c.Receive(ctx, &cal)
			w.onCalendar(ctx, cal)
		})
		sel.AddReceive(w.changed, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		if fired {
			d := armed.deadline
			armed = nil
			if err := w.onDeadline(ctx, d); err != nil {
				return domain.Proposal{}, err
			}
		}
	}
}

// register installs the query, the Updates and their validators. It runs
// before anything else so the create Update of Update-with-Start finds its
// handler.
func (w *proposalWorkflow) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (domain.Proposal, error) {
		if !w.st.Created {
			return domain.Proposal{}, refusal(domain.Errorf(domain.ENOTFOUND, "Usulan belum dibuat."))
		}
		return w.st.Proposal, nil
	}); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCreate, w.create, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, req CreateRequest) error {
			return refusal(checkCreate(&w.st, req))
		},
	}); err != nil {
		return fmt.Errorf("register create: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateEdit, w.edit, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, req EditRequest) error {
			if err := w.ready(); err != nil {
				return refusal(err)
			}
			return refusal(checkEdit(&w.st, req))
		},
	}); err != nil {
		return fmt.Errorf("register edit: %w", err)
	}
	// The cycle moves dates through this Update rather than the calendar
	// signal: an Update completes only once the new dates are in the state,
	// so when the cycle's PATCH answers, the next decision on this proposal
	// is judged by them (a signal could still be waiting in the channel
	// while a validator reads the old calendar). Registering a handler adds
	// no command, so running workflows replay unchanged.
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCalendar, func(ctx workflow.Context, cal domain.Calendar) (domain.Proposal, error) {
		w.onCalendar(handlerContext(ctx), cal)
		w.changed.SendAsync(struct{}{}) // re-arm the timers for the new dates
		return w.st.Proposal, nil
	}, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, cal domain.Calendar) error {
			if !w.st.Created {
				return refusal(domain.Errorf(domain.ECONFLICT, "Usulan belum dibuat."))
			}
			return nil
		},
	}); err != nil {
		return fmt.Errorf("register calendar: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateLock, w.lockUpdate, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, req ActionRequest) error {
			if err := w.ready(); err != nil {
				return refusal(err)
			}
			return refusal(checkLock(&w.st, req))
		},
	}); err != nil {
		return fmt.Errorf("register lock: %w", err)
	}
	for _, action := range domain.Actions {
		err := workflow.SetUpdateHandlerWithOptions(ctx, ActionUpdateName(action),
			func(ctx workflow.Context, req ActionRequest) (domain.Proposal, error) { return w.act(ctx, action, req) },
			workflow.UpdateHandlerOptions{
				Validator: func(ctx workflow.Context, req ActionRequest) error {
					if err := w.ready(); err != nil {
						return refusal(err)
					}
					return refusal(checkAction(&w.st, action, req, workflow.Now(ctx)))
				},
			})
		if err != nil {
			return fmt.Errorf("register %s: %w", action, err)
		}
	}
	return nil
}

// ready refuses Updates before the draft exists.
func (w *proposalWorkflow) ready() *domain.Error {
	if !w.st.Created {
		return domain.Errorf(domain.ENOTFOUND, "Usulan belum dibuat.")
	}
	return nil
}

// acquire takes the transition mutex. A handler runs right after its
// validator in the same coroutine, and a transition in flight has already
// put its target state in w.st, so the validator judged the state the
// handler will build on. Only when another transition is still being
// recorded does the handler wait, and then it checks the rules again,
// because an Update that waited with it may have gone first; such a late
// refusal is the only one that shows in history. (Validators are not run on
// replay; this re-check is, so changing a rule needs workflow.GetVersion.)
func (w *proposalWorkflow) acquire(ctx workflow.Context, recheck func() *domain.Error) error {
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

func (w *proposalWorkflow) release() { w.busy = false }

func (w *proposalWorkflow) create(ctx workflow.Context, req CreateRequest) (domain.Proposal, error) {
	ctx = handlerContext(ctx)
	if err := w.acquire(ctx, func() *domain.Error { return checkCreate(&w.st, req) }); err != nil {
		return domain.Proposal{}, err
	}
	defer w.release()
	now := workflow.Now(ctx)
	next := req.Draft.Patch().Apply(w.st.Proposal)
	next.RegionCode = req.Draft.RegionCode
	// A plain copy of a field older histories left empty: no command
	// changes, so no workflow.GetVersion is needed for it.
	next.Number = req.Draft.Number
	next.Stage = domain.StageDraft
	next.CreatedBy = req.Actor.Username
	next.CreatedAt = now
	w.st.Created = true
	if err := w.record(ctx, EventCreate, req.Actor, "", nil, nil, next, nil); err != nil {
		w.st.Created = false
		return domain.Proposal{}, err
	}
	return w.st.Proposal, nil
}

func (w *proposalWorkflow) edit(ctx workflow.Context, req EditRequest) (domain.Proposal, error) {
	ctx = handlerContext(ctx)
	if err := w.acquire(ctx, func() *domain.Error { return checkEdit(&w.st, req) }); err != nil {
		return domain.Proposal{}, err
	}
	defer w.release()
	next := req.Patch.Apply(w.st.Proposal)
	if err := w.record(ctx, EventEdit, req.Actor, "", req.Patch, nil, next, nil); err != nil {
		return domain.Proposal{}, err
	}
	return w.st.Proposal, nil
}

func (w *proposalWorkflow) lockUpdate(ctx workflow.Context, req ActionRequest) (domain.Proposal, error) {
	ctx = handlerContext(ctx)
	if err := w.acquire(ctx, func() *domain.Error { return checkLock(&w.st, req) }); err != nil {
		return domain.Proposal{}, err
	}
	defer w.release()
	next := w.st.Proposal
	next.Stage = domain.StageMinistry
	if err := w.record(ctx, EventLock, req.Actor, req.Comment, nil, nil, next, func() { w.noticeCreator(ctx, req.Actor, req.Comment) }); err != nil {
		return domain.Proposal{}, err
	}
	return w.st.Proposal, nil
}

func (w *proposalWorkflow) act(ctx workflow.Context, action domain.Action, req ActionRequest) (domain.Proposal, error) {
	ctx = handlerContext(ctx)
	if err := w.acquire(ctx, func() *domain.Error { return checkAction(&w.st, action, req, workflow.Now(ctx)) }); err != nil {
		return domain.Proposal{}, err
	}
	defer w.release()
	prev := w.st.Proposal
	next := prev
	t, _ := domain.FindTransition(prev.Stage, action) // checkAction found it
	next.Stage = t.Next()
	var payload any
	switch action {
	case domain.ActionSubmit:
		next.SubmittedBy = req.Actor.Username
	case domain.ActionConsolidate:
		next.Priority = req.Priority
		next.ConsolidatedAmountIDR = req.ConsolidatedAmountIDR
		next.FundingSource = req.FundingSource
		next.Consolidated = true
		payload = map[string]any{"priority": req.Priority, "consolidated_amount_idr": req.ConsolidatedAmountIDR, "funding_source": req.FundingSource}
	case domain.ActionFund:
		next.FundingSource = req.FundingSource
		payload = map[string]any{"funding_source": req.FundingSource}
	case domain.ActionMap:
		next.SIPDCode = req.SIPDCode
		payload = map[string]any{"sipd_code": req.SIPDCode}
	}
	var reservation *domain.Reservation
	if action == domain.ActionConsolidate {
		if w.projectionVersion(ctx) == projectionWithCeilings {
			reservation = &domain.Reservation{CycleID: next.CycleID, ProposalID: next.ID,
				RegionCode: domain.RegionKabKota(next.RegionCode), AmountIDR: next.ConsolidatedAmountIDR}
		} else if workflow.GetVersion(ctx, versionCeilingReserve, workflow.DefaultVersion, 1) == 1 {
			if err := w.reserveCeiling(ctx, next); err != nil {
				return domain.Proposal{}, err
			}
		}
	}
	notices := func() {
		if action == domain.ActionSubmit {
			w.st.ReminderSent = false
			w.notify(ctx, NoticeReviewRequested, "", domain.RoleReviewerKabKota, domain.RegionKabKota(next.RegionCode),
				"Usulan menunggu reviu",
				fmt.Sprintf("Usulan %q (%s) diajukan oleh %s dan menunggu reviu Anda sebelum %s.", next.Title, next.RegionCode, req.Actor.Username, day(w.st.Calendar.ReviewDeadline)))
		}
		if next.Stage != prev.Stage {
			w.noticeCreator(ctx, req.Actor, req.Comment)
		}
	}
	if err := w.record(ctx, string(action), req.Actor, req.Comment, payload, reservation, next, notices); err != nil {
		return domain.Proposal{}, err
	}
	return w.st.Proposal, nil
}

// versionCeilingReserve marks consolidations that reserve their amount
// with the cycle (see CycleWorkflow), in workflows of versionLocalProjection
// 1; histories recorded before it replay without the ReserveCeiling
// activity. Workflows of projectionWithCeilings reserve in the projection's
// transaction instead.
const versionCeilingReserve = "ceiling-reserve"

// reserveCeiling asks the cycle to count next's consolidated amount against
// the ceiling of its kab/kota before anything is recorded, so an amount
// over the ceiling is refused with the figures and leaves the proposal as
// it was. The caller holds the mutex: a second consolidate of the same
// proposal waits for this one. A reservation whose record then fails stays
// counted until the proposal is consolidated again, which errs on the side
// of the ceiling.
func (w *proposalWorkflow) reserveCeiling(ctx workflow.Context, next domain.Proposal) error {
	r := activities.CeilingReservation{CycleID: next.CycleID, ProposalID: next.ID, RegionCode: next.RegionCode, AmountIDR: next.ConsolidatedAmountIDR}
	err := w.execute(ctx, acts.ReserveCeiling, r).Get(ctx, nil)
	if err == nil {
		return nil
	}
	if de, ok := AsDomainError(err).(*domain.Error); ok {
		return refusal(de)
	}
	workflow.GetLogger(ctx).Error("ceiling reservation failed", "proposal_id", next.ID, "error", err)
	return refusal(domain.Errorf(domain.EINTERNAL, "Pagu indikatif tidak dapat diperiksa; coba lagi nanti."))
}

// versionLocalProjection marks workflows that project each transition with
// a local activity, inside the workflow task that accepts the Update, and
// store the transition's notifications in the same database transaction.
// Before it, RecordTransition and every Notify were activities of their
// own: each a round trip through Temporal's matching service and one more
// workflow task, which made a decision cost three workflow tasks and about
// 19 history events instead of one task and about 6 (rencana bench, issue
// 9). Histories recorded before it replay the old way.
//
// A local activity runs before the workflow task that accepted the Update
// completes, so a worker that dies in between leaves a transition in the
// database that Temporal never recorded; the retried task may then put a
// different one at the same seq. The event's TransitionID tells the store
// a retry from such a replacement (store.RecordTransition), and the mail
// outbox waits out that window before mailing (internal/mail).
//
// Version 2 (projectionWithCeilings) also checks and reserves a
// consolidate's amount against its kab/kota's ceiling in the transaction
// that records it, under a lock on the cycle's row
// (store.RecordConsolidation), instead of through the cycle's workflow
// (versionCeilingReserve). That saves the round trip through the cycle's
// workflow, which made consolidate the slowest action and the cycle one
// workflow every consolidate of a province queued on. It is a version of
// this change, recorded at a proposal's first transition, rather than one
// of its own at consolidate: each first GetVersion adds a marker and a
// search attribute upsert, which cost the Temporal dev server as much CPU
// as the rest of a transition (rencana bench: 16.9 ms per consolidate
// against 8.9 ms per accept).
const versionLocalProjection = "local-projection"

const (
	projectionLocal        workflow.Version = 1
	projectionWithCeilings workflow.Version = 2
)

func (w *proposalWorkflow) projectionVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, versionLocalProjection, workflow.DefaultVersion, projectionWithCeilings)
}

func (w *proposalWorkflow) localProjection(ctx workflow.Context) bool {
	return w.projectionVersion(ctx) >= projectionLocal
}

// recordRetry retries a projection until it succeeds: a database outage
// delays the answer, it does not lose the transition. Refusals are
// non-retryable.
var recordRetry = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second}

// record makes next the proposal's state and projects it, returning only
// when the database has it (the API's read-your-writes). notices, when
// given, queues the notifications the transition sends (with notify); it
// runs once the new state and seq are in place. The caller holds the mutex
// (acquire). If recording fails for good the state is put back and the
// notifications dropped, so the workflow never claims what the projection
// does not show.
func (w *proposalWorkflow) record(ctx workflow.Context, action string, actor domain.Actor, comment string, payload any, reservation *domain.Reservation, next domain.Proposal, notices func()) error {
	prev, prevSeq, prevReminder := w.st.Proposal, w.st.Seq, w.st.ReminderSent
	now := workflow.Now(ctx)
	var raw json.RawMessage
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return refusal(domain.Errorf(domain.EINTERNAL, "Terjadi kesalahan internal."))
		}
		raw = b
	}
	if next.Stage != prev.Stage && action != EventEscalate {
		next.Overdue = false
	}
	next.DueAt = DueAt(next.Stage, w.st.Calendar)
	next.Version = prev.Version + 1
	next.UpdatedAt = now
	w.st.Seq++
	ev := domain.ProposalEvent{
		ProposalID: next.ID, Seq: w.st.Seq, Action: action, FromStage: prev.Stage, ToStage: next.Stage,
		Actor: actor, Comment: comment, Payload: raw, At: now,
	}
	w.st.Proposal = next
	var err error
	if w.localProjection(ctx) {
		ev.TransitionID = transitionID(ctx, action, ev.Seq)
		in := activities.RecordTransitionInput{Proposal: next, Event: ev, Reservation: reservation}
		if notices != nil {
			mark := len(w.st.Pending)
			notices()
			for _, n := range w.st.Pending[mark:] {
				in.Notifications = append(in.Notifications, n.Notification)
			}
			w.st.Pending = w.st.Pending[:mark]
		}
		err = w.execute(ctx, acts.RecordTransition, in).Get(ctx, nil)
	} else {
		err = w.execute(ctx, acts.RecordTransition, activities.RecordTransitionInput{Proposal: next, Event: ev, Reservation: reservation}).Get(ctx, nil)
		if err == nil && notices != nil {
			notices()
		}
	}
	if err != nil {
		w.st.Proposal, w.st.Seq, w.st.ReminderSent = prev, prevSeq, prevReminder
		if de, ok := AsDomainError(err).(*domain.Error); ok && reservation != nil {
			return refusal(de) // the ceiling refused the amount; nothing was written
		}
		workflow.GetLogger(ctx).Error("record transition failed", "proposal_id", next.ID, "action", action, "error", err)
		return refusal(domain.Errorf(domain.EINTERNAL, "Perubahan usulan gagal disimpan; coba lagi nanti."))
	}
	w.changed.SendAsync(struct{}{})
	return nil
}

// execute runs a projection activity (RecordTransition, ReserveCeiling)
// with unlimited attempts: a database or cycle outage delays the answer,
// it does not lose the decision. It is a local activity in workflows of
// versionLocalProjection, an activity of its own in those before.
//
// activity is a method value of acts (a nil *Activities): Temporal runs the
// method registered under the same name on the worker's Activities.
func (w *proposalWorkflow) execute(ctx workflow.Context, activity, in any) workflow.Future {
	if w.localProjection(ctx) {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: recordRetry})
		return workflow.ExecuteLocalActivity(lctx, activity, in)
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: recordRetry})
	return workflow.ExecuteActivity(actx, activity, in)
}

// transitionID names the decision behind a transition: the Update's ID
// when a person made it, else what the clock or the cycle did at that seq.
func transitionID(ctx workflow.Context, action string, seq int64) string {
	if id, _ := ctx.Value(updateIDKey{}).(string); id != "" {
		return "update:" + id
	}
	return fmt.Sprintf("%s@%d", action, seq)
}

// updateIDKey carries the Update's ID in the context of its handler
// (GetCurrentUpdateInfo panics outside one, and record serves both).
type updateIDKey struct{}

func handlerContext(ctx workflow.Context) workflow.Context {
	return workflow.WithValue(ctx, updateIDKey{}, workflow.GetCurrentUpdateInfo(ctx).ID)
}

// noticeCreator tells the creator that someone else moved their proposal.
func (w *proposalWorkflow) noticeCreator(ctx workflow.Context, actor domain.Actor, comment string) {
	p := w.st.Proposal
	if actor.Username == p.CreatedBy {
		return
	}
	msg := fmt.Sprintf("Usulan %q kini pada tahap %s (oleh %s).", p.Title, p.Stage.Label(), actor.Username)
	if comment != "" {
		msg += " Komentar: " + comment
	}
	w.notify(ctx, NoticeStageChanged, p.CreatedBy, "", "", "Tahap usulan berubah", msg)
}

// notify queues a notification; the notifier coroutine delivers it. Its ID
// is fixed by the proposal, the seq and the kind, so a redelivery (a retry,
// a continue-as-new) is a no-op.
func (w *proposalWorkflow) notify(ctx workflow.Context, kind, username string, role domain.Role, scope, subject, msg string) {
	p := w.st.Proposal
	w.st.Pending = append(w.st.Pending, activities.NotifyInput{
		Notification: domain.Notification{
			ID: fmt.Sprintf("%s/%d/%s", p.ID, w.st.Seq, kind), RecipientUsername: username, RecipientRole: role,
			RecipientScope: scope, ProposalID: p.ID, Kind: kind, Message: msg, CreatedAt: workflow.Now(ctx),
			Seq: w.st.Seq, Subject: "[rencana] " + subject,
		},
	})
}

// notifier delivers queued notifications one by one, off the Updates' path
// so a slow mailer never delays an answer.
func (w *proposalWorkflow) notifier(ctx workflow.Context) {
	nctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return len(w.st.Pending) > 0 }); err != nil {
			return
		}
		n := w.st.Pending[0]
		var f workflow.Future
		if w.localProjection(ctx) {
			f = workflow.ExecuteLocalActivity(lctx, acts.Notify, n)
		} else {
			f = workflow.ExecuteActivity(nctx, acts.Notify, n)
		}
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("notification dropped", "id", n.Notification.ID, "error", err)
		}
		w.st.Pending = w.st.Pending[1:]
	}
}

// deadline is a moment of the calendar the workflow acts on by itself.
type deadline struct {
	Kind string // EventExpire, NoticeReviewReminder or EventEscalate
	At   time.Time
}

func (d deadline) equal(o deadline) bool { return d.Kind == o.Kind && d.At.Equal(o.At) }

// nextDeadline is the next thing the clock will do to this proposal, nil
// when nothing: expiry of a draft, the reminder then the escalation of a
// review.
func (w *proposalWorkflow) nextDeadline(now time.Time) *deadline {
	d := w.clockDeadline(now)
	if d != nil && d.At.Before(w.retryAfter) {
		d.At = w.retryAfter
	}
	return d
}

func (w *proposalWorkflow) clockDeadline(now time.Time) *deadline {
	p, cal := w.st.Proposal, w.st.Calendar
	if w.remindAll && p.Stage != domain.StageKabKotaReview && w.st.RemindedStage != p.Stage && w.reminderDue(p) {
		if due := DueAt(p.Stage, cal); due != nil && now.Before(*due) {
			return &deadline{NoticeDeadlineReminder, due.Add(-ReminderBefore)}
		}
	}
	switch p.Stage {
	case domain.StageDraft:
		if cal.SubmissionDeadline.IsZero() {
			return nil
		}
		return &deadline{EventExpire, cal.SubmissionDeadline}
	case domain.StageKabKotaReview:
		if cal.ReviewDeadline.IsZero() || p.Overdue {
			return nil
		}
		if !w.st.ReminderSent && now.Before(cal.ReviewDeadline) {
			return &deadline{NoticeReviewReminder, cal.ReviewDeadline.Add(-ReminderBefore)}
		}
		return &deadline{EventEscalate, cal.ReviewDeadline}
	}
	return nil
}

// versionDeadlineReminders marks the workflows that remind before every
// stage's deadline (NoticeDeadlineReminder).
const versionDeadlineReminders = "deadline-reminders"

// reminderDue says whether p's stage still waits for someone: a
// consolidated proposal waits only for the lock, not its planner.
func (w *proposalWorkflow) reminderDue(p domain.Proposal) bool {
	switch p.Stage {
	case domain.StageDraft, domain.StageRakorda, domain.StageMinistry, domain.StageSIPDMapping:
		return true
	case domain.StageConsolidation:
		return !p.Consolidated
	}
	return false
}

// remindDeadline tells whoever acts in p's stage that its deadline nears.
func (w *proposalWorkflow) remindDeadline(ctx workflow.Context, p domain.Proposal) {
	due := DueAt(p.Stage, w.st.Calendar)
	if due == nil {
		return
	}
	province := domain.RegionProvince(p.RegionCode)
	kabkota := domain.PemdaLevelOf(p.RegionCode) == domain.PemdaKabKota
	var role domain.Role
	scope := province
	var what string
	switch p.Stage {
	case domain.StageDraft:
		role, scope, what = domain.RolePerencanaKabKota, domain.RegionKabKota(p.RegionCode), "belum diajukan; batas pengajuan"
		if lvl, _ := domain.ParseRegionCode(p.RegionCode); lvl == domain.LevelKecamatan {
			role, scope = domain.RoleCamat, p.RegionCode
		}
		w.notify(ctx, NoticeDeadlineReminderOwner, p.CreatedBy, "", "", "Pengingat batas pengajuan",
			fmt.Sprintf("Draf usulan %q (%s) belum diajukan; batas pengajuan %s.", p.Title, p.RegionCode, day(*due)))
	case domain.StageRakorda:
		role, what = domain.RoleKadisProvinsi, "menunggu keputusan Rakorda; Rakorda berakhir"
	case domain.StageConsolidation:
		role, what = domain.RolePerencanaProvinsi, "belum dikonsolidasi; batas konsolidasi"
	case domain.StageMinistry:
		role, what = domain.RolePenghubungKementrian, "menunggu jawaban Kementerian; batas"
	case domain.StageSIPDMapping:
		role, what = domain.RolePerencanaProvinsi, "belum dipetakan ke SIPD; batas pemetaan"
		if kabkota {
			role, scope = domain.RolePerencanaKabKota, domain.RegionKabKota(p.RegionCode)
		}
	default:
		return
	}
	w.notify(ctx, NoticeDeadlineReminder, "", role, scope, "Pengingat tenggat usulan",
		fmt.Sprintf("Usulan %q (%s) %s %s.", p.Title, p.RegionCode, what, day(*due)))
}

// onDeadline does what the clock asks, after any transition in flight.
func (w *proposalWorkflow) onDeadline(ctx workflow.Context, d deadline) error {
	if err := w.acquire(ctx, nil); err != nil {
		return err
	}
	defer w.release()
	// An Update may have moved the proposal while we waited.
	now := workflow.Now(ctx)
	if cur := w.nextDeadline(now); cur == nil || !cur.equal(d) || now.Before(d.At) {
		return nil
	}
	p := w.st.Proposal
	switch d.Kind {
	case EventExpire:
		next := p
		next.Stage = domain.StageExpired
		comment := fmt.Sprintf("Batas waktu pengajuan %s lewat sebelum usulan diajukan.", day(d.At))
		if err := w.record(ctx, EventExpire, SystemActor, comment, nil, nil, next, func() { w.noticeCreator(ctx, SystemActor, comment) }); err != nil {
			w.retryAfter = now.Add(time.Hour) // state restored; try again later
			return nil
		}
	case NoticeDeadlineReminder:
		w.st.RemindedStage = p.Stage
		w.remindDeadline(ctx, p)
	case NoticeReviewReminder:
		w.st.ReminderSent = true
		w.notify(ctx, NoticeReviewReminder, "", domain.RoleReviewerKabKota, domain.RegionKabKota(p.RegionCode), "Pengingat batas reviu",
			fmt.Sprintf("Usulan %q (%s) belum direviu; batas reviu %s.", p.Title, p.RegionCode, day(w.st.Calendar.ReviewDeadline)))
	case EventEscalate:
		next := p
		next.Overdue = true
		comment := fmt.Sprintf("Batas reviu %s lewat; diteruskan ke Kepala Dinas kab/kota.", day(d.At))
		escalated := func() {
			w.notify(ctx, NoticeReviewOverdue, "", domain.RoleKadisKabKota, domain.RegionKabKota(p.RegionCode), "Reviu usulan terlambat",
				fmt.Sprintf("Usulan %q (%s) melewati batas reviu %s dan belum diputuskan.", p.Title, p.RegionCode, day(d.At)))
		}
		if err := w.record(ctx, EventEscalate, SystemActor, comment, nil, nil, next, escalated); err != nil {
			w.retryAfter = now.Add(time.Hour)
			return nil
		}
	}
	return nil
}

// onCalendar takes the cycle's new dates: the timers follow on the next
// loop turn; a due date or overdue flag that changes is recorded.
func (w *proposalWorkflow) onCalendar(ctx workflow.Context, cal domain.Calendar) {
	if w.acquire(ctx, nil) != nil {
		return
	}
	defer w.release()
	now := workflow.Now(ctx)
	w.st.Calendar = cal
	p := w.st.Proposal
	if p.Stage.Terminal() {
		return
	}
	next := p
	if p.Stage == domain.StageKabKotaReview && now.Before(cal.ReviewDeadline) {
		next.Overdue = false
		if now.Before(cal.ReviewDeadline.Add(-ReminderBefore)) {
			w.st.ReminderSent = false
		}
	}
	due := DueAt(p.Stage, cal)
	if due != nil && now.Before(due.Add(-ReminderBefore)) {
		w.st.RemindedStage = "" // the deadline moved away: remind again
	}
	if next.Overdue == p.Overdue && sameTime(due, p.DueAt) {
		return
	}
	_ = w.record(ctx, EventReschedule, SystemActor, "Jadwal siklus berubah.", map[string]any{"calendar": cal}, nil, next, nil)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// armedTimer is the one deadline timer the loop keeps running.
type armedTimer struct {
	deadline deadline
	future   workflow.Future
	cancel   workflow.CancelFunc
}

func arm(ctx workflow.Context, d deadline, after time.Duration) *armedTimer {
	tctx, cancel := workflow.WithCancel(ctx)
	return &armedTimer{deadline: d, future: workflow.NewTimer(tctx, after), cancel: cancel}
}
