package domain

import (
	"errors"
	"fmt"
)

// Error codes: one per kind of failure a caller can act on. The API maps each
// to exactly one HTTP status (see api.statusFor); everything else is internal
// and its text never reaches a client.
const (
	ECONFLICT     = "conflict"     // the stage or a deadline does not allow it (409)
	EFORBIDDEN    = "forbidden"    // the caller may see it but not do it (403)
	EINTERNAL     = "internal"     // a bug or an outage (500)
	EINVALID      = "invalid"      // the input is wrong, field by field (422)
	ENOTFOUND     = "not_found"    // absent, or outside the caller's scope (404)
	EPRECONDITION = "precondition" // a stale If-Match (412)
	ERATELIMIT    = "rate_limited" // too many attempts (429)
	EUNAUTHORIZED = "unauthorized" // no valid credentials (401)
	EUNAVAILABLE  = "unavailable"  // a dependency is down (503)
)

// FieldError names one invalid input field and says, in Bahasa Indonesia,
// what the user should change.
type FieldError struct {
	// Row is the line of an imported file the error is about (row 2 is
	// the first data row, under the header); 0 for a request body.
	Row     int    `json:"row,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a failure that carries a code the API can map and a message safe
// to show to the user (Bahasa Indonesia).
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%d field errors)", e.Code, e.Message, len(e.Fields))
}

// Errorf builds an *Error with a formatted user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, ""
// for nil, and EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-facing message of err, or a generic one for
// internal errors so that their text never leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Terjadi kesalahan internal."
}

// Validation collects field errors while input is checked, so a user gets
// every problem at once instead of one per attempt.
type Validation struct {
	fields []FieldError
}

// Add records that field is invalid.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns an EINVALID *Error listing every field, or nil when all passed.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "Data yang dikirim tidak valid.", Fields: v.fields}
}
