package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/rencana-id/rencana/internal/store"
)

// SecurityAuditHeader is the header of the security audit CSV: when (UTC),
// what happened (store.Event* kinds: logins succeeded, failed and locked
// out, logouts, revoked sessions, password and second-factor changes,
// disabled accounts, grants and delegations), to whose account, by whom,
// from which address, and the detail.
var SecurityAuditHeader = []string{"waktu_utc", "peristiwa", "pengguna", "oleh", "alamat", "keterangan"}

// MaxSecurityAuditRows bounds one download; a longer period is asked for in
// parts.
const MaxSecurityAuditRows = 200_000

// WriteSecurityAuditCSV writes the security audit of [from, until) to w,
// oldest first, and returns how many rows it wrote.
func WriteSecurityAuditCSV(ctx context.Context, db *store.DB, from, until time.Time, w io.Writer) (int, error) {
	evs, err := db.SecurityAudit(ctx, from, until, MaxSecurityAuditRows)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(SecurityAuditHeader); err != nil {
		return 0, err
	}
	for _, ev := range evs {
		rec := []string{ev.At.UTC().Format(time.RFC3339), ev.Kind, csvText(ev.Username), csvText(ev.Actor), csvText(ev.RemoteAddr), csvText(ev.Detail)}
		if err := cw.Write(rec); err != nil {
			return 0, fmt.Errorf("write security audit: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, fmt.Errorf("write security audit: %w", err)
	}
	return len(evs), bw.Flush()
}
