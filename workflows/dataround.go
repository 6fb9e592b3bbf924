package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// DataRoundWorkflow is one kab/kota's data round for one year (see
// dataround_contract.go). It runs while the round matters: after
// acceptance it still answers queries and the province's reopen. It
// continues as new with its whole state when Temporal suggests it.
//
// Determinism: as for the other workflows, a change to what this code does
// with an existing history must be wrapped in workflow.GetVersion.
// Validators are not replayed and may change freely.
func DataRoundWorkflow(ctx workflow.Context, in DataRoundInput) (DataRound, error) {
	return newDataRoundWorkflow(in).run(ctx)
}

type dataRoundWorkflow struct {
	region string
	year   int
	st     DataRoundState
	// busy serializes recorded changes, as in proposalWorkflow.
	busy bool
	// retryAfter holds the clock back after a timed change failed to
	// record, so a persistent failure cannot spin.
	retryAfter time.Time
	// changed wakes the main loop after a change so it re-arms its timer.
	changed workflow.Channel
}

func newDataRoundWorkflow(in DataRoundInput) *dataRoundWorkflow {
	w := &dataRoundWorkflow{region: in.Region, year: in.Year}
	if in.State != nil {
		w.st = *in.State
	}
	return w
}

// roundDeadline is what the clock will do next: remind, or mark overdue.
type roundDeadline struct {
	Kind string // NoticeRoundReminder or DataRoundEventOverdue
	At   time.Time
}

func (w *dataRoundWorkflow) run(ctx workflow.Context) (DataRound, error) {
	w.changed = workflow.NewBufferedChannel(ctx, 1)
	if err := w.register(ctx); err != nil {
		return DataRound{}, err
	}
	if !w.st.Created {
		ok, err := workflow.AwaitWithTimeout(ctx, CreateTimeout, func() bool { return w.st.Created })
		if err != nil {
			return DataRound{}, err
		}
		if !ok {
			workflow.GetLogger(ctx).Info("data round never opened; ending", "region", w.region, "year", w.year)
			return DataRound{}, nil
		}
	}
	for {
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return !w.busy && workflow.AllHandlersFinished(ctx) }); err != nil {
				return DataRound{}, err
			}
			st := w.st
			return DataRound{}, workflow.NewContinueAsNewError(ctx, DataRoundWorkflowName, DataRoundInput{Region: w.region, Year: w.year, State: &st})
		}
		now := workflow.Now(ctx)
		d := w.nextDeadline(now)
		if d != nil && !d.At.After(now) {
			if err := w.onDeadline(ctx, *d); err != nil {
				return DataRound{}, err
			}
			continue
		}
		sel := workflow.NewSelector(ctx)
		var cancel workflow.CancelFunc = func() {}
		fired := false
		if d != nil {
			var tctx workflow.Context
			tctx, cancel = workflow.WithCancel(ctx)
			sel.AddFuture(workflow.NewTimer(tctx, d.At.Sub(now)), func(f workflow.Future) { fired = f.Get(ctx, nil) == nil })
		}
		sel.AddReceive(w.changed, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		cancel()
		if fired {
			if err := w.onDeadline(ctx, *d); err != nil {
				return DataRound{}, err
			}
		}
	}
}

func (w *dataRoundWorkflow) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, DataRoundQueryState, func() (DataRound, error) {
		if !w.st.Created {
			return DataRound{}, refusal(domain.Errorf(domain.ENOTFOUND, "Putaran data belum dibuka."))
		}
		return w.st.Round, nil
	}); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DataRoundUpdateOpen, w.open, workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, req OpenRoundRequest) error {
			return refusal(checkRoundOpen(&w.st, w.region, w.year, req, workflow.Now(ctx)))
		},
	}); err != nil {
		return fmt.Errorf("register open: %w", err)
	}
	for _, action := range domain.RoundActions {
		err := workflow.SetUpdateHandlerWithOptions(ctx, string(action),
			func(ctx workflow.Context, req RoundActionRequest) (DataRound, error) { return w.act(ctx, action, req) },
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req RoundActionRequest) error {
				return refusal(checkRoundAct(&w.st, action, req, workflow.Now(ctx)))
			}})
		if err != nil {
			return fmt.Errorf("register %s: %w", action, err)
		}
	}
	return nil
}

// checkRoundOpen validates the open Update: a province's actor whose scope
// covers the kab/kota, a due date in the future; an accepted round's due
// date no longer moves.
func checkRoundOpen(st *DataRoundState, region string, year int, req OpenRoundRequest, now time.Time) *domain.Error {
	if err := checkRoundActor(req.Actor, region); err != nil {
		return err
	}
	if lvl, err := domain.ParseRegionCode(region); err != nil || lvl != domain.LevelKabKota {
		return domain.Errorf(domain.EINVALID, "Putaran data dibuka per kab/kota, bukan untuk %q.", region)
	}
	var v domain.Validation
	if req.DueAt.IsZero() || !req.DueAt.After(now) {
		v.Add("due_at", "Batas waktu harus setelah sekarang.")
	}
	if year < 2000 || year > now.UTC().Year() {
		v.Add("year", "Putaran data tahun %d tidak dapat dibuka pada tahun %d.", year, now.UTC().Year())
	}
	if err := v.Err(); err != nil {
		return asDomain(err)
	}
	if st.Created && st.Round.Status == domain.RoundAccepted {
		return domain.Errorf(domain.ECONFLICT, "Putaran data %s tahun %d sudah diterima; buka revisi baru untuk mengubahnya.", region, year)
	}
	return nil
}

// checkRoundAct validates a decision by the one table (domain.RoundTable)
// and the actor's scope.
func checkRoundAct(st *DataRoundState, action domain.RoundAction, req RoundActionRequest, now time.Time) *domain.Error {
	if !st.Created {
		return domain.Errorf(domain.ENOTFOUND, "Putaran data belum dibuka.")
	}
	if err := checkRoundActor(req.Actor, st.Round.Region); err != nil {
		return err
	}
	if _, err := domain.CheckRoundAction(st.Round.Status, action, req.Actor, strings.TrimSpace(req.Comment)); err != nil {
		return err
	}
	if req.DueAt != nil && (action != domain.RoundReopen || !req.DueAt.After(now)) {
		return domain.Errorf(domain.EINVALID, "Batas waktu baru hanya untuk aksi reopen dan harus setelah sekarang.")
	}
	return nil
}

func checkRoundActor(actor domain.Actor, region string) *domain.Error {
	if actor.Username == "" {
		return domain.Errorf(domain.EFORBIDDEN, "Pelaku aksi tidak dikenal.")
	}
	if actor.Scope != "" && !domain.ScopeCovers(actor.Scope, region) {
		return domain.Errorf(domain.EFORBIDDEN, "Wilayah %s di luar cakupan %s.", region, actor.Scope)
	}
	return nil
}

func (w *dataRoundWorkflow) acquire(ctx workflow.Context, recheck func() *domain.Error) error {
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

func (w *dataRoundWorkflow) release() { w.busy = false }

func (w *dataRoundWorkflow) open(ctx workflow.Context, req OpenRoundRequest) (DataRound, error) {
	ctx = handlerContext(ctx)
	if err := w.acquire(ctx, func() *domain.Error { return checkRoundOpen(&w.st, w.region, w.year, req, workflow.Now(ctx)) }); err != nil {
		return DataRound{}, err
	}
	defer w.release()
	now := workflow.Now(ctx)
	due := req.DueAt.UTC()
	if w.st.Created && w.st.Round.DueAt.Equal(due) {
		return w.st.Round, nil // opened again with the same date: nothing changes
	}
	next := w.st.Round
	action := DataRoundEventDue
	if !w.st.Created {
		next = DataRound{Region: w.region, Year: w.year, Revision: 1, Status: domain.RoundOpen}
		action = DataRoundEventOpen
	}
	next.DueAt = due
	next.Overdue = false
	created, reminded := w.st.Created, w.st.ReminderSent
	w.st.Created = true
	if now.Before(due.Add(-RoundReminderBefore)) {
		w.st.ReminderSent = false
	}
	notes := []domain.Notification{w.note(ctx, NoticeRoundOpened, domain.RoleOperatorData, w.region, "Putaran data koperasi dibuka",
		fmt.Sprintf("Putaran data koperasi %s tahun %d terbuka; ajukan sebelum %s.", w.region, w.year, day(due)))}
	if err := w.record(ctx, action, req.Actor, "", next, notes); err != nil {
		w.st.Created, w.st.ReminderSent = created, reminded
		return DataRound{}, err
	}
	return w.st.Round, nil
}

func (w *dataRoundWorkflow) act(ctx workflow.Context, action domain.RoundAction, req RoundActionRequest) (DataRound, error) {
	ctx = handlerContext(ctx)
	if err := w.acquire(ctx, func() *domain.Error { return checkRoundAct(&w.st, action, req, workflow.Now(ctx)) }); err != nil {
		return DataRound{}, err
	}
	defer w.release()
	t, _ := domain.RoundStep(w.st.Round.Status, action)
	comment := strings.TrimSpace(req.Comment)
	next := w.st.Round
	next.Status = t.To
	next.Comment = comment
	if t.NewRevision {
		next.Revision++
		if req.DueAt != nil {
			next.DueAt = req.DueAt.UTC()
		}
	}
	if !next.Status.Editable() {
		next.Overdue = false
	}
	reminded := w.st.ReminderSent
	if t.NewRevision && workflow.Now(ctx).Before(next.DueAt.Add(-RoundReminderBefore)) {
		w.st.ReminderSent = false
	}
	msg := fmt.Sprintf("Putaran data koperasi %s tahun %d (revisi %d) kini %s (oleh %s).", w.region, w.year, next.Revision, next.Status.Label(), req.Actor.Username)
	if comment != "" {
		msg += " Komentar: " + comment
	}
	// Who acts next hears of it; the operator hears of every decision.
	var notes []domain.Notification
	switch next.Status {
	case domain.RoundSubmitted:
		notes = append(notes, w.note(ctx, NoticeRoundChanged, domain.RoleKadisKabKota, w.region, "Putaran data menunggu verifikasi", msg))
	case domain.RoundVerified:
		notes = append(notes, w.note(ctx, NoticeRoundChanged, domain.RolePerencanaProvinsi, domain.RegionProvince(w.region), "Putaran data menunggu penerimaan", msg))
	}
	if action != domain.RoundSubmit {
		notes = append(notes, w.note(ctx, NoticeRoundChanged+"_operator", domain.RoleOperatorData, w.region, "Status putaran data berubah", msg))
	}
	if err := w.record(ctx, string(action), req.Actor, comment, next, notes); err != nil {
		w.st.ReminderSent = reminded
		return DataRound{}, err
	}
	return w.st.Round, nil
}

// nextDeadline is what the clock does next to an editable round not yet
// overdue: the reminder, then the due date.
func (w *dataRoundWorkflow) nextDeadline(now time.Time) *roundDeadline {
	r := w.st.Round
	if !w.st.Created || !r.Status.Editable() || r.Overdue || r.DueAt.IsZero() {
		return nil
	}
	d := &roundDeadline{Kind: DataRoundEventOverdue, At: r.DueAt}
	if !w.st.ReminderSent && now.Before(r.DueAt) {
		d = &roundDeadline{Kind: NoticeRoundReminder, At: r.DueAt.Add(-RoundReminderBefore)}
	}
	if d.At.Before(w.retryAfter) {
		d.At = w.retryAfter
	}
	return d
}

func (w *dataRoundWorkflow) onDeadline(ctx workflow.Context, d roundDeadline) error {
	if err := w.acquire(ctx, nil); err != nil {
		return err
	}
	defer w.release()
	now := workflow.Now(ctx)
	if cur := w.nextDeadline(now); cur == nil || cur.Kind != d.Kind || !cur.At.Equal(d.At) || now.Before(d.At) {
		return nil // a change moved it while we waited
	}
	r := w.st.Round
	next := r
	var notes []domain.Notification
	switch d.Kind {
	case NoticeRoundReminder:
		w.st.ReminderSent = true
		notes = append(notes, w.note(ctx, NoticeRoundReminder, domain.RoleOperatorData, w.region, "Pengingat batas putaran data",
			fmt.Sprintf("Putaran data koperasi %s tahun %d belum diajukan; batas waktu %s.", w.region, w.year, day(r.DueAt))))
	case DataRoundEventOverdue:
		next.Overdue = true
		msg := fmt.Sprintf("Putaran data koperasi %s tahun %d melewati batas %s dan belum diajukan.", w.region, w.year, day(r.DueAt))
		notes = append(notes,
			w.note(ctx, NoticeRoundOverdue, domain.RoleKadisKabKota, w.region, "Putaran data terlambat", msg),
			w.note(ctx, NoticeRoundOverdue+"_provinsi", domain.RolePerencanaProvinsi, domain.RegionProvince(w.region), "Putaran data terlambat", msg))
	}
	if err := w.record(ctx, d.Kind, SystemActor, "", next, notes); err != nil {
		if d.Kind == NoticeRoundReminder {
			w.st.ReminderSent = false
		}
		w.retryAfter = now.Add(time.Hour)
	}
	return nil
}

// note builds a notification of this round's next seq to the holders of
// role in scope; its ID is fixed by the round, seq and kind, so a retry
// stores it once.
func (w *dataRoundWorkflow) note(ctx workflow.Context, kind string, role domain.Role, scope, subject, msg string) domain.Notification {
	seq := w.st.Seq + 1
	return domain.Notification{
		ID:            fmt.Sprintf("%s/%d/%s", DataRoundWorkflowID(w.region, w.year), seq, kind),
		RecipientRole: role, RecipientScope: scope, Kind: kind, Message: msg,
		CreatedAt: workflow.Now(ctx), Subject: "[rencana] " + subject,
	}
}

// record makes next the round's state and projects it with its event and
// notifications, answering only once the database has them. The caller
// holds the mutex. On a failure the state is put back.
func (w *dataRoundWorkflow) record(ctx workflow.Context, action string, actor domain.Actor, comment string, next DataRound, notes []domain.Notification) error {
	prev, prevSeq := w.st.Round, w.st.Seq
	now := workflow.Now(ctx)
	w.st.Seq++
	next.Version = w.st.Seq
	next.UpdatedAt = now
	ev := activities.DataRoundEvent{
		Region: w.region, Year: w.year, Seq: w.st.Seq, Action: action, FromStatus: prev.Status, ToStatus: next.Status,
		Revision: next.Revision, Actor: actor, Comment: comment, TransitionID: transitionID(ctx, action, w.st.Seq), At: now,
	}
	w.st.Round = next
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: recordRetry})
	err := workflow.ExecuteLocalActivity(lctx, acts.RecordDataRound, activities.RecordDataRoundInput{Round: next, Event: ev, Notifications: notes}).Get(ctx, nil)
	if err != nil {
		w.st.Round, w.st.Seq = prev, prevSeq
		workflow.GetLogger(ctx).Error("record data round failed", "region", w.region, "year", w.year, "action", action, "error", err)
		return refusal(domain.Errorf(domain.EINTERNAL, "Perubahan putaran data gagal disimpan; coba lagi nanti."))
	}
	w.changed.SendAsync(struct{}{})
	return nil
}
