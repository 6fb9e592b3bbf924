package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text hygiene (issue 23, ASVS 5.1): every text that comes in — JSON
// bodies (api's binder), forms (through the same binder: the pages call
// the API), CSV/XLSX imports (their parsers), multipart names — passes
// CleanText once, where it enters, before it is stored or compared. NUL
// would make PostgreSQL refuse the row (a 500), other control characters
// hide text or break exports and logs, bytes that are not UTF-8 turn into
// mojibake, and unnormalised Unicode makes "Koperasi Desa" written two ways
// two different strings.

// Messages of the text refusals, in Indonesian.
const (
	MsgNotUTF8  = "Teks bukan UTF-8 yang sah; ketik ulang atau simpan berkas sebagai UTF-8."
	MsgControl  = "Teks memuat karakter kendali (misalnya NUL, tab atau baris baru) yang tidak diizinkan di sini."
	MsgControlM = "Teks memuat karakter kendali (misalnya NUL) yang tidak diizinkan; hanya baris baru dan tab yang boleh."
)

// CleanText checks s and returns it normalised to NFC. multiline allows
// line feeds and tabs (descriptions, comments, spreadsheet cells; "\r\n" and
// a lone "\r" become "\n"); single-line text allows no control character at
// all. problem is "" when s is acceptable, else the message to show.
func CleanText(s string, multiline bool) (clean, problem string) {
	if !utf8.ValidString(s) {
		return s, MsgNotUTF8
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= utf8.RuneSelf {
			ascii = false
			continue
		}
		if b < 0x20 || b == 0x7f {
			if !multiline || (b != '\n' && b != '\t' && b != '\r') {
				if multiline {
					return s, MsgControlM
				}
				return s, MsgControl
			}
		}
	}
	if !ascii {
		for _, r := range s {
			// C1 controls (U+0080-U+009F), which come from text decoded
			// with the wrong code page.
			if r >= 0x80 && unicode.IsControl(r) {
				if multiline {
					return s, MsgControlM
				}
				return s, MsgControl
			}
		}
		s = norm.NFC.String(s)
	}
	if multiline && strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	return s, ""
}
