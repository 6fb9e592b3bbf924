package web

import (
	"encoding/base64"
	"html/template"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// otpQR is the otpauth:// URL of a second factor being enrolled as a QR
// code, an inline data: PNG (the pages' CSP allows img-src data:). Inline
// rather than an image endpoint: the secret then never sits in a URL, a
// log line or a cache of its own; the page carrying it is no-store.
// Only otpauth:// URLs are encoded; anything else (or a failure) yields
// "" and the page shows the key as text alone.
func otpQR(otpauthURL string) template.URL {
	if !strings.HasPrefix(otpauthURL, "otpauth://") {
		return ""
	}
	png, err := qrcode.Encode(otpauthURL, qrcode.Medium, 256)
	if err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}
