package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestNotificationCentre: a user reads the notifications addressed to them
// by name and to a role they hold within a scope their grant covers, newest
// first, with the unread count; marking read is per reader (a notification
// to "the reviewers of 74.05" read by one reviewer stays unread for the
// other); ids of someone else's notifications are ignored, never marked.
func TestNotificationCentre(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		reviewer2 := person{"kabid2.konsel", domain.RoleReviewerKabKota, "74.05"}
		e.addPerson(reviewer2)
		at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		for i, n := range []domain.Notification{
			{ID: "n-old", RecipientUsername: kecPlanner.username, ProposalID: "p-1", Kind: "stage_changed", Message: "Usulan p-1 disetujui."},
			{ID: "n-review", RecipientRole: domain.RoleReviewerKabKota, RecipientScope: "74.05", ProposalID: "p-1", Kind: "review_requested", Message: "Usulan p-1 menunggu reviu."},
			{ID: "n-kendari", RecipientRole: domain.RoleReviewerKabKota, RecipientScope: "74.71", ProposalID: "p-2", Kind: "review_requested", Message: "Usulan Kendari."},
			{ID: "n-new", RecipientUsername: kecPlanner.username, ProposalID: "p-3", Kind: "stage_changed", Message: "Usulan p-3 dikembalikan."},
		} {
			n.CreatedAt = at.Add(time.Duration(i) * time.Minute)
			require.NoError(t, db.InsertNotification(e.ctx, n))
		}

		ids := func(r response) []string {
			var out []string
			for _, it := range items(r) {
				out = append(out, it.(map[string]any)["id"].(string))
			}
			return out
		}
		r := e.as(kecPlanner, http.MethodGet, "/api/v1/notifications", nil)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, []string{"n-new", "n-old"}, ids(r), "own notifications, newest first")
		require.EqualValues(t, 2, r.body["unread"])
		first := items(r)[0].(map[string]any)
		for _, k := range []string{"id", "kind", "proposal_id", "text", "created_at", "read_at"} {
			require.Contains(t, first, k)
		}
		require.Equal(t, "Usulan p-3 dikembalikan.", first["text"])
		require.Nil(t, first["read_at"])

		r = e.as(reviewer, http.MethodGet, "/api/v1/notifications", nil)
		require.Equal(t, []string{"n-review"}, ids(r), "the role's notification of its own kab/kota, not Kendari's")

		// Marking someone else's notification changes nothing.
		r = e.as(reviewer, http.MethodPost, "/api/v1/notifications/read", map[string]any{"ids": []string{"n-new", "n-review"}})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.EqualValues(t, 1, r.body["marked"])
		require.EqualValues(t, 0, r.body["unread"])
		r = e.as(kecPlanner, http.MethodGet, "/api/v1/notifications?unread=true", nil)
		require.Equal(t, []string{"n-new", "n-old"}, ids(r), "the planner's stay unread")
		r = e.as(reviewer2, http.MethodGet, "/api/v1/notifications?unread=true", nil)
		require.Equal(t, []string{"n-review"}, ids(r), "read by one reviewer, unread for the other")

		r = e.as(kecPlanner, http.MethodPost, "/api/v1/notifications/read", map[string]any{"all": true})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.EqualValues(t, 2, r.body["marked"])
		r = e.as(kecPlanner, http.MethodGet, "/api/v1/notifications", nil)
		require.EqualValues(t, 0, r.body["unread"])
		require.NotNil(t, items(r)[0].(map[string]any)["read_at"])
		r = e.as(kecPlanner, http.MethodGet, "/api/v1/notifications?unread=true", nil)
		require.Empty(t, items(r))

		requireField(t, e.as(kecPlanner, http.MethodPost, "/api/v1/notifications/read", map[string]any{}), "ids")
		requireField(t, e.as(kecPlanner, http.MethodPost, "/api/v1/notifications/read", map[string]any{"all": true, "ids": []string{"x"}}), "ids")
		requireField(t, e.as(kecPlanner, http.MethodGet, "/api/v1/notifications?unread=ya", nil), "unread")
		requireProblem(t, e.do(http.MethodGet, "/api/v1/notifications", "", nil), http.StatusUnauthorized)
	})
}
