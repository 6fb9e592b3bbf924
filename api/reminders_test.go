package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestDataRoundReminderInNotificationCentre: a data round due within its
// reminder window reminds Konawe Selatan's data operator at once, in his
// notification centre, naming the round so the page can link to it; the
// Kendari operator does not receive it.
func TestDataRoundReminderInNotificationCentre(t *testing.T) {
	year := time.Now().UTC().Year()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, _ := registerEnv(t, db, year)
		r := e.as(provPlanner, http.MethodPost, "/api/v1/data-rounds", map[string]any{
			"province": "74", "year": year, "due_at": time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		reminder := func(p person) map[string]any {
			for _, it := range items(e.as(p, http.MethodGet, "/api/v1/notifications", nil)) {
				if n := it.(map[string]any); n["kind"] == "data_round_reminder" {
					return n
				}
			}
			return nil
		}
		require.Eventually(t, func() bool { return reminder(operatorKonsel) != nil }, 30*time.Second, 100*time.Millisecond)
		n := reminder(operatorKonsel)
		e.schemaCheck()("NotificationList", e.as(operatorKonsel, http.MethodGet, "/api/v1/notifications", nil).body)
		require.Equal(t, map[string]any{"region_code": "74.05", "year": float64(year)}, n["data_round"])
		require.Contains(t, n["text"], fmt.Sprint(year))
		require.Eventually(t, func() bool {
			k := reminder(operatorKendari)
			return k != nil && k["data_round"].(map[string]any)["region_code"] == "74.71"
		}, 30*time.Second, 100*time.Millisecond, "Kendari's operator gets the reminder of his own round")
	})
}
