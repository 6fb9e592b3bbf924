package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// seedCycle inserts the regions and the cycle a proposal refers to.
func seedCycle(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		"INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Muna', 2, '74')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Kecamatan Tongkuno', 3, '74.05')",
	} {
		require.NoError(t, db.ExecSQL(ctx, q))
	}
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	require.NoError(t, db.SaveCycle(ctx, domain.Cycle{
		ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, CreatedBy: "kadis",
		Calendar: domain.Calendar{
			SubmissionDeadline: d(2, 1), ReviewDeadline: d(3, 1), RakordaStart: d(4, 1), RakordaEnd: d(4, 5),
			ConsolidationDeadline: d(5, 1), MinistryDeadline: d(6, 1), MappingDeadline: d(7, 1),
		},
	}))
}

func sampleProposal(at time.Time) domain.Proposal {
	due := at.Add(48 * time.Hour)
	return domain.Proposal{
		ID: "p1", CycleID: "74-2027", RegionCode: "74.05.03", Title: "Pelatihan pengemasan produk UMKM",
		Description: "Pelatihan bagi 30 pelaku UMKM", Category: "pelatihan", AmountIDR: 125_000_000,
		FundingSource: "apbd_kabkota", Indicators: []domain.Indicator{{Name: "UMKM terlatih", Target: 30, Unit: "orang"}},
		Beneficiaries: "30 pelaku UMKM", Stage: domain.StageDraft, CreatedBy: "planner", DueAt: &due,
		Version: 1, CreatedAt: at, UpdatedAt: at,
	}
}

func TestRecordTransitionWritesRowAndEventOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedCycle(t, db)
		at := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
		p := sampleProposal(at)
		planner := domain.Actor{Username: "planner", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
		ev1 := domain.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft, Actor: planner, At: at}

		recorded, err := db.RecordTransition(ctx, p, ev1)
		require.NoError(t, err)
		require.True(t, recorded)
		recorded, err = db.RecordTransition(ctx, p, ev1)
		require.NoError(t, err, "a retry is a no-op success")
		require.False(t, recorded)

		got, err := db.GetProposal(ctx, "p1")
		require.NoError(t, err)
		require.Equal(t, p.Title, got.Title)
		require.Equal(t, int64(125_000_000), got.AmountIDR)
		require.Equal(t, p.Indicators, got.Indicators)
		require.True(t, p.DueAt.Equal(*got.DueAt))
		require.True(t, at.Equal(got.CreatedAt))
		require.Equal(t, domain.StageDraft, got.Stage)

		// The next transition updates the row; a stale retry of seq 1 with
		// an old snapshot changes nothing.
		camat := domain.Actor{Username: "camat", Role: domain.RoleCamat, Scope: "74.05.03"}
		p2 := p
		p2.Stage, p2.SubmittedBy, p2.Version, p2.UpdatedAt = domain.StageKabKotaReview, "camat", 2, at.Add(time.Hour)
		ev2 := domain.ProposalEvent{ProposalID: "p1", Seq: 2, Action: "submit", FromStage: domain.StageDraft,
			ToStage: domain.StageKabKotaReview, Actor: camat, Comment: "Mohon diproses", Payload: json.RawMessage(`{"x":1}`), At: at.Add(time.Hour)}
		recorded, err = db.RecordTransition(ctx, p2, ev2)
		require.NoError(t, err)
		require.True(t, recorded)
		_, err = db.RecordTransition(ctx, p, ev1)
		require.NoError(t, err)
		// A snapshot with an older seq but a new event never overwrites the row.
		p0 := p
		p0.Title = "stale"
		_, err = db.RecordTransition(ctx, p0, domain.ProposalEvent{ProposalID: "p1", Seq: 2, Action: "submit", ToStage: domain.StageDraft, Actor: camat, At: at})
		require.NoError(t, err)

		got, err = db.GetProposal(ctx, "p1")
		require.NoError(t, err)
		require.Equal(t, domain.StageKabKotaReview, got.Stage)
		require.Equal(t, "camat", got.SubmittedBy)
		require.Equal(t, int64(2), got.Version)
		require.Equal(t, p.Title, got.Title)
		seq, err := db.ProposalSeq(ctx, "p1")
		require.NoError(t, err)
		require.Equal(t, int64(2), seq)

		events, err := db.ListProposalEvents(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, events, 2)
		require.Equal(t, int64(1), events[0].Seq)
		require.Equal(t, "create", events[0].Action)
		require.Equal(t, domain.Stage(""), events[0].FromStage)
		require.Equal(t, planner, events[0].Actor)
		require.JSONEq(t, `{}`, string(events[0].Payload))
		require.Equal(t, "submit", events[1].Action)
		require.Equal(t, camat, events[1].Actor)
		require.Equal(t, "Mohon diproses", events[1].Comment)
		require.Equal(t, domain.StageDraft, events[1].FromStage)
		require.Equal(t, domain.StageKabKotaReview, events[1].ToStage)
		require.JSONEq(t, `{"x":1}`, string(events[1].Payload))
		require.True(t, at.Add(time.Hour).Equal(events[1].At))
	})
}

func TestRecordTransitionConcurrentRetriesNeverDuplicate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedCycle(t, db)
		at := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
		p := sampleProposal(at)
		ev := domain.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft,
			Actor: domain.Actor{Username: "planner", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}, At: at}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		recorded := make([]bool, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				recorded[i], errs[i] = db.RecordTransition(ctx, p, ev)
			}()
		}
		wg.Wait()
		n := 0
		for i, err := range errs {
			require.NoError(t, err)
			if recorded[i] {
				n++
			}
		}
		require.Equal(t, 1, n, "exactly one attempt records")
		events, err := db.ListProposalEvents(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, events, 1)
	})
}

func TestRecordTransitionRefusesUnknownCycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Now().UTC()
		p := sampleProposal(at)
		_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft, At: at})
		require.Equal(t, domain.EINVALID, domain.ErrorCode(err), "%v", err)
		_, err = db.GetProposal(ctx, "p1")
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
		events, err := db.ListProposalEvents(ctx, "p1")
		require.NoError(t, err)
		require.Empty(t, events)
	})
}

func TestInsertNotificationIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n := domain.Notification{ID: "p1/reminder/1", RecipientRole: domain.RoleReviewerKabKota, RecipientScope: "74.05",
			ProposalID: "p1", Kind: "reminder", Message: "Batas reviu tinggal 3 hari.", CreatedAt: time.Now()}
		require.NoError(t, db.InsertNotification(ctx, n))
		require.NoError(t, db.InsertNotification(ctx, n))
		got, err := db.ListProposalNotifications(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, domain.RoleReviewerKabKota, got[0].RecipientRole)
		require.Equal(t, "74.05", got[0].RecipientScope)
		require.Nil(t, got[0].ReadAt)
		require.Equal(t, domain.EINVALID, domain.ErrorCode(db.InsertNotification(ctx, domain.Notification{ID: "x", Kind: "k"})))
	})
}

// A worker that dies after its local activity wrote a transition, but
// before its workflow task completed, leaves a transition Temporal never
// recorded; the retried task may put a different one at that seq. It
// replaces the stale one and everything written after it, notifications
// included; the same transition again is a retry and changes nothing.
func TestRecordTransitionReplacesAnUnrecordedTransition(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedCycle(t, db)
		at := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
		p := sampleProposal(at)
		planner := domain.Actor{Username: "planner", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
		camat := domain.Actor{Username: "camat", Role: domain.RoleCamat, Scope: "74.05.03"}
		_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft, Actor: planner, At: at, TransitionID: "update:c"})
		require.NoError(t, err)

		note := func(seq int64, kind string) domain.Notification {
			return domain.Notification{ID: fmt.Sprintf("p1/%d/%s", seq, kind), RecipientUsername: "planner", ProposalID: "p1", Kind: kind,
				Message: "m", Subject: "[rencana] s", CreatedAt: at, Seq: seq}
		}
		// The dead attempt: withdraw at seq 2 and an edit at seq 3.
		withdrawn := p
		withdrawn.Stage, withdrawn.Version = domain.StageWithdrawn, 2
		rec, err := db.RecordTransition(ctx, withdrawn, domain.ProposalEvent{ProposalID: "p1", Seq: 2, Action: "withdraw", FromStage: domain.StageDraft,
			ToStage: domain.StageWithdrawn, Actor: planner, At: at, TransitionID: "update:w"}, note(2, "stage_changed"))
		require.NoError(t, err)
		require.True(t, rec)
		third := withdrawn
		third.Version = 3
		_, err = db.RecordTransition(ctx, third, domain.ProposalEvent{ProposalID: "p1", Seq: 3, Action: "edit", ToStage: domain.StageWithdrawn, Actor: planner, At: at, TransitionID: "update:e"}, note(3, "edited"))
		require.NoError(t, err)

		// The same transition again: a retry.
		rec, err = db.RecordTransition(ctx, withdrawn, domain.ProposalEvent{ProposalID: "p1", Seq: 2, Action: "withdraw", FromStage: domain.StageDraft,
			ToStage: domain.StageWithdrawn, Actor: planner, At: at, TransitionID: "update:w"}, note(2, "stage_changed"))
		require.NoError(t, err)
		require.False(t, rec)

		// The retried task: submit at seq 2.
		submitted := p
		submitted.Stage, submitted.SubmittedBy, submitted.Version = domain.StageKabKotaReview, "camat", 2
		review := note(2, "review_requested")
		rec, err = db.RecordTransition(ctx, submitted, domain.ProposalEvent{ProposalID: "p1", Seq: 2, Action: "submit", FromStage: domain.StageDraft,
			ToStage: domain.StageKabKotaReview, Actor: camat, At: at.Add(time.Minute), TransitionID: "update:s"}, review)
		require.NoError(t, err)
		require.True(t, rec)

		got, err := db.GetProposal(ctx, "p1")
		require.NoError(t, err)
		require.Equal(t, domain.StageKabKotaReview, got.Stage)
		require.Equal(t, int64(2), got.Version)
		seq, err := db.ProposalSeq(ctx, "p1")
		require.NoError(t, err)
		require.Equal(t, int64(2), seq)
		events, err := db.ListProposalEvents(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, events, 2)
		require.Equal(t, "submit", events[1].Action)
		require.Equal(t, "update:s", events[1].TransitionID)
		notes, err := db.ListProposalNotifications(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, notes, 1, "the dead attempt's notifications went with it")
		require.Equal(t, review.ID, notes[0].ID)
		require.Equal(t, "[rencana] s", notes[0].Subject)
		require.Equal(t, int64(2), notes[0].Seq)

		// A notification of another transition is refused whole.
		_, err = db.RecordTransition(ctx, submitted, domain.ProposalEvent{ProposalID: "p1", Seq: 3, Action: "approve", Actor: camat, At: at, TransitionID: "update:a"}, note(9, "x"))
		require.Equal(t, domain.EINVALID, domain.ErrorCode(err))
	})
}

// The mail outbox claims each notification once, after it is old enough.
func TestOutboxClaims(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
		for i, id := range []string{"a", "b"} {
			require.NoError(t, db.InsertNotification(ctx, domain.Notification{ID: id, RecipientUsername: "u", Kind: "k", Message: "m", CreatedAt: at.Add(time.Duration(i) * time.Minute)}))
		}
		got, err := db.UnmailedNotifications(ctx, at.Add(30*time.Second), 10)
		require.NoError(t, err)
		require.Len(t, got, 1, "b is not old enough yet")
		require.Equal(t, "a", got[0].ID)
		ok, err := db.ClaimMail(ctx, "a", at)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.ClaimMail(ctx, "a", at)
		require.NoError(t, err)
		require.False(t, ok, "claimed once")
		got, err = db.UnmailedNotifications(ctx, at.Add(time.Hour), 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, "b", got[0].ID)
		require.NoError(t, db.ReleaseMail(ctx, "a"))
		got, err = db.UnmailedNotifications(ctx, at.Add(time.Hour), 10)
		require.NoError(t, err)
		require.Len(t, got, 2, "a released for another try")
	})
}
