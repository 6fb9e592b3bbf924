package domain

import "strconv"

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
