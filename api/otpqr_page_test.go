package api_test

import (
	"bytes"
	"encoding/base64"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/store/storetest"
)

var qrImg = regexp.MustCompile(`<img class="otp-qr" src="data:image/png;base64,([^"]+)"`)

// Starting 2FA on the account page shows the key as a QR code, inline
// (no URL of its own to leak the secret) on a no-store page.
func TestAccountTwoFactorQRCode(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	before := e.page(kecPlanner, http.MethodGet, "/akun", nil)
	require.Equal(t, http.StatusOK, before.Code)
	require.NotRegexp(t, qrImg, before.Body.String(), "no code before 2FA is started")

	r := e.page(kecPlanner, http.MethodPost, "/akun/2fa/mulai", url.Values{})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, "no-store", r.Header().Get("Cache-Control"))
	m := qrImg.FindStringSubmatch(r.Body.String())
	require.NotNil(t, m, "the page shows the QR code: %s", r.Body.String())
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	require.Equal(t, 256, img.Bounds().Dx())
}
