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

// Activities of KMP, called by their registered names.
// The KMP workflow calls its activities by their registered names. Called by
// method value (acts.RecordKMP, as the proposal workflow does), the
// Kutai Kartanegara end-to-end test hung on its first deadline: not yet
// understood, so the names stay until it is.
const (
	activityRecordKMP     = "RecordKMP"
	activityEnterRegister = "EnterRegister"
	activityStartKMPBatch = "StartKMPBatch"
)

// KMPWorkflow carries one desa/kelurahan's Koperasi Merah Putih from the
// musyawarah to operasional (see kmp_contract.go) and returns the final KMP.
// The bulk start wrote its first projection row; the workflow writes every
// later change.
func KMPWorkflow(ctx workflow.Context, in KMPInput) (KMP, error) {
	w := &kmpWorkflow{k: KMP{RegionCode: in.RegionCode, Name: in.Name, Deadlines: in.Deadlines, JobID: in.JobID,
		StartedAt: workflow.Now(ctx)}}
	w.k.NextDueAt = w.dueOf(w.k.Next())
	return w.run(ctx)
}

type kmpWorkflow struct {
	k            KMP
	reminderSent bool
	// busy is true while a change is being recorded: changes are recorded
	// one at a time, each on the state the previous one left.
	busy bool
	// changed wakes the loop after a milestone so it re-arms its timer.
	changed workflow.Channel
	// retryAfter holds the clock back after a deadline change failed to
	// record, so a persistent failure cannot spin.
	retryAfter time.Time
}

func (w *kmpWorkflow) run(ctx workflow.Context) (KMP, error) {
	w.changed = workflow.NewBufferedChannel(ctx, 1)
	if err := workflow.SetQueryHandler(ctx, QueryKMP, func() (KMP, error) { return w.k, nil }); err != nil {
		return KMP{}, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateKMPMilestone, w.milestone, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, req KMPMilestoneRequest) error {
			return refusal(CheckKMPMilestone(w.k, req, workflow.Now(ctx)))
		},
	}); err != nil {
		return KMP{}, err
	}
	for {
		if w.k.Reached >= len(domain.KMPSteps) {
			// Formed and operating: nothing is left to record.
			if err := workflow.Await(ctx, func() bool { return !w.busy && workflow.AllHandlersFinished(ctx) }); err != nil {
				return KMP{}, err
			}
			return w.k, nil
		}
		now := workflow.Now(ctx)
		kind, at := w.nextDeadline(now)
		if kind != "" && !at.After(now) {
			w.onDeadline(ctx, kind)
			continue
		}
		tctx, cancel := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		fired := false
		if kind != "" {
			sel.AddFuture(workflow.NewTimer(tctx, at.Sub(now)), func(f workflow.Future) { fired = f.Get(ctx, nil) == nil })
		}
		sel.AddReceive(w.changed, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		if !fired {
			cancel() // a milestone moved the deadline: re-arm
		}
	}
}

// dueOf is the deadline of milestone m, nil when it has none.
func (w *kmpWorkflow) dueOf(m domain.KMPMilestone) *time.Time {
	t, ok := w.k.Deadlines[m]
	if !ok || m == "" {
		return nil
	}
	t = t.UTC()
	return &t
}

// nextDeadline is what the clock does next and when: the reminder, the
// escalation to the camat at the deadline, then to the task force; "" when
// nothing (no deadline, or everyone has been told).
func (w *kmpWorkflow) nextDeadline(now time.Time) (string, time.Time) {
	due := w.dueOf(w.k.Next())
	if due == nil {
		return "", time.Time{}
	}
	var kind string
	var at time.Time
	switch {
	case w.k.Escalation == EscalatedSatgas:
		return "", time.Time{}
	case w.k.Escalation == EscalatedCamat:
		kind, at = KMPEventEscalate, due.Add(KMPEscalateAfter)
	case !w.reminderSent && now.Before(*due):
		kind, at = KMPEventReminder, due.Add(-KMPReminderBefore)
	default:
		kind, at = KMPEventLate, *due
	}
	if at.Before(w.retryAfter) {
		at = w.retryAfter
	}
	return kind, at
}

// onDeadline does what the clock asks and projects it with its notification.
func (w *kmpWorkflow) onDeadline(ctx workflow.Context, kind string) {
	if err := workflow.Await(ctx, func() bool { return !w.busy }); err != nil {
		return
	}
	now := workflow.Now(ctx)
	if k, at := w.nextDeadline(now); k != kind || at.After(now) {
		return // a milestone arrived meanwhile
	}
	w.busy = true
	defer func() { w.busy = false }()
	prev, prevReminder := w.k, w.reminderSent
	next := w.k
	step, _ := next.Next().Step()
	due := w.dueOf(next.Next())
	var note domain.Notification
	code := next.RegionCode
	switch kind {
	case KMPEventReminder:
		w.reminderSent = true
		note = domain.Notification{Kind: NoticeKMPReminder, RecipientRole: domain.RoleOperatorDesa, RecipientScope: code,
			Subject: "[rencana] Pengingat tahap KMP",
			Message: fmt.Sprintf("Tahap %s Koperasi Merah Putih %s (%s) jatuh tempo %s.", step.Label, next.Name, code, day(*due))}
	case KMPEventLate:
		w.reminderSent = true
		next.Late, next.Escalation = true, EscalatedCamat
		note = domain.Notification{Kind: NoticeKMPLate, RecipientRole: domain.RoleCamat, RecipientScope: domain.RegionParent(code),
			Subject: "[rencana] Tahap KMP terlambat",
			Message: fmt.Sprintf("Tahap %s Koperasi Merah Putih %s (%s) melewati batas %s dan belum dicatat.", step.Label, next.Name, code, day(*due))}
	case KMPEventEscalate:
		next.Escalation = EscalatedSatgas
		note = domain.Notification{Kind: NoticeKMPEscalate, RecipientRole: domain.RoleSatgasKMP, RecipientScope: domain.RegionKabKota(code),
			Subject: "[rencana] Tahap KMP terlambat (eskalasi satgas)",
			Message: fmt.Sprintf("Tahap %s Koperasi Merah Putih %s (%s) terlambat sejak %s; camat sudah diberi tahu.", step.Label, next.Name, code, day(*due))}
	}
	payload := map[string]any{"milestone": step.Milestone, "due_at": due}
	if _, err := w.record(ctx, kind, SystemActor, payload, next, &note, nil); err != nil {
		w.k, w.reminderSent = prev, prevReminder
		w.retryAfter = now.Add(time.Hour)
	}
}

// milestone is the handler of the milestone Update.
func (w *kmpWorkflow) milestone(ctx workflow.Context, req KMPMilestoneRequest) (KMP, error) {
	ctx = handlerContext(ctx)
	if w.busy {
		if err := workflow.Await(ctx, func() bool { return !w.busy }); err != nil {
			return KMP{}, err
		}
		// An Update that waited with this one may have gone first.
		if de := CheckKMPMilestone(w.k, req, workflow.Now(ctx)); de != nil {
			return KMP{}, refusal(de)
		}
	}
	w.busy = true
	defer func() { w.busy = false }()
	prev, prevReminder := w.k, w.reminderSent
	now := workflow.Now(ctx)
	next := w.k
	next.Records = append(append([]activities.KMPRecord{}, w.k.Records...),
		activities.KMPRecord{Milestone: req.Milestone, Fields: req.Fields, Actor: req.Actor, At: now, Imported: req.Imported})
	next.Reached++
	next.Late, next.Escalation = false, ""
	next.NextDueAt = w.dueOf(next.Next())
	var check []domain.KMPUnit
	if req.Milestone == domain.KMPOperasional {
		check = req.Fields.Units
	}
	w.reminderSent = false
	res, err := w.record(ctx, string(req.Milestone), req.Actor, req.Fields, next, nil, check)
	if err != nil {
		w.k, w.reminderSent = prev, prevReminder
		return KMP{}, err
	}
	w.k.Warnings = res.Warnings
	if req.Milestone == domain.KMPBadanHukum {
		w.enterRegister(ctx, req.Fields)
	}
	w.changed.SendAsync(struct{}{})
	return w.k, nil
}

// enterRegister hands the new koperasi to the register. A failure is
// logged, never a refused milestone: the SK AHU exists whatever the
// register says.
func (w *kmpWorkflow) enterRegister(ctx workflow.Context, f domain.KMPFields) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5}})
	in := activities.EnterRegisterInput{Registration: KMPRegistrationOf(w.k, f)}
	if err := workflow.ExecuteLocalActivity(lctx, activityEnterRegister, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("kmp not entered into the register", "region_code", w.k.RegionCode, "error", err)
	}
}

// record makes next the KMP's state and projects it, with its event and
// notification, returning once the database has it. On failure the caller
// restores the state.
func (w *kmpWorkflow) record(ctx workflow.Context, action string, actor domain.Actor, payload any, next KMP,
	note *domain.Notification, check []domain.KMPUnit) (activities.RecordKMPResult, error) {
	now := workflow.Now(ctx)
	raw, err := json.Marshal(payload)
	if err != nil {
		return activities.RecordKMPResult{}, refusal(domain.Errorf(domain.EINTERNAL, "Terjadi kesalahan internal."))
	}
	next.Seq++
	next.UpdatedAt = now
	w.k = next
	in := activities.RecordKMPInput{KMP: next, CheckUnits: check, Event: activities.KMPEvent{RegionCode: next.RegionCode,
		Seq: next.Seq, Action: action, Actor: actor, Payload: raw, TransitionID: transitionID(ctx, action, next.Seq), At: now}}
	if note != nil {
		note.ID = fmt.Sprintf("kmp/%s/%d/%s", next.RegionCode, next.Seq, note.Kind)
		note.CreatedAt = now
		in.Notifications = []domain.Notification{*note}
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: recordRetry})
	var res activities.RecordKMPResult
	if err := workflow.ExecuteLocalActivity(lctx, activityRecordKMP, in).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Error("record kmp failed", "region_code", next.RegionCode, "action", action, "error", err)
		return res, refusal(domain.Errorf(domain.EINTERNAL, "Perubahan KMP gagal disimpan; coba lagi nanti."))
	}
	return res, nil
}

// KMPStartWorkflow starts the KMP workflows of a job's region page by page
// (StartKMPBatch), each page an activity that heartbeats its progress and
// writes the job's counts, so a crashed worker's page is resumed and the
// user follows the job in the database. It returns the finished job.
func KMPStartWorkflow(ctx workflow.Context, in KMPStartInput) (activities.KMPStartJob, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	job := in.Job
	for {
		var res activities.KMPStartBatchResult
		if err := workflow.ExecuteActivity(actx, activityStartKMPBatch, activities.KMPStartBatchInput{Job: job, Limit: in.Page}).Get(ctx, &res); err != nil {
			return job, err
		}
		job = res.Job
		if res.Done {
			return job, nil
		}
	}
}
