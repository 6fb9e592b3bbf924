package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// AuditHeader is the header of the audit trail CSV: when (UTC, and local
// time in the province with its zone, WIB/WITA/WIT), which proposal, what
// happened, from which stage to which, by whom in which role, and why.
var AuditHeader = []string{
	"waktu_utc", "waktu_lokal", "proposal_id", "aksi", "dari_tahap", "ke_tahap", "oleh", "peran", "komentar",
}

// WriteAuditCSV streams every recorded transition of the cycle of scope
// (every proposal_events row of its proposals, oldest first) to w as CSV
// and returns how many it wrote. waktu_utc is RFC 3339; waktu_lokal is
// "2026-04-02 10:00:00 WITA". A fiscal-year scope is EINVALID: an audit
// trail is per cycle, where one province's officials answer for it.
func WriteAuditCSV(ctx context.Context, db *store.DB, scope Scope, w io.Writer) (int, error) {
	if scope.National() {
		var v domain.Validation
		v.Add("cycle_id", "Jejak audit diekspor per siklus; pilih satu siklus.")
		return 0, v.Err()
	}
	zone := ProvinceZone(scope.ProvinceCode)
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(AuditHeader); err != nil {
		return 0, err
	}
	n := 0
	rec := make([]string, len(AuditHeader))
	for ev, err := range db.CycleEvents(ctx, scope.CycleID) {
		if err != nil {
			return n, err
		}
		n++
		rec[0] = ev.At.UTC().Format(time.RFC3339)
		rec[1] = ev.At.In(zone).Format("2006-01-02 15:04:05 MST")
		rec[2] = ev.ProposalID
		rec[3] = ev.Action
		rec[4] = string(ev.FromStage)
		rec[5] = string(ev.ToStage)
		rec[6] = csvText(ev.Actor.Username)
		rec[7] = string(ev.Actor.Role)
		rec[8] = csvText(ev.Comment)
		if err := cw.Write(rec); err != nil {
			return n, fmt.Errorf("write audit csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("write audit csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("write audit csv: %w", err)
	}
	return n, nil
}
