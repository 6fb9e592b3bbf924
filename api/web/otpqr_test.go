package web

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/auth"
)

// modules reads the QR modules back from a data: PNG: the image maps
// each pixel to the nearest of n modules (n need not divide its size), so
// each module is sampled at its centre (dark = true).
func modules(t *testing.T, dataURL string, n int) [][]bool {
	t.Helper()
	b64, ok := strings.CutPrefix(dataURL, "data:image/png;base64,")
	require.True(t, ok, "a data: PNG, got %.40q", dataURL)
	raw, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	size := img.Bounds().Dx()
	require.Equal(t, image.Rect(0, 0, 256, 256), img.Bounds())
	at := func(m int) int { return int((float64(m) + 0.5) * float64(size) / float64(n)) }
	out := make([][]bool, n)
	for y := range n {
		out[y] = make([]bool, n)
		for x := range n {
			r, _, _, _ := img.At(at(x), at(y)).RGBA()
			out[y][x] = r < 0x8000
		}
	}
	return out
}

// The enrolment QR code holds exactly the otpauth:// URL: its modules,
// read back from the PNG, are the QR matrix of that URL and not of
// another secret's; anything but an otpauth:// URL gets no image.
func TestOTPQRCode(t *testing.T) {
	key, err := auth.NewTOTPKey("kadis.sultra")
	require.NoError(t, err)
	other, err := auth.NewTOTPKey("kadis.sultra")
	require.NoError(t, err)

	want, err := qrcode.New(key.URL, qrcode.Medium)
	require.NoError(t, err)
	bits := want.Bitmap()
	got := modules(t, string(otpQR(key.URL)), len(bits))
	require.Equal(t, bits, got, "the PNG's modules are the QR matrix of the key's URL")
	// Finder pattern in the top-left corner, after the 4-module quiet zone.
	require.True(t, got[4][4] && got[4][10] && got[10][4] && !got[5][5] && got[6][6], "finder pattern")

	otherBits, err := qrcode.New(other.URL, qrcode.Medium)
	require.NoError(t, err)
	require.NotEqual(t, otherBits.Bitmap(), got, "another secret gives another code")

	for _, bad := range []string{"", "javascript:alert(1)", "https://contoh.id/"} {
		require.Empty(t, otpQR(bad), bad)
	}
}
