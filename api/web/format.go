package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// rupiah formats an amount the way Indonesian budgets print it: Rp 150.000.000.
func rupiah(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-Rp " + b.String()
	}
	return "Rp " + b.String()
}

// number formats a count or a target with Indonesian separators: 1.250 and 2,5.
func number(f float64) string {
	whole := int64(f)
	s := strings.TrimPrefix(rupiah(whole), "Rp ")
	if frac := f - float64(whole); frac != 0 {
		d := strconv.FormatFloat(frac, 'f', -1, 64)
		s += "," + strings.TrimPrefix(strings.TrimPrefix(d, "-"), "0.")
	}
	return s
}

// inputError is a message for the person filling a form, shown beside the
// field as it is: a sentence in Indonesian, not a Go error string.
type inputError string

func (e inputError) Error() string { return string(e) }

// parseRupiah reads what a planner types into an amount field: "150000000",
// "150.000.000", "Rp 150.000.000". Anything else is an error for the form.
func parseRupiah(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "Rp"), "rp")
	s = strings.NewReplacer(".", "", " ", "", "\u00a0", "").Replace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, inputError("Tulis jumlah rupiah dengan angka, misalnya 150.000.000.")
	}
	return n, nil
}

// parseNumber reads a target: "30", "2,5", "1.250".
func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	s = strings.ReplaceAll(s, ".", "")
	s = strings.ReplaceAll(s, ",", ".")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, inputError("Tulis target dengan angka, misalnya 30 atau 2,5.")
	}
	return f, nil
}

var months = [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
	"Agustus", "September", "Oktober", "November", "Desember"}

// tanggal shows an instant in zone with Indonesian month names:
// "1 Maret 2026 17:00 WITA".
func tanggal(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	l := t.In(zone)
	return fmt.Sprintf("%d %s %d %02d:%02d %s", l.Day(), months[l.Month()-1], l.Year(), l.Hour(), l.Minute(), l.Format("MST"))
}

var weekdays = [...]string{"Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"}

// tanggalPanjang is the Indonesian text shown beside a date field, whose
// own display follows the browser's locale (often US: 12/07/2026):
// "Senin, 7 Desember 2026 17:00 WITA".
func tanggalPanjang(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(zone)
	return weekdays[l.Weekday()] + ", " + tanggal(t, zone)
}

// tanggalInput is the value of a datetime-local input in zone.
func tanggalInput(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format("2006-01-02T15:04")
}
