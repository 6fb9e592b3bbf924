package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		multiline bool
		want      string
		problem   string
	}{
		{"plain", "Pelatihan UMKM", false, "Pelatihan UMKM", ""},
		{"NUL", "Pelatihan\x00UMKM", false, "", domain.MsgControl},
		{"NUL multiline", "Pelatihan\x00UMKM", true, "", domain.MsgControlM},
		{"escape", "a\x1b[31mb", true, "", domain.MsgControlM},
		{"DEL", "a\x7fb", false, "", domain.MsgControl},
		{"C1", "a\u0085b", true, "", domain.MsgControlM},
		{"newline single", "baris\nbaru", false, "", domain.MsgControl},
		{"tab single", "a\tb", false, "", domain.MsgControl},
		{"newline multiline", "baris\r\nbaru\rlagi\tx", true, "baris\nbaru\nlagi\tx", ""},
		{"invalid UTF-8", "caf\xe9", false, "", domain.MsgNotUTF8},
		{"overlong", "\xc0\xaf", true, "", domain.MsgNotUTF8},
		{"NFC", "Cafe\u0301 Kope\u0301rasi", false, "Café Kopérasi", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, problem := domain.CleanText(tc.in, tc.multiline)
			require.Equal(t, tc.problem, problem)
			if problem == "" {
				require.Equal(t, tc.want, got)
			}
		})
	}
}
