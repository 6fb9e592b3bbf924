package domain

import (
	"strconv"
	"strings"
	"time"
)

// Indonesia's three time zones. Times are stored in UTC and shown in the
// zone of the region a user works for, because a deadline "17:00" means
// 17:00 where the office is.
var (
	WIB  = time.FixedZone("WIB", 7*3600)
	WITA = time.FixedZone("WITA", 8*3600)
	WIT  = time.FixedZone("WIT", 9*3600)
)

// ZoneOf returns the time zone of the province of region code (any level);
// the national scope and unknown codes get WIB, the zone of the capital and
// of the ministry.
func ZoneOf(code string) *time.Location {
	prov, err := strconv.Atoi(RegionProvince(strings.TrimSpace(code)))
	if err != nil {
		return WIB
	}
	switch {
	case prov >= 81: // Maluku, Maluku Utara and the Papua provinces
		return WIT
	case prov >= 71, prov >= 63 && prov <= 65, prov >= 51 && prov <= 53:
		// Sulawesi, Kalimantan Selatan/Timur/Utara, Bali and Nusa Tenggara
		return WITA
	default:
		return WIB
	}
}
