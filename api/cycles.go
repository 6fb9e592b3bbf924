package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/policies"
)

// The planning-cycle endpoints (issue 6). Every change goes through the
// cycle's CycleWorkflow (workflows/cycle_client.go), whose Updates answer
// once the change is in the projection; reads come from the projection
// (store). A cycle is visible to whoever may read cycles of its province
// (policy.csv: cycle read, reach related); anyone else gets 404 for it and
// everything under it, exactly as for a cycle that does not exist. Past
// that, each endpoint asks the Authorizer for its own object and action on
// the cycle's province, and answers 403 when refused.

// Input bounds of the cycle endpoints, for the same reason as validate.go's:
// a slip or a hostile client is stopped with a message, not stored.
const (
	maxCeilings       = 100 // a province has at most a few dozen kab/kota
	maxTargets        = 50
	maxTargetCode     = 40
	maxTargetName     = 200
	maxTargetKeywords = 20
	maxKeyword        = 100
	maxTargetValue    = 1_000_000_000
	maxAgreements     = 200
	maxAgreement      = 4000 // the workflow's bound on one kesepakatan
	maxAttendees      = 500
	maxPersonField    = 200
	maxBUMDesKeywords = 20
	maxBUMDesBusiness = 500
)

// cycleRoutes registers the planning-cycle endpoints (issue 6): creation,
// dates, ceilings, targets, Rakorda and consolidation, and lock. GET
// /cycles and GET /cycles/{id} are registered with the other reads in
// routes(); their handlers are here.
func (s *Server) cycleRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	v1.POST("/cycles", s.createCycle, a...)
	v1.PATCH("/cycles/:id", s.moveCycle, a...)
	v1.PUT("/cycles/:id/ceilings", s.setCeilings, a...)
	v1.PUT("/cycles/:id/targets", s.setTargets, a...)
	v1.POST("/cycles/:id/actions/lock", s.lockCycle, a...)
	v1.GET("/cycles/:id/lock", s.lockProgress, a...)
	v1.GET("/cycles/:id/events", s.cycleEvents, a...)
	v1.GET("/cycles/:id/rakorda", s.rakorda, a...)
	v1.PUT("/cycles/:id/rakorda/agreements", s.recordAgreements, a...)
	v1.PUT("/cycles/:id/rakorda/attendance", s.recordAttendance, a...)
	v1.GET("/cycles/:id/rakorda/minutes.pdf", s.rakordaMinutes, a...)
	v1.GET("/cycles/:id/consolidation", s.consolidation, a...)
	v1.GET("/cycles/:id/bumdes", s.listBUMDes, a...)
	v1.POST("/cycles/:id/bumdes", s.createBUMDes, a...)
	v1.POST("/cycles/:id/bumdes/import", s.importBUMDes, a...)
}

// --- reading cycles ---------------------------------------------------------

type cycleList struct {
	Items []domain.CycleDetail `json:"items"`
}

// listCycles lists the cycles the caller may read, newest fiscal year
// first, each with its phase, ceilings, targets and Rakorda record. There is
// one cycle per province and year, so reading each one's details is a
// handful of small queries per visible cycle.
func (s *Server) listCycles(c echo.Context) error {
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	cycles, err := s.db.ListCycles(ctx)
	if err != nil {
		return err
	}
	out := cycleList{Items: []domain.CycleDetail{}}
	for _, cy := range cycles {
		d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjCycle, Action: policies.ActRead, Region: cy.ProvinceCode, At: now})
		if err != nil {
			return err
		}
		if !d.Allowed {
			continue
		}
		detail, err := s.db.GetCycleDetail(ctx, cy.ID, now)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, detail)
	}
	return c.JSON(http.StatusOK, out)
}

// getCycle answers with the cycle's detail and its version as ETag (the
// If-Match of PATCH and the PUTs below); 404 for a cycle the caller may not
// read, as for one that does not exist.
func (s *Server) getCycle(c echo.Context) error {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return err
	}
	return s.respondCycle(c, http.StatusOK, cy.ID)
}

// visibleCycle reads the cycle of the path's id if the caller may read
// cycles of its province; otherwise it is ENOTFOUND, like a cycle that does
// not exist, so ids of other provinces' cycles cannot be probed.
func (s *Server) visibleCycle(c echo.Context) (domain.Cycle, error) {
	ctx, id := c.Request().Context(), c.Param("id")
	if len(id) > maxCycleID {
		return domain.Cycle{}, domain.Errorf(domain.ENOTFOUND, "Siklus %q tidak ditemukan.", id)
	}
	cy, err := s.db.GetCycle(ctx, id)
	if err != nil {
		return domain.Cycle{}, err
	}
	d, err := s.authz.Decide(ctx, policies.Request{Username: currentUser(c), Object: policies.ObjCycle, Action: policies.ActRead, Region: cy.ProvinceCode, At: s.now()})
	if err != nil {
		return domain.Cycle{}, err
	}
	if !d.Allowed {
		return domain.Cycle{}, domain.Errorf(domain.ENOTFOUND, "Siklus %q tidak ditemukan.", id)
	}
	return cy, nil
}

// authorizedCycle is visibleCycle followed by the endpoint's own decision
// (object, action) on the cycle's province; refused is the 403's message,
// formatted with the cycle id.
func (s *Server) authorizedCycle(c echo.Context, object, action, refused string) (domain.Cycle, domain.Actor, error) {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return cy, domain.Actor{}, err
	}
	user := currentUser(c)
	d, err := s.authz.Decide(c.Request().Context(), policies.Request{Username: user, Object: object, Action: action, Region: cy.ProvinceCode, At: s.now()})
	if err != nil {
		return cy, domain.Actor{}, err
	}
	if !d.Allowed {
		return cy, domain.Actor{}, domain.Errorf(domain.EFORBIDDEN, refused, cy.ID)
	}
	return cy, domain.Actor{Username: user, Role: d.Role, Scope: d.Scope}, nil
}

// respondCycle answers with the projection's detail of cycle id and its
// version as ETag. Updates answer after the projection has the change, so
// this is the state the change produced.
func (s *Server) respondCycle(c echo.Context, status int, id string) error {
	d, err := s.db.GetCycleDetail(c.Request().Context(), id, s.now())
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", etag(d.Version))
	if status == http.StatusCreated {
		h.Set(echo.HeaderLocation, "/api/v1/cycles/"+d.ID)
	}
	return c.JSON(status, d)
}

// cycleIfMatch reads the cycle version a change expects. required makes a
// missing header 428; "*" means any version.
func cycleIfMatch(c echo.Context, required bool) (int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	switch {
	case h == "" && required:
		return 0, echo.NewHTTPError(http.StatusPreconditionRequired,
			"Sertakan header If-Match berisi ETag siklus yang Anda ubah (dari GET /api/v1/cycles/{id}), agar perubahan orang lain tidak tertimpa.")
	case h == "" || h == "*":
		return 0, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v <= 0 {
		return 0, domain.Errorf(domain.EPRECONDITION, "If-Match %q bukan ETag siklus; gunakan ETag dari GET /api/v1/cycles/{id}.", h)
	}
	return v, nil
}

// cycleFailure turns what a cycle workflow call returned into what the
// client should hear. A cycle that is in the database but has no workflow
// to change it (a cycle written directly, as old demo data was, or one whose
// workflow an operator ended) cannot be changed: that is the cycle's state,
// 409, not a missing resource.
func (s *Server) cycleFailure(c echo.Context, cycleID string, err error) error {
	err = s.workflowFailure(c, err)
	switch domain.ErrorCode(err) {
	case domain.EUNAVAILABLE:
		return domain.Errorf(domain.EUNAVAILABLE,
			"Layanan alur kerja belum menjawab. Periksa siklus %s (GET /api/v1/cycles/%s) sebelum mencoba lagi, karena perubahan mungkin tetap tersimpan.", cycleID, cycleID)
	case domain.ENOTFOUND:
		return domain.Errorf(domain.ECONFLICT,
			"Siklus %s tidak dijalankan oleh alur kerja siklus (data lama, atau alur kerjanya sudah dihentikan); perubahan tidak dapat diproses.", cycleID)
	}
	return err
}

// cycleWrite says who may use a cycle write endpoint (Casbin object and
// action, and the refusal, %s being the cycle) and whether If-Match is
// required.
type cycleWrite struct {
	object, action, refused string
	ifMatchRequired         bool
}

// cycleCall is a prepared workflow Update of a cycle, run by cycleUpdate
// with the caller's actor and expected version.
type cycleCall func(ctx context.Context, actor domain.Actor, version int64) error

// cycleUpdate is the write pipeline of the cycle's endpoints, written once:
// authorize, If-Match, bind the body into B, let prepare validate it (field
// errors before anything is sent) and return the workflow call, run it
// within the workflow timeout, and answer with the cycle as it now is.
func cycleUpdate[B any](s *Server, c echo.Context, w cycleWrite, prepare func(cy domain.Cycle, body *B) (cycleCall, error)) error {
	cy, actor, err := s.authorizedCycle(c, w.object, w.action, w.refused)
	if err != nil {
		return err
	}
	version, err := cycleIfMatch(c, w.ifMatchRequired)
	if err != nil {
		return err
	}
	var body B
	if err := bind(c, &body); err != nil {
		return err
	}
	call, err := prepare(cy, &body)
	if err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	if err := call(wctx, actor, version); err != nil {
		return s.cycleFailure(c, cy.ID, err)
	}
	return s.respondCycle(c, http.StatusOK, cy.ID)
}

// workflowContext bounds a workflow call by the server's wait.
func (s *Server) workflowContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), s.wfWait)
}
