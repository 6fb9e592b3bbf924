package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// --- lock -------------------------------------------------------------------

type lockRequest struct {
	Comment string `json:"comment" text:"multiline"`
}

type lockResult struct {
	Cycle   domain.CycleDetail `json:"cycle"`
	Moved   int                `json:"moved"`
	Skipped int                `json:"skipped"`
}

// lockCycle moves every consolidated proposal of the cycle to the ministry
// in one step. It is refused (409) while Rakorda has not ended or while any
// proposal in consolidation is not consolidated; the latter names each one
// in errors[] as "proposals.<id>". A lock of thousands may outlast the
// request: the client is then told 503 and follows GET .../lock, because
// the lock goes on in the workflow.
func (s *Server) lockCycle(c echo.Context) error {
	cy, actor, err := s.authorizedCycle(c, policies.ObjCycle, policies.ActLock, "Anda tidak berwenang mengunci siklus %s; hanya Kepala Dinas provinsinya.")
	if err != nil {
		return err
	}
	var req lockRequest
	if err := bindOptional(c, &req); err != nil {
		return err
	}
	var v domain.Validation
	domain.CheckLen(&v, "comment", "Komentar", req.Comment, maxComment)
	if err := v.Err(); err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	res, err := workflows.LockCycle(wctx, s.temporal, cy.ID, workflows.LockCycleRequest{Actor: actor, Comment: strings.TrimSpace(req.Comment)})
	if err != nil {
		err = s.cycleFailure(c, cy.ID, err)
		if domain.ErrorCode(err) == domain.EUNAVAILABLE {
			return domain.Errorf(domain.EUNAVAILABLE,
				"Penguncian siklus %s belum selesai dalam waktu permintaan dan tetap berjalan; pantau kemajuannya di GET /api/v1/cycles/%s/lock sebelum mencoba lagi.", cy.ID, cy.ID)
		}
		return err
	}
	detail, err := s.db.GetCycleDetail(c.Request().Context(), cy.ID, s.now())
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(detail.Version))
	return c.JSON(http.StatusOK, lockResult{Cycle: detail, Moved: res.Moved, Skipped: res.Skipped})
}

type lockProgressView struct {
	Attempt   int           `json:"attempt"` // 0: never locked
	Running   bool          `json:"running"`
	Actor     *domain.Actor `json:"actor"`
	StartedAt *time.Time    `json:"started_at"`
	Total     int           `json:"total"`
	Moved     int           `json:"moved"`
	Skipped   int           `json:"skipped"`
	Failed    int           `json:"failed"`
}

// lockProgress shows how far the cycle's last lock got, from the cycle's
// workflow itself (the projection only learns of the lock at its end).
func (s *Server) lockProgress(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjLockProgress, policies.ActRead, "Anda tidak berwenang melihat kemajuan penguncian siklus %s.")
	if err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	p, err := workflows.CycleLockProgress(wctx, s.temporal, cy.ID)
	if err != nil {
		return s.cycleFailure(c, cy.ID, err)
	}
	out := lockProgressView{Attempt: p.Attempt, Running: p.Running, Total: p.Total, Moved: p.Moved, Skipped: p.Skipped, Failed: p.Failed}
	if p.Attempt > 0 {
		actor, at := p.Actor, p.StartedAt.UTC()
		out.Actor, out.StartedAt = &actor, &at
	}
	return c.JSON(http.StatusOK, out)
}

// --- audit trail --------------------------------------------------------------

type cycleEventView struct {
	CycleID string          `json:"cycle_id"`
	Seq     int64           `json:"seq"`
	Action  string          `json:"action"`
	Actor   domain.Actor    `json:"actor"`
	Comment string          `json:"comment"`
	Payload json.RawMessage `json:"payload"`
	At      time.Time       `json:"at"`
}

type cycleEventList struct {
	Items []cycleEventView `json:"items"`
}

// cycleEvents lists the cycle's recorded changes, oldest first: who opened
// it, moved its dates, set its ceilings and targets, recorded the Rakorda
// and locked it. The workflow's run id (the event's origin) stays inside.
func (s *Server) cycleEvents(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjCycleEvents, policies.ActRead, "Anda tidak berwenang melihat riwayat perubahan siklus %s.")
	if err != nil {
		return err
	}
	events, err := s.db.ListCycleEvents(c.Request().Context(), cy.ID)
	if err != nil {
		return err
	}
	out := cycleEventList{Items: make([]cycleEventView, len(events))}
	for i, ev := range events {
		payload := ev.Payload
		if len(payload) == 0 {
			payload = json.RawMessage("{}")
		}
		out.Items[i] = cycleEventView{CycleID: ev.CycleID, Seq: ev.Seq, Action: ev.Action, Actor: ev.Actor, Comment: ev.Comment, Payload: payload, At: ev.At.UTC()}
	}
	return c.JSON(http.StatusOK, out)
}
