package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
)

// Problem is an RFC 9457 problem document; every error the API returns has
// this shape, with field errors under "errors".
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Errors []domain.FieldError `json:"errors,omitempty"`
	// OTPEnrolment, on a login that must enrol a second factor, is the
	// secret to add to an authenticator app (see secondFactor).
	OTPEnrolment *auth.TOTPKey `json:"otp_enrolment,omitempty"`
}

// statusFor maps a domain error code to its HTTP status: the one place that
// decides it.
func statusFor(code string) int {
	switch code {
	case domain.EINVALID:
		return http.StatusUnprocessableEntity
	case domain.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.EPRECONDITION:
		return http.StatusPreconditionFailed
	case domain.ERATELIMIT:
		return http.StatusTooManyRequests
	case domain.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// titles are the Indonesian problem titles, one per status.
var titles = map[int]string{
	http.StatusBadRequest:            "Permintaan tidak valid",
	http.StatusUnauthorized:          "Belum masuk atau sesi berakhir",
	http.StatusForbidden:             "Tidak berwenang",
	http.StatusNotFound:              "Tidak ditemukan",
	http.StatusMethodNotAllowed:      "Metode tidak diizinkan",
	http.StatusConflict:              "Tidak dapat dilakukan pada tahap ini",
	http.StatusPreconditionFailed:    "Data telah berubah",
	http.StatusRequestEntityTooLarge: "Data terlalu besar",
	http.StatusUnsupportedMediaType:  "Format data tidak didukung",
	http.StatusUnprocessableEntity:   "Data tidak valid",
	http.StatusPreconditionRequired:  "Sertakan versi yang Anda ubah",
	http.StatusTooManyRequests:       "Terlalu banyak percobaan",
	http.StatusInternalServerError:   "Kesalahan internal",
	http.StatusServiceUnavailable:    "Layanan belum siap",
}

func title(status int) string {
	if t, ok := titles[status]; ok {
		return t
	}
	return http.StatusText(status)
}

// errorHandler turns any error a handler returns into problem+json. Domain
// errors keep their message; Echo's own errors (404 route, 405, body limit)
// get their status; anything else is logged with the request id and shown
// as a generic message.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := Problem{Type: "about:blank"}
	var de *domain.Error
	var he *echo.HTTPError
	switch {
	case errors.As(err, &de):
		p.Status = statusFor(de.Code)
		p.Detail = de.Message
		p.Errors = de.Fields
		p.Type = "https://rencana.go.id/problems/" + de.Code
	case errors.As(err, &he):
		p.Status = he.Code
		if msg, ok := he.Message.(string); ok && p.Status < 500 && msg != http.StatusText(p.Status) {
			p.Detail = msg
		}
	default:
		p.Status = http.StatusInternalServerError
	}
	if p.Status >= 500 {
		s.log.Error("request failed", "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"method", c.Request().Method, "path", c.Path(), "err", err)
		if de == nil || de.Code == domain.EINTERNAL {
			p.Detail = "Terjadi kesalahan internal. Sebutkan kode permintaan " + c.Response().Header().Get(echo.HeaderXRequestID) + " saat melapor."
		}
	}
	var sf *secondFactorProblem
	if errors.As(err, &sf) {
		p.Type, p.OTPEnrolment = sf.kind, sf.enrol
	}
	p.Title = title(p.Status)
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="rencana"`)
	}
	body, _ := json.Marshal(p)
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.Blob(p.Status, "application/problem+json", body)
}

// workflowFailure turns what a workflow call returned into what the client
// should hear. Refusals are already *domain.Error (workflows.AsDomainError).
// Temporal not answering in time, or not at all, is 503: the change may
// still happen, so the client is told to look before trying again. The
// cause is logged here because the problem document does not carry it.
func (s *Server) workflowFailure(c echo.Context, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var updateTimeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &unavailable) ||
		errors.As(err, &deadline) || errors.As(err, &updateTimeout) {
		s.log.Warn("workflow call did not complete", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
		return domain.Errorf(domain.EUNAVAILABLE,
			"Layanan alur kerja belum menjawab. Periksa tahap usulan sebelum mencoba lagi, karena perubahan mungkin tetap tersimpan.")
	}
	return err
}
