package workflows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// The functions below are how the API talks to a CycleWorkflow, like
// client.go for proposals. Every error they return is a *domain.Error for
// refusals (map its code to a status) or an internal error.

// CreateCycle opens a province's cycle for a fiscal year in one call
// (Update-with-Start) and returns it once it is in the database. A second
// cycle for the same province and year is ECONFLICT: a running cycle's
// workflow refuses a second create, and the database's unique constraint
// refuses one whose workflow is gone.
func CreateCycle(ctx context.Context, c client.Client, req CreateCycleRequest) (domain.CycleDetail, error) {
	var v domain.Validation
	if lvl, err := domain.ParseRegionCode(req.ProvinceCode); err != nil || lvl != domain.LevelProvinsi {
		v.Add("province_code", "Kode provinsi %q tidak valid (contoh: 74).", req.ProvinceCode)
	}
	if req.FiscalYear < 2000 || req.FiscalYear > 2100 {
		v.Add("fiscal_year", "Tahun anggaran %d tidak valid.", req.FiscalYear)
	}
	if err := v.Err(); err != nil {
		return domain.CycleDetail{}, err
	}
	updateID := req.RequestID
	if updateID == "" {
		updateID = "create/" + randomID()
	}
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:        CycleWorkflowID(req.ProvinceCode, req.FiscalYear),
		TaskQueue: TaskQueue,
		// Concurrent creations meet in the running workflow, whose create
		// validator lets one through. A workflow that ended (every create
		// refused, or terminated by an operator) may be started again: the
		// database then decides whether the cycle already exists.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, CycleWorkflowName, CycleInput{ProvinceCode: req.ProvinceCode, FiscalYear: req.FiscalYear})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     updateID,
			UpdateName:   CycleUpdateCreate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
			Args:         []any{req},
		},
	})
	if err != nil {
		return domain.CycleDetail{}, cycleError(err)
	}
	var out domain.CycleDetail
	if err := h.Get(ctx, &out); err != nil {
		return domain.CycleDetail{}, cycleError(err)
	}
	return out, nil
}

// GetCycle asks the cycle's workflow for its live state, phase as of now.
// Lists and pages may read store.GetCycleDetail instead: the projection is
// never behind an answered Update.
func GetCycle(ctx context.Context, c client.Client, cycleID string) (domain.CycleDetail, error) {
	wid, err := CycleWorkflowIDOf(cycleID)
	if err != nil {
		return domain.CycleDetail{}, err
	}
	v, err := c.QueryWorkflow(ctx, wid, "", CycleQueryState)
	if err != nil {
		return domain.CycleDetail{}, cycleError(err)
	}
	var out domain.CycleDetail
	if err := v.Get(&out); err != nil {
		return domain.CycleDetail{}, err
	}
	return out.At(time.Now().UTC()), nil
}

// CycleLockProgress returns the progress of the cycle's last lock.
func CycleLockProgress(ctx context.Context, c client.Client, cycleID string) (LockProgress, error) {
	wid, err := CycleWorkflowIDOf(cycleID)
	if err != nil {
		return LockProgress{}, err
	}
	v, err := c.QueryWorkflow(ctx, wid, "", CycleQueryLockProgress)
	if err != nil {
		return LockProgress{}, cycleError(err)
	}
	var out LockProgress
	return out, v.Get(&out)
}

// MoveCycleCalendar moves dates (PATCH /cycles/{id}) and answers once every
// open proposal of the cycle has the new calendar.
func MoveCycleCalendar(ctx context.Context, c client.Client, cycleID string, req MoveCalendarRequest) (domain.CycleDetail, error) {
	var out domain.CycleDetail
	return out, cycleUpdate(ctx, c, cycleID, CycleUpdateMoveCalendar, req, &out)
}

// SetCycleCeilings replaces the cycle's ceilings (pagu indikatif).
func SetCycleCeilings(ctx context.Context, c client.Client, cycleID string, req SetCeilingsRequest) (domain.CycleDetail, error) {
	var out domain.CycleDetail
	return out, cycleUpdate(ctx, c, cycleID, CycleUpdateSetCeilings, req, &out)
}

// SetCycleTargets replaces the cycle's performance targets.
func SetCycleTargets(ctx context.Context, c client.Client, cycleID string, req SetTargetsRequest) (domain.CycleDetail, error) {
	var out domain.CycleDetail
	return out, cycleUpdate(ctx, c, cycleID, CycleUpdateSetTargets, req, &out)
}

// RecordRakordaAgreements replaces the Rakorda's agreements (kesepakatan).
func RecordRakordaAgreements(ctx context.Context, c client.Client, cycleID string, req RecordAgreementsRequest) (domain.CycleDetail, error) {
	var out domain.CycleDetail
	return out, cycleUpdate(ctx, c, cycleID, CycleUpdateRecordAgreements, req, &out)
}

// RecordRakordaAttendance replaces the Rakorda's attendance list.
func RecordRakordaAttendance(ctx context.Context, c client.Client, cycleID string, req RecordAttendanceRequest) (domain.CycleDetail, error) {
	var out domain.CycleDetail
	return out, cycleUpdate(ctx, c, cycleID, CycleUpdateRecordAttendance, req, &out)
}

// LockCycle moves every consolidated proposal of the cycle to the ministry
// and answers when all have moved; ctx bounds the wait (the lock itself goes
// on, and CycleLockProgress shows it). Refused, naming them in the field
// errors ("proposals.<id>"), while any proposal in consolidation is not
// consolidated.
func LockCycle(ctx context.Context, c client.Client, cycleID string, req LockCycleRequest) (LockCycleResult, error) {
	var out LockCycleResult
	return out, cycleUpdate(ctx, c, cycleID, CycleUpdateLock, req, &out)
}

func cycleUpdate(ctx context.Context, c client.Client, cycleID, name string, arg, out any) error {
	wid, err := CycleWorkflowIDOf(cycleID)
	if err != nil {
		return err
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   wid,
		UpdateName:   name,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{arg},
	})
	if err != nil {
		return cycleError(err)
	}
	return cycleError(h.Get(ctx, out))
}

// cycleError is AsDomainError with a cycle's words for a missing or ended
// workflow.
func cycleError(err error) error {
	if err == nil {
		return nil
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return domain.Errorf(domain.ECONFLICT, "Siklus untuk provinsi dan tahun anggaran ini sudah ada.")
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		if strings.Contains(nf.Message, "completed") {
			return domain.Errorf(domain.ENOTFOUND, "Alur kerja siklus sudah berakhir.")
		}
		return domain.Errorf(domain.ENOTFOUND, "Siklus tidak ditemukan.")
	}
	var qf *serviceerror.QueryFailed
	if errors.As(err, &qf) {
		return domain.Errorf(domain.ENOTFOUND, "Siklus tidak ditemukan.")
	}
	return AsDomainError(err)
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Driver lets activities act on workflows through a Temporal client (see
// activities.Workflows); the worker sets it on its Activities:
//
//	a := activities.New(db)
//	a.Workflows = workflows.NewDriver(c)
type Driver struct{ c client.Client }

// NewDriver returns the activities.Workflows of client c.
func NewDriver(c client.Client) *Driver { return &Driver{c: c} }

var _ activities.Workflows = (*Driver)(nil)

// SignalCalendar sends a proposal its cycle's new calendar.
func (d *Driver) SignalCalendar(ctx context.Context, proposalID string, cal domain.Calendar) error {
	return MoveCalendar(ctx, d.c, proposalID, cal)
}

// LockProposal runs a proposal's lock Update under updateID.
func (d *Driver) LockProposal(ctx context.Context, proposalID, updateID string, actor domain.Actor, comment string) (domain.Proposal, error) {
	h, err := d.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   ProposalWorkflowID(proposalID),
		UpdateID:     updateID,
		UpdateName:   UpdateLock,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{ActionRequest{Actor: actor, Comment: comment}},
	})
	if err != nil {
		return domain.Proposal{}, AsDomainError(err)
	}
	var p domain.Proposal
	if err := h.Get(ctx, &p); err != nil {
		return domain.Proposal{}, AsDomainError(err)
	}
	return p, nil
}

// ReserveCeiling runs the reserve Update of the reservation's cycle. A
// cycle without a running workflow is ENOTFOUND.
func (d *Driver) ReserveCeiling(ctx context.Context, updateID string, r activities.CeilingReservation) (activities.ReserveResult, error) {
	var out activities.ReserveResult
	wid, err := CycleWorkflowIDOf(r.CycleID)
	if err != nil {
		return out, err
	}
	h, err := d.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   wid,
		UpdateID:     updateID,
		UpdateName:   CycleUpdateReserve,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{r},
	})
	if err != nil {
		return out, cycleError(err)
	}
	return out, cycleError(h.Get(ctx, &out))
}
