package domain

import (
	"fmt"
	"strconv"
)

// FormatRupiah writes an amount the way Indonesian documents do, with dots
// between thousands: FormatRupiah(1250000) is "Rp 1.250.000". Refusals and
// the berita acara show figures users compare with their own spreadsheets.
func FormatRupiah(v int64) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	digits := strconv.FormatUint(u, 10)
	out := make([]byte, 0, len(digits)+len(digits)/3+4)
	for i := 0; i < len(digits); i++ {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, digits[i])
	}
	if neg {
		return "-Rp " + string(out)
	}
	return "Rp " + string(out)
}

// CeilingExceeded is the refusal of a consolidated amount that does not fit
// the ceiling (pagu indikatif) of region: ceiling is the ceiling, used what
// the other proposals there already consolidated.
func CeilingExceeded(amount int64, region string, ceiling, used int64) *Error {
	msg := fmt.Sprintf("Pagu konsolidasi %s melebihi pagu indikatif %s: pagu %s, sudah terpakai %s, sisa %s.",
		FormatRupiah(amount), region, FormatRupiah(ceiling), FormatRupiah(used), FormatRupiah(ceiling-used))
	return &Error{Code: EINVALID, Message: msg, Fields: []FieldError{{Field: "consolidated_amount_idr", Message: msg}}}
}

// CeilingBelowUse is the refusal of a ceiling set below what the proposals
// of its region already consolidated; field names the ceiling's amount.
func CeilingBelowUse(field, region string, ceiling, used int64) FieldError {
	return FieldError{Field: field, Message: fmt.Sprintf("Pagu indikatif %s (%s) lebih kecil dari pagu konsolidasi yang sudah terpakai (%s).",
		region, FormatRupiah(ceiling), FormatRupiah(used))}
}
