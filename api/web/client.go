package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// The pages never touch the database, Temporal or Casbin themselves: every
// read and every decision goes through the JSON API, in-process, with the
// user's own token. So the web UI cannot do anything the API would refuse,
// and there is one implementation of each rule.

// problem is an API refusal as the pages show it.
type problem struct {
	Status int
	Type   string
	Title  string
	Detail string
	Fields map[string]string // field → message, for messages beside inputs
	// OTPSecret and OTPURL are a second factor to enrol (login only).
	OTPSecret, OTPURL string
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// message is the one line shown at the top of a page.
func (p *problem) message() string {
	if p.Detail != "" {
		return p.Detail
	}
	return p.Title
}

type apiCall struct {
	method  string
	path    string
	query   url.Values
	body    any
	headers map[string]string
	// raw, when not nil, is sent as is with contentType (an upload).
	raw         []byte
	contentType string
}

// apiResult is a successful answer: its status, headers and raw body.
type apiResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// call runs one API request as the user holding token. A 4xx/5xx answer is
// returned as *problem; out, when not nil, receives the decoded JSON body.
func (h *Handler) call(r *http.Request, token string, c apiCall, out any) (*apiResult, error) {
	var body io.Reader
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	if c.raw != nil {
		body = bytes.NewReader(c.raw)
	}
	target := c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	req := httptest.NewRequestWithContext(r.Context(), c.method, target, body)
	req.RemoteAddr = r.RemoteAddr
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.raw != nil {
		req.Header.Set("Content-Type", c.contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if id := r.Header.Get("X-Request-Id"); id != "" {
		req.Header.Set("X-Request-Id", id)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.api.ServeHTTP(rec, req)
	res := &apiResult{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	if rec.Code >= 400 {
		return res, decodeProblem(rec.Code, res.Body)
	}
	if out != nil && len(res.Body) > 0 && strings.Contains(rec.Header().Get("Content-Type"), "json") {
		if err := json.Unmarshal(res.Body, out); err != nil {
			return res, fmt.Errorf("decode %s %s: %w", c.method, c.path, err)
		}
	}
	return res, nil
}

func decodeProblem(status int, body []byte) *problem {
	var raw struct {
		Type         string `json:"type"`
		OTPEnrolment *struct {
			Secret string `json:"secret"`
			URL    string `json:"otpauth_url"`
		} `json:"otp_enrolment"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(body, &raw)
	p := &problem{Status: status, Type: raw.Type, Title: raw.Title, Detail: raw.Detail, Fields: map[string]string{}}
	if raw.OTPEnrolment != nil {
		p.OTPSecret, p.OTPURL = raw.OTPEnrolment.Secret, raw.OTPEnrolment.URL
	}
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	for _, e := range raw.Errors {
		if _, dup := p.Fields[e.Field]; !dup {
			p.Fields[e.Field] = e.Message
		}
	}
	return p
}
