package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/minutes"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// --- Rakorda ------------------------------------------------------------------

type agendaGroupView struct {
	KabKotaCode string         `json:"kabkota_code"`
	KabKotaName string         `json:"kabkota_name"`
	Proposals   []proposalView `json:"proposals"`
	Count       int            `json:"count"`
	TotalIDR    int64          `json:"total_idr"`
}

type rakordaView struct {
	CycleID      string                  `json:"cycle_id"`
	Phase        domain.Phase            `json:"phase"`
	Open         bool                    `json:"open"`
	RakordaStart time.Time               `json:"rakorda_start"`
	RakordaEnd   time.Time               `json:"rakorda_end"`
	Groups       []agendaGroupView       `json:"groups"`
	Count        int                     `json:"count"`
	TotalIDR     int64                   `json:"total_idr"`
	Decisions    []store.RakordaDecision `json:"decisions"`
	Agreements   []domain.Agreement      `json:"agreements"`
	Attendance   []domain.Attendee       `json:"attendance"`
}

// rakorda is the session's page: the agenda (proposals still in stage
// rakorda, grouped by kab/kota with each group's total, each with what the
// caller may do with it now), the decisions taken so far, the agreements
// and the attendance, and whether the session is open.
func (s *Server) rakorda(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjRakorda, policies.ActRead, "Anda tidak berwenang melihat agenda Rakorda siklus %s.")
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	rec, err := s.db.RakordaRecord(ctx, cy.ID, now)
	if err != nil {
		return err
	}
	out := rakordaView{
		CycleID: cy.ID, Phase: rec.Cycle.Phase, Open: rec.Cycle.RakordaOpen,
		RakordaStart: rec.Cycle.Calendar.RakordaStart, RakordaEnd: rec.Cycle.Calendar.RakordaEnd,
		Groups: make([]agendaGroupView, 0, len(rec.Undecided.Groups)), Count: rec.Undecided.Count, TotalIDR: rec.Undecided.TotalIDR,
		Decisions: rec.Decisions, Agreements: rec.Cycle.Agreements, Attendance: rec.Cycle.Attendance,
	}
	for _, g := range rec.Undecided.Groups {
		gv := agendaGroupView{KabKotaCode: g.KabKotaCode, KabKotaName: g.KabKotaName, Count: g.Count, TotalIDR: g.TotalIDR,
			Proposals: make([]proposalView, 0, len(g.Proposals))}
		for _, p := range g.Proposals {
			pv, err := s.view(ctx, user, p, &cy, now)
			if err != nil {
				return err
			}
			gv.Proposals = append(gv.Proposals, pv)
		}
		out.Groups = append(out.Groups, gv)
	}
	return c.JSON(http.StatusOK, out)
}

type agreementsRequest struct {
	Agreements *[]string `json:"agreements"`
}

// recordAgreements replaces the Rakorda's kesepakatan, numbered in the
// order given (PUT). The workflow accepts them from the opening of Rakorda
// until the cycle is locked.
func (s *Server) recordAgreements(c echo.Context) error {
	w := cycleWrite{object: policies.ObjRakorda, action: policies.ActRecord, refused: "Anda tidak berwenang mencatat kesepakatan Rakorda siklus %s.", ifMatchRequired: false}
	return cycleUpdate(s, c, w, func(cy domain.Cycle, req *agreementsRequest) (cycleCall, error) {
		var v domain.Validation
		if req.Agreements == nil {
			v.Add("agreements", "Sertakan daftar kesepakatan, satu teks per kesepakatan ([] untuk menghapus semuanya).")
		} else if n := len(*req.Agreements); n > maxAgreements {
			v.Add("agreements", "Paling banyak %d kesepakatan (sekarang %d).", maxAgreements, n)
		} else {
			for i, a := range *req.Agreements {
				field := fmt.Sprintf("agreements[%d]", i)
				if strings.TrimSpace(a) == "" {
					v.Add(field, "Kesepakatan nomor %d kosong; isi atau hapus.", i+1)
				}
				domain.CheckLen(&v, field, fmt.Sprintf("Kesepakatan nomor %d", i+1), a, maxAgreement)
			}
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		texts := make([]string, len(*req.Agreements))
		for i, a := range *req.Agreements {
			texts[i] = strings.TrimSpace(a)
		}
		return func(ctx context.Context, actor domain.Actor, version int64) error {
			_, err := workflows.RecordRakordaAgreements(ctx, s.temporal, cy.ID, workflows.RecordAgreementsRequest{Actor: actor, ExpectedVersion: version, Agreements: texts})
			return err
		}, nil
	})
}

type attendeeInput struct {
	Name        string `json:"name"`
	Position    string `json:"position"`
	Institution string `json:"institution"`
	RegionCode  string `json:"region_code"`
}

type attendanceRequest struct {
	Attendance *[]attendeeInput `json:"attendance"`
}

// recordAttendance replaces the Rakorda's daftar hadir, numbered in the
// order given (PUT).
func (s *Server) recordAttendance(c echo.Context) error {
	w := cycleWrite{object: policies.ObjRakorda, action: policies.ActRecord, refused: "Anda tidak berwenang mencatat daftar hadir Rakorda siklus %s.", ifMatchRequired: false}
	return cycleUpdate(s, c, w, func(cy domain.Cycle, req *attendanceRequest) (cycleCall, error) {
		var v domain.Validation
		var list []domain.Attendee
		switch {
		case req.Attendance == nil:
			v.Add("attendance", "Sertakan daftar hadir, satu objek {name, position, institution} per peserta ([] untuk mengosongkan).")
		case len(*req.Attendance) > maxAttendees:
			v.Add("attendance", "Paling banyak %d peserta (sekarang %d).", maxAttendees, len(*req.Attendance))
		default:
			for i, a := range *req.Attendance {
				prefix := fmt.Sprintf("attendance[%d]", i)
				at := domain.Attendee{Name: strings.TrimSpace(a.Name), Position: strings.TrimSpace(a.Position),
					Institution: strings.TrimSpace(a.Institution), RegionCode: strings.TrimSpace(a.RegionCode)}
				if at.Name == "" {
					v.Add(prefix+".name", "Nama peserta wajib diisi.")
				}
				domain.CheckLen(&v, prefix+".name", "Nama", at.Name, maxPersonField)
				domain.CheckLen(&v, prefix+".position", "Jabatan", at.Position, maxPersonField)
				domain.CheckLen(&v, prefix+".institution", "Instansi", at.Institution, maxPersonField)
				if at.RegionCode != "" {
					if _, err := domain.ParseRegionCode(at.RegionCode); err != nil || len(at.RegionCode) > 13 {
						v.Add(prefix+".region_code", "Kode wilayah %q tidak berbentuk 74, 74.05 atau 74.05.03.", at.RegionCode)
					}
				}
				list = append(list, at)
			}
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if list == nil {
			list = []domain.Attendee{}
		}
		return func(ctx context.Context, actor domain.Actor, version int64) error {
			_, err := workflows.RecordRakordaAttendance(ctx, s.temporal, cy.ID, workflows.RecordAttendanceRequest{Actor: actor, ExpectedVersion: version, Attendance: list})
			return err
		}, nil
	})
}

// rakordaMinutes renders the berita acara of the cycle's Rakorda as a PDF:
// attendance, the decision on every proposal, the agreements, what is still
// undecided. It reads the projection, so it says exactly what was recorded.
func (s *Server) rakordaMinutes(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjRakorda, policies.ActRead, "Anda tidak berwenang mengunduh berita acara Rakorda siklus %s.")
	if err != nil {
		return err
	}
	now := s.now()
	rec, err := s.db.RakordaRecord(c.Request().Context(), cy.ID, now)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := minutes.Render(&buf, rec, minutes.Options{GeneratedAt: now}); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, minutes.Filename(cy.ID)))
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}
