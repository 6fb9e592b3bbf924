package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// KMP is the projection of a Koperasi Merah Putih workflow (store.KMP).
type KMP = store.KMP

// KMPRecord is one recorded milestone.
type KMPRecord = store.KMPRecord

// KMPEvent is one line of a KMP's audit trail.
type KMPEvent = store.KMPEvent

// KMPStartJob is a bulk start and its progress.
type KMPStartJob = store.KMPStartJob

// KMPStore is what the KMP activities need from the database; *store.DB
// implements it.
type KMPStore interface {
	RecordKMP(ctx context.Context, k store.KMP, ev store.KMPEvent, notes ...domain.Notification) (bool, error)
	InsertKMPStarts(ctx context.Context, ks []store.KMP) (int64, error)
	ListKMP(ctx context.Context, q store.KMPQuery) ([]store.KMP, error)
	DesaUnder(ctx context.Context, region, after string, limit int) ([]store.Region, error)
	SaveKMPStartJob(ctx context.Context, j store.KMPStartJob) error
	GetKMPStartJob(ctx context.Context, id string) (store.KMPStartJob, error)
	ListBUMDesBusinesses(ctx context.Context, prefix string, activeOnly bool) ([]store.BUMDesBusiness, error)
}

var _ KMPStore = (*store.DB)(nil)

// KoperasiRegister is the koperasi register (DESIGN.md, "Register"): a KMP
// that obtains its badan hukum enters it, so nobody types it twice. The
// register is its own feature; whoever builds the worker passes its store
// here (Activities.Register). EnterKMP must be idempotent on the badan
// hukum number: Temporal may call it again after a lost answer.
type KoperasiRegister interface {
	EnterKMP(ctx context.Context, r domain.KMPRegistration) error
}

// KMPStart is the input of one KMP workflow (workflows.KMPInput): the
// desa/kelurahan, its deadlines and the bulk start that started it.
type KMPStart struct {
	RegionCode string              `json:"region_code"`
	Name       string              `json:"name"`
	Deadlines  domain.KMPDeadlines `json:"deadlines"`
	JobID      string              `json:"job_id"`
}

// KMPStarter starts KMP workflows; workflows.Driver implements it over a
// Temporal client. started is false when a workflow of that desa already
// exists (running, or finished and still known to Temporal).
type KMPStarter interface {
	StartKMP(ctx context.Context, in KMPStart) (started bool, err error)
}

// RecordKMPInput is a KMP's snapshot after a change, the event that
// describes it and the notifications it sends. CheckUnits, on operasional,
// asks for the BUMDes overlap warnings to be computed and stored with it.
type RecordKMPInput struct {
	KMP           KMP                   `json:"kmp"`
	Event         KMPEvent              `json:"event"`
	Notifications []domain.Notification `json:"notifications,omitempty"`
	CheckUnits    []domain.KMPUnit      `json:"check_units,omitempty"`
}

// RecordKMPResult says whether this call wrote the change, and which
// BUMDes overlap warnings it stored.
type RecordKMPResult struct {
	Recorded bool     `json:"recorded"`
	Warnings []string `json:"warnings,omitempty"`
}

// RecordKMP projects one change of a KMP into the database (idempotent on
// region and seq). For operasional it first compares the units with the
// desa's active BUMDes businesses: the warnings go into the snapshot, so
// the API's answer and every later read show them.
func (a *Activities) RecordKMP(ctx context.Context, in RecordKMPInput) (RecordKMPResult, error) {
	if a.KMP == nil {
		return RecordKMPResult{}, errNotWired
	}
	k := in.KMP
	if len(in.CheckUnits) > 0 {
		ws, err := a.bumdesOverlap(ctx, k.RegionCode, in.CheckUnits)
		if err != nil {
			return RecordKMPResult{}, err
		}
		k.Warnings = ws
	}
	ok, err := a.KMP.RecordKMP(ctx, k, in.Event, in.Notifications...)
	if err != nil {
		return RecordKMPResult{}, classify(err)
	}
	return RecordKMPResult{Recorded: ok, Warnings: k.Warnings}, nil
}

// bumdesOverlap names every planned unit whose keywords (domain.KMPUnits)
// meet an active business of the desa's BUMDes, by its keywords or its
// description: the rule that the koperasi does not enter a business the
// BUMDes already runs is a warning to weigh, not a refusal.
func (a *Activities) bumdesOverlap(ctx context.Context, desa string, units []domain.KMPUnit) ([]string, error) {
	bs, err := a.KMP.ListBUMDesBusinesses(ctx, desa, true)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range units {
		info, _ := u.Info()
		for _, b := range bs {
			if b.RegionCode != desa || !overlaps(info.Keywords, b) {
				continue
			}
			out = append(out, fmt.Sprintf("Unit %s bersinggungan dengan usaha %s yang sudah dijalankan %s; pertimbangkan kemitraan, bukan persaingan.",
				info.Label, b.Business, b.Name))
		}
	}
	return out, nil
}

func overlaps(unitKeywords []string, b store.BUMDesBusiness) bool {
	text := strings.ToLower(b.Business + " " + strings.Join(b.Keywords, " "))
	for _, kw := range unitKeywords {
		if strings.Contains(text, kw) {
			return true
		}
	}
	for _, bk := range b.Keywords {
		bk = strings.ToLower(strings.TrimSpace(bk))
		for _, kw := range unitKeywords {
			if bk != "" && strings.Contains(kw, bk) {
				return true
			}
		}
	}
	return false
}

// EnterRegisterInput is the koperasi a KMP became at badan hukum.
type EnterRegisterInput struct {
	Registration domain.KMPRegistration `json:"registration"`
}

// EnterRegister puts a KMP that obtained its badan hukum into the koperasi
// register. Without a register wired (Activities.Register nil) it records
// nothing and logs, so KMP formation does not wait for the register.
func (a *Activities) EnterRegister(ctx context.Context, in EnterRegisterInput) error {
	if a.Register == nil {
		activity.GetLogger(ctx).Warn("koperasi register not wired; KMP not entered", "region_code", in.Registration.RegionCode,
			"badan_hukum_no", in.Registration.BadanHukumNo)
		return nil
	}
	if err := a.Register.EnterKMP(ctx, in.Registration); err != nil {
		return classify(fmt.Errorf("enter kmp %s into the register: %w", in.Registration.RegionCode, err))
	}
	return nil
}

// KMPStartBatchInput asks for the next page of a bulk start: the desa
// under Region after the cursor After. Job carries the counts so far, which
// the activity adds to and writes back to the job's row.
type KMPStartBatchInput struct {
	Job   KMPStartJob `json:"job"`
	Limit int         `json:"limit"`
}

// KMPStartBatchResult is the job after the page; Done when no desa is left.
type KMPStartBatchResult struct {
	Job  KMPStartJob `json:"job"`
	Done bool        `json:"done"`
}

// KMPStartConcurrency is how many workflow starts one batch has in flight.
const KMPStartConcurrency = 32

// KMPStartPage is how many desa one batch handles.
const KMPStartPage = 500

// batchProgress is the heartbeat of StartKMPBatch: how much of its page an
// attempt got through, so a retry after a crash goes on from there.
type batchProgress struct {
	Done    int   `json:"done"`
	Started int64 `json:"started"`
	Already int64 `json:"already"`
	Failed  int64 `json:"failed"`
}

// StartKMPBatch starts the KMP workflows of one page of desa: it writes
// their first projection rows (keeping rows that exist), starts each
// workflow (a desa that has one counts as already started; so does one
// whose KMP is complete), and writes the job's counts and cursor. It
// heartbeats after every start, and an attempt resumed after a crash
// skips what its heartbeat says is done: a job survives a worker crash
// and is safe to run again.
func (a *Activities) StartKMPBatch(ctx context.Context, in KMPStartBatchInput) (KMPStartBatchResult, error) {
	if a.KMP == nil || a.KMPStarter == nil {
		return KMPStartBatchResult{}, errNotWired
	}
	job := in.Job
	limit := in.Limit
	if limit <= 0 {
		limit = KMPStartPage
	}
	desa, err := a.KMP.DesaUnder(ctx, job.Region, job.Cursor, limit)
	if err != nil {
		return KMPStartBatchResult{}, err
	}
	var p batchProgress
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &p)
	}
	if len(desa) > 0 && p.Done == 0 {
		if err := a.insertStarts(ctx, job, desa); err != nil {
			return KMPStartBatchResult{}, err
		}
	}
	complete, err := a.completeKMP(ctx, job.Cursor, desa)
	if err != nil {
		return KMPStartBatchResult{}, err
	}
	var (
		mu        sync.Mutex
		transient error
		sem       = make(chan struct{}, KMPStartConcurrency)
		wg        sync.WaitGroup
		// done marks the page positions handled, so the heartbeat can
		// say how far a contiguous prefix got.
		done = make([]bool, len(desa))
	)
	for i := p.Done; i < len(desa); i++ {
		d := desa[i]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var started bool
			var err error
			if !complete[d.Code] {
				started, err = a.KMPStarter.StartKMP(ctx, KMPStart{RegionCode: d.Code, Name: d.Name, Deadlines: job.Deadlines, JobID: job.ID})
			}
			mu.Lock()
			defer mu.Unlock()
			var de *domain.Error
			switch {
			case err == nil && started:
				p.Started++
			case err == nil:
				p.Already++
			case errors.As(err, &de):
				p.Failed++
				activity.GetLogger(ctx).Warn("kmp not started", "region_code", d.Code, "error", de.Message)
			default:
				transient = err
				return
			}
			done[i] = true
			for p.Done < len(desa) && done[p.Done] {
				p.Done++
			}
			activity.RecordHeartbeat(ctx, p)
		}()
	}
	wg.Wait()
	if transient != nil {
		return KMPStartBatchResult{}, fmt.Errorf("start kmp workflows of %s: %w", job.ID, transient)
	}
	job.Started += p.Started
	job.Already += p.Already
	job.Failed += p.Failed
	if len(desa) > 0 {
		job.Cursor = desa[len(desa)-1].Code
	}
	res := KMPStartBatchResult{Done: len(desa) < limit}
	now := time.Now().UTC()
	job.UpdatedAt = now
	if res.Done {
		job.Status = store.JobDone
		job.FinishedAt = &now
	}
	if err := a.KMP.SaveKMPStartJob(ctx, job); err != nil {
		return KMPStartBatchResult{}, err
	}
	res.Job = job
	return res, nil
}

func (a *Activities) insertStarts(ctx context.Context, job KMPStartJob, desa []store.Region) error {
	rows := make([]store.KMP, len(desa))
	now := time.Now().UTC()
	for i, d := range desa {
		rows[i] = store.KMP{RegionCode: d.Code, Name: d.Name, Deadlines: job.Deadlines, JobID: job.ID, StartedAt: now, UpdatedAt: now}
		if t, ok := job.Deadlines[domain.KMPMilestoneAt(1)]; ok {
			t := t.UTC()
			rows[i].NextDueAt = &t
		}
	}
	_, err := a.KMP.InsertKMPStarts(ctx, rows)
	return err
}

// completeKMP returns the desa of the page whose KMP reached its last
// milestone: their workflows ended, and may be gone from Temporal once its
// retention passes, so they must not be started again.
func (a *Activities) completeKMP(ctx context.Context, after string, desa []store.Region) (map[string]bool, error) {
	out := map[string]bool{}
	if len(desa) == 0 {
		return out, nil
	}
	// The page is the desa after the cursor: one keyset query finds their rows.
	last := desa[len(desa)-1].Code
	ks, err := a.KMP.ListKMP(ctx, store.KMPQuery{Region: "*", After: after, Limit: len(desa)})
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.RegionCode > last {
			break
		}
		if k.Reached >= len(domain.KMPSteps) {
			out[k.RegionCode] = true
		}
	}
	return out, nil
}
