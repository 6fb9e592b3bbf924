package web

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// A notification leads to what it is about: its proposal, its data round
// or its Koperasi Merah Putih in the register.
func TestNotificationLink(t *testing.T) {
	for raw, want := range map[string]string{
		`{"proposal_id":"usl-1"}`: "/usulan/usl-1",
		`{"proposal_id":"","data_round":{"region_code":"74.05","year":2026}}`: "/koperasi?tahun=2026&wilayah=74.05",
		`{"proposal_id":"","kmp_region_code":"74.05.03.2001"}`:                "/kmp/desa/74.05.03.2001",
		`{"proposal_id":""}`: "/siklus",
	} {
		var n notificationView
		require.NoError(t, json.Unmarshal([]byte(raw), &n))
		require.Equal(t, want, n.Link(), raw)
	}
}
