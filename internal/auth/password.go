package auth

import (
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"

	"github.com/rencana-id/rencana/internal/domain"
)

// Password policy (ASVS 2.1): at least MinPasswordLength characters, at most
// MaxPasswordBytes bytes (bcrypt ignores the rest), and not guessable: the
// zxcvbn estimate (github.com/trustelem/zxcvbn, a port of Dropbox's, with its
// lists of common passwords, names and words, keyboard patterns, repeats and
// sequences) must reach MinPasswordScore. No composition rules (ASVS 2.1.9):
// a long phrase of ordinary words passes, "P@ssw0rd1!" does not.
//
// The policy applies when a password is set: created, changed, reset or
// given at bootstrap (RENCANA_ADMIN_PASSWORD, `rencana user`). Logging in
// checks only the hash, so accounts created before the policy keep working
// until their password is next changed.
const (
	MinPasswordLength = 12
	MaxPasswordBytes  = 72
	// MinPasswordScore is zxcvbn's 3, "safely unguessable": about 10^8
	// guesses or more, what resists an online attack and slows an offline
	// one against bcrypt.
	MinPasswordScore = 3
)

// localWords are what people here put into passwords and zxcvbn's English
// lists do not know: common Indonesian password words, and words of this
// application's world. They are matched like the user's own name.
var localWords = []string{
	"rencana", "rahasia", "katasandi", "sandi", "kata", "masuk", "indonesia", "merdeka", "bismillah",
	"sayang", "cinta", "jakarta", "bandung", "surabaya", "kendari", "makassar", "sulawesi", "tenggara",
	"koperasi", "umkm", "dinas", "kecamatan", "kabupaten", "kota", "provinsi", "camat", "kadis", "perencana",
	"pemda", "admin", "administrator", "rakorda", "rakortek", "usulan", "siklus", "selamat", "pagi", "rumah",
	"garuda", "pancasila", "allah", "akbar", "tuhan", "bapak", "ibu", "anak",
}

// ValidatePassword checks a password being set against the policy; context
// holds what the password must not be built from (the username, the full
// name). Messages are in Indonesian and say what to do instead.
func ValidatePassword(v *domain.Validation, field, password string, context ...string) {
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLength:
		v.Add(field, "Kata sandi minimal %d karakter; gunakan beberapa kata yang mudah Anda ingat tetapi sulit ditebak orang lain.", MinPasswordLength)
		return
	case len(password) > MaxPasswordBytes:
		v.Add(field, "Kata sandi maksimal %d byte.", MaxPasswordBytes)
		return
	}
	// The user's own names first: zxcvbn ranks earlier inputs as likelier.
	var inputs []string
	for _, c := range context {
		for _, w := range strings.FieldsFunc(strings.ToLower(c), func(r rune) bool { return r == ' ' || r == '.' || r == '_' || r == '-' || r == '@' }) {
			if len(w) >= 3 {
				inputs = append(inputs, w)
			}
		}
	}
	inputs = append(inputs, localWords...)
	r := zxcvbn.PasswordStrength(password, inputs)
	if r.Score >= MinPasswordScore {
		return
	}
	v.Add(field, "%s", weakPasswordMessage(r.Sequence))
}

// weakPasswordMessage says, in Indonesian, why zxcvbn found a password weak,
// from the first pattern that explains it.
func weakPasswordMessage(seq []*match.Match) string {
	const tail = " Gunakan gabungan beberapa kata yang tidak umum, misalnya tiga atau empat kata acak."
	for _, m := range seq {
		switch m.Pattern {
		case "repeat":
			return "Kata sandi berisi pengulangan karakter atau pola (misalnya \"aaaa\" atau \"abcabc\") sehingga mudah ditebak." + tail
		case "sequence":
			return "Kata sandi berisi urutan (misalnya \"abcd\" atau \"1234\") sehingga mudah ditebak." + tail
		case "spatial":
			return "Kata sandi berisi pola papan ketik (misalnya \"qwerty\") sehingga mudah ditebak." + tail
		case "date", "regex":
			return "Kata sandi bertumpu pada tanggal atau tahun sehingga mudah ditebak." + tail
		case "dictionary":
			if m.DictionaryName == "user_inputs" {
				return "Kata sandi memuat nama Anda, nama pengguna, atau kata yang umum dalam aplikasi ini sehingga mudah ditebak." + tail
			}
			return "Kata sandi terlalu umum: termasuk daftar kata sandi atau kata yang sering dipakai." + tail
		}
	}
	return "Kata sandi terlalu mudah ditebak." + tail
}
